"""One home for names: ``prometheus_name`` translates as Prometheus's OTLP receiver does, and every
metric the alert rules and the dashboards query is a name the pipeline really produces."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tta_otel import semconv
from tta_otel.ops.dashboards import queries, read
from tta_otel.semconv import Instrument, Kind, prometheus_label, prometheus_name

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "prometheus" / "rules"
DASHBOARDS = REPO / "grafana-dashboards"

EXTERNAL = frozenset(
    {
        "up",
        "ALERTS",
        "prometheus_notifications_dropped_total",
        "prometheus_rule_evaluation_failures_total",
        "prometheus_tsdb_compactions_failed_total",
        "prometheus_tsdb_head_samples_appended_total",
        "prometheus_tsdb_head_series",
        "prometheus_tsdb_head_truncations_failed_total",
        "prometheus_tsdb_retention_limit_bytes",
        "prometheus_tsdb_storage_blocks_bytes",
        "prometheus_tsdb_wal_corruptions_total",
        "alertmanager_alerts",
        "alertmanager_notifications_failed_total",
    }
)
"""Series that no OTLP instrument produces: Prometheus's own (``up``, ``ALERTS``, its self-metrics,
scraped) and Alertmanager's (scraped)."""


# --- prometheus_name: the translation rules, on the names the pipeline produces -------------------


def test_dots_become_underscores() -> None:
    assert prometheus_name("db.client.connection.count", "{connection}", Kind.UP_DOWN_COUNTER) == (
        "db_client_connection_count"
    )


def test_other_invalid_characters_become_one_underscore() -> None:
    assert prometheus_name("tta.my-metric__odd/name", "", Kind.GAUGE) == "tta_my_metric_odd_name"


def test_an_annotation_unit_adds_nothing() -> None:
    assert prometheus_name("gen_ai.client.token.usage", "{token}", Kind.HISTOGRAM) == "gen_ai_client_token_usage"


def test_seconds_are_appended_to_a_histogram_without_total() -> None:
    assert prometheus_name("http.server.request.duration", "s", Kind.HISTOGRAM) == (
        "http_server_request_duration_seconds"
    )


def test_a_counter_gets_its_unit_then_total() -> None:
    assert prometheus_name("tta.energy", "J", Kind.COUNTER) == "tta_energy_joules_total"


def test_a_counter_with_an_annotation_unit_gets_total_only() -> None:
    assert prometheus_name("tta.errors", "{error}", Kind.COUNTER) == "tta_errors_total"


def test_a_counter_in_seconds_gets_seconds_and_total() -> None:
    assert prometheus_name("process.cpu.time", "s", Kind.COUNTER) == "process_cpu_time_seconds_total"


def test_a_counter_of_bytes_gets_bytes_and_total() -> None:
    assert prometheus_name("tta.websocket.io", "By", Kind.COUNTER) == "tta_websocket_io_bytes_total"


def test_a_name_ending_in_total_gets_one_total() -> None:
    assert prometheus_name("tta.requests.total", "{request}", Kind.COUNTER) == "tta_requests_total"


def test_an_up_down_counter_gets_its_unit_without_total() -> None:
    assert prometheus_name("hw.gpu.memory.usage", "By", Kind.UP_DOWN_COUNTER) == "hw_gpu_memory_usage_bytes"


def test_grams() -> None:
    assert prometheus_name("tta.carbon.budget", "g", Kind.GAUGE) == "tta_carbon_budget_grams"


def test_watts() -> None:
    assert prometheus_name("hw.power", "W", Kind.GAUGE) == "hw_power_watts"


def test_celsius() -> None:
    assert prometheus_name("hw.temperature", "Cel", Kind.GAUGE) == "hw_temperature_celsius"


def test_a_unit_per_unit_becomes_per_with_an_unknown_unit_as_written() -> None:
    assert prometheus_name("tta.carbon.intensity", "g/kWh", Kind.GAUGE) == "tta_carbon_intensity_grams_per_kWh"


def test_the_unit_after_the_slash_is_singular() -> None:
    assert (
        prometheus_name("tta.websocket.throughput", "By/s", Kind.GAUGE) == "tta_websocket_throughput_bytes_per_second"
    )


def test_a_gauge_in_unit_1_is_a_ratio() -> None:
    assert prometheus_name("hw.gpu.utilization", "1", Kind.GAUGE) == "hw_gpu_utilization_ratio"


def test_a_histogram_in_unit_1_is_not_a_ratio() -> None:
    assert prometheus_name("tta.engagement.progress", "1", Kind.HISTOGRAM) == "tta_engagement_progress"


def test_a_unit_word_already_in_the_name_is_not_repeated() -> None:
    assert prometheus_name("tta.payload.bytes", "By", Kind.COUNTER) == "tta_payload_bytes_total"


def test_a_name_starting_with_a_digit_gets_an_underscore() -> None:
    assert prometheus_name("5xx.responses", "{response}", Kind.COUNTER) == "_5xx_responses_total"


def test_the_kind_may_be_given_as_a_string() -> None:
    assert prometheus_name("tta.energy", "J", "counter") == "tta_energy_joules_total"


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        prometheus_name("tta.energy", "J", "summary")


# --- prometheus_label ------------------------------------------------------------------------------


def test_a_label_writes_dots_as_underscores() -> None:
    assert prometheus_label(semconv.GEN_AI_REQUEST_MODEL) == "gen_ai_request_model"


def test_a_label_starting_with_a_digit_gets_key_() -> None:
    assert prometheus_label("5xx.route") == "key_5xx_route"


def test_a_label_starting_with_one_underscore_gets_key() -> None:
    assert prometheus_label("_private") == "key_private"


# --- Instrument --------------------------------------------------------------------------------------


def test_a_histogram_is_stored_as_bucket_count_and_sum() -> None:
    assert semconv.TTA_ENGAGEMENT_SESSION_DURATION.prometheus_series == (
        "tta_engagement_session_duration_seconds_bucket",
        "tta_engagement_session_duration_seconds_count",
        "tta_engagement_session_duration_seconds_sum",
    )


def test_a_counter_is_stored_under_its_prometheus_name_alone() -> None:
    assert semconv.TTA_ERRORS.prometheus_series == ("tta_errors_total",)


def test_a_counter_has_no_count_series() -> None:
    with pytest.raises(ValueError):
        _ = semconv.TTA_ERRORS.prometheus_count


# The names the reports, rules and dashboards were written against before they were derived, as a
# stack test saw Prometheus store them.
KNOWN = {
    semconv.TTA_ENERGY: "tta_energy_joules_total",
    semconv.TTA_CARBON_EMISSIONS: "tta_carbon_emissions_grams_total",
    semconv.TTA_CARBON_INTENSITY: "tta_carbon_intensity_grams_per_kWh",
    semconv.TTA_CARBON_BUDGET: "tta_carbon_budget_grams",
    semconv.GEN_AI_CLIENT_OPERATION_DURATION: "gen_ai_client_operation_duration_seconds",
    semconv.GEN_AI_CLIENT_TOKEN_USAGE: "gen_ai_client_token_usage",
    semconv.TTA_ERRORS: "tta_errors_total",
    semconv.TTA_ERROR_TIME_TO_RESOLVE: "tta_error_time_to_resolve_seconds",
    semconv.HW_ENERGY: "hw_energy_joules_total",
    semconv.HW_POWER: "hw_power_watts",
    semconv.HW_GPU_UTILIZATION: "hw_gpu_utilization_ratio",
    semconv.HW_GPU_MEMORY_USAGE: "hw_gpu_memory_usage_bytes",
    semconv.HW_GPU_MEMORY_LIMIT: "hw_gpu_memory_limit_bytes",
    semconv.HW_TEMPERATURE: "hw_temperature_celsius",
    semconv.TTA_ENGAGEMENT_SESSIONS_STARTED: "tta_engagement_sessions_started_total",
    semconv.TTA_ENGAGEMENT_SESSIONS_COMPLETED: "tta_engagement_sessions_completed_total",
    semconv.TTA_ENGAGEMENT_SESSION_DURATION: "tta_engagement_session_duration_seconds",
    semconv.TTA_ENGAGEMENT_SESSION_INTERACTIONS: "tta_engagement_session_interactions",
    semconv.TTA_ENGAGEMENT_JOURNEY_STEPS: "tta_engagement_journey_steps_total",
    semconv.TTA_ENGAGEMENT_PROGRESS: "tta_engagement_progress",
    semconv.TTA_ENGAGEMENT_REJECTED: "tta_engagement_rejected_total",
    semconv.HTTP_SERVER_REQUEST_DURATION: "http_server_request_duration_seconds",
    semconv.DB_CLIENT_OPERATION_DURATION: "db_client_operation_duration_seconds",
    semconv.DB_CLIENT_CONNECTION_COUNT: "db_client_connection_count",
    semconv.DB_CLIENT_CONNECTION_MAX: "db_client_connection_max",
    semconv.PROCESS_CPU_TIME: "process_cpu_time_seconds_total",
    semconv.PROCESS_MEMORY_USAGE: "process_memory_usage_bytes",
    semconv.TTA_WEBSOCKET_CONNECTIONS_ACTIVE: "tta_websocket_connections_active",
    semconv.TTA_WEBSOCKET_MESSAGES: "tta_websocket_messages_total",
    semconv.TTA_WEBSOCKET_IO: "tta_websocket_io_bytes_total",
    semconv.TTA_WEBSOCKET_CONNECTION_DURATION: "tta_websocket_connection_duration_seconds",
    semconv.TTA_TELEMETRY_DROPPED: "tta_telemetry_dropped_total",
    semconv.TTA_ALERT_TIME_TO_ACKNOWLEDGE: "tta_alert_time_to_acknowledge_seconds",
    semconv.TTA_ALERT_TIME_TO_RESOLVE: "tta_alert_time_to_resolve_seconds",
}


@pytest.mark.parametrize(("instrument", "stored_as"), KNOWN.items(), ids=lambda value: getattr(value, "name", ""))
def test_the_derived_name_is_the_one_prometheus_stores(instrument: Instrument, stored_as: str) -> None:
    assert instrument.prometheus == stored_as


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("tta_component", semconv.TTA_COMPONENT),
        ("deployment_environment_name", semconv.DEPLOYMENT_ENVIRONMENT_NAME),
        ("tta_energy_source", semconv.TTA_ENERGY_SOURCE),
        ("error_type", semconv.ERROR_TYPE),
        ("tta_error_fingerprint", semconv.TTA_ERROR_FINGERPRINT),
        ("tta_error_critical", semconv.TTA_ERROR_CRITICAL),
        ("tta_cohort", semconv.TTA_COHORT),
        ("tta_journey_step", semconv.TTA_JOURNEY_STEP),
        ("http_response_status_code", semconv.HTTP_RESPONSE_STATUS_CODE),
        ("db_system_name", semconv.DB_SYSTEM_NAME),
    ],
)
def test_the_derived_label_is_the_one_prometheus_stores(label: str, key: str) -> None:
    assert prometheus_label(key) == label


def test_no_instrument_is_defined_twice() -> None:
    names = [(instrument.name, instrument.description) for instrument in semconv.INSTRUMENTS]
    assert len(names) == len(set(names))
    assert all(isinstance(instrument.kind, Kind) for instrument in semconv.INSTRUMENTS)


def test_only_histograms_have_bucket_advice() -> None:
    assert {i.name for i in semconv.INSTRUMENTS if i.buckets and i.kind is not Kind.HISTOGRAM} == set()


_LOADED_BY_SEMCONV = """
import sys
before = set(sys.modules)
import tta_otel.semconv
print(" ".join(sorted({m.split(".")[0] for m in set(sys.modules) - before} - set(sys.stdlib_module_names))))
print(" ".join(sorted(m for m in sys.modules if m.startswith("tta_otel"))))
"""


def test_the_module_is_a_leaf_of_the_standard_library() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", _LOADED_BY_SEMCONV],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert loaded == ["tta_otel", "tta_otel tta_otel.semconv"]


# --- Dashboards and alert rules query the names the pipeline produces --------------------------------

_NAME_MATCHER = re.compile(r'__name__\s*(=~|=)\s*("(?:[^"\\]|\\.)*")')
_GRAFANA_VARIABLE = re.compile(r"\$\{[^}]*\}")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_IDENTIFIER = re.compile(r"(?<![\w$:.])[a-zA-Z_:][a-zA-Z0-9_:]*(?![\w(])(?!\s*\()")
_KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "inf", "nan"})


def metric_names(expr: str) -> tuple[set[str], set[str]]:
    """The metric names a PromQL expression reads: ``name{...}`` and ``{__name__="..."}``, and the
    ``{__name__=~"..."}`` regexes. Functions, keywords, labels, strings, durations and Grafana's
    variables are not names."""
    exact: set[str] = set()
    patterns: set[str] = set()
    for operator, quoted in _NAME_MATCHER.findall(expr):
        (exact if operator == "=" else patterns).add(json.loads(quoted))
    text = _GRAFANA_VARIABLE.sub(" ", expr)
    for pattern in (_STRING, _MATCHERS, _RANGE, _GROUPING):
        text = pattern.sub(" ", text)
    exact.update(name for name in _IDENTIFIER.findall(text) if name.lower() not in _KEYWORDS)
    return exact, patterns


def _rules() -> list[dict[str, str]]:
    return [
        rule
        for path in sorted(RULES.glob("*.yml"))
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    ]


RECORDED = frozenset(rule["record"] for rule in _rules() if "record" in rule)
PRODUCED = frozenset(series for instrument in semconv.INSTRUMENTS for series in instrument.prometheus_series)


def _unknown(exprs: list[str]) -> set[str]:
    exact: set[str] = set()
    patterns: set[str] = set()
    for expr in exprs:
        found, regexes = metric_names(expr)
        exact |= found
        patterns |= regexes
    known = PRODUCED | RECORDED | semconv.OTELCOL_METRICS | EXTERNAL
    unmatched = {p for p in patterns if not any(re.fullmatch(p, name) for name in known)}
    return (exact - known) | unmatched


def test_metric_names_are_read_from_selectors_not_from_functions_labels_or_variables() -> None:
    expr = (
        "histogram_quantile(0.95, sum by (le, http_route) (rate(http_server_request_duration_seconds_bucket"
        '{tta_component=~"$component"}[$__rate_interval]))) > 1e3 and on (job) up offset 10m'
        ' or sum(rate({__name__=~"otelcol_receiver_refused_spans(_total)?", job="${job}"}[5m]))'
    )
    assert metric_names(expr) == (
        {"http_server_request_duration_seconds_bucket", "up"},
        {"otelcol_receiver_refused_spans(_total)?"},
    )


def test_the_alert_rules_query_only_produced_recorded_or_external_names() -> None:
    exprs = [str(rule["expr"]) for rule in _rules()]
    assert len(exprs) > 40
    assert _unknown(exprs) == set()


def test_the_dashboards_query_only_produced_recorded_or_external_names() -> None:
    exprs = [query.expr for query in queries(read(DASHBOARDS)) if query.datasource == "prometheus"]
    assert len(exprs) > 40
    assert _unknown(exprs) == set()


def test_a_misspelt_name_would_be_caught() -> None:
    assert _unknown(["rate(tta_energy_joules[5m])", 'sum({__name__=~"otelcol_exporter_sent_bytes"})']) == {
        "tta_energy_joules",
        "otelcol_exporter_sent_bytes",
    }


def test_the_collectors_log_counters_are_named_in_semconv() -> None:
    config = yaml.safe_load((REPO / "collector-config" / "otelcol.yaml").read_text())
    counted = config["connectors"]["count/logs"]["logs"]
    assert set(counted) == {semconv.TTA_LOG_ERROR_RECORDS.name, semconv.TTA_LOG_REDACTED_RECORDS.name}
    for instrument in (semconv.TTA_LOG_ERROR_RECORDS, semconv.TTA_LOG_REDACTED_RECORDS):
        assert counted[instrument.name]["description"] == instrument.description
