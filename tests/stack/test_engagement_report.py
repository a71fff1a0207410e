"""Engagement metrics through the real collector into the real Prometheus, and the engagement
report built from them: the names our queries use exist, cohorts under k sessions are suppressed,
and the figures are the hand-computed ones."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.metrics.v1.metrics_pb2 import (
    AggregationTemporality,
    Histogram,
    HistogramDataPoint,
    Metric,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource as SdkResource
from pypdf import PdfReader

from tests.stack.otlp_requests import key_values, send
from tta_otel import semconv
from tta_otel.audit_log import AuditLog, digest_of
from tta_otel.engagement import EngagementTelemetry
from tta_otel.ops.cli.main import main
from tta_otel.ops.client_credentials import otlp_exporter_arguments, prometheus_auth
from tta_otel.ops.stack.runner import URLS, Stack
from tta_otel.testing.processes import wait_until

PROMETHEUS = "http://127.0.0.1:9090"
COLLECTOR_METRICS = f"{URLS['TTA_OTLP_HTTP_ENDPOINT']}/v1/metrics"

# Two samples per series, 20 minutes apart, the first at zero: increase() over "30m" is then the
# planted value, stretched only by the seconds between planting and the report (rounded down away).
SPAN_S = 1200
PERIOD = "30m"


def _series(selector: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{PROMETHEUS}/api/v1/series", auth=prometheus_auth(), params={"match[]": selector}, timeout=10
    )
    response.raise_for_status()
    return list(response.json()["data"])


def test_prometheus_has_every_name_the_engagement_report_queries(stack: Stack) -> None:
    """The SDK instruments of tta_otel.engagement, exported over OTLP through the collector."""
    environment = f"engagement-names-{uuid.uuid4().hex[:8]}"
    provider = MeterProvider(
        resource=SdkResource.create({"deployment.environment.name": environment}),
        metric_readers=[
            PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=COLLECTOR_METRICS, **otlp_exporter_arguments()))
        ],
    )
    telemetry = EngagementTelemetry(provider)
    telemetry.track("session_start", session="s-1", cohort="b")
    telemetry.track("journey_step", session="s-1", journey_step="grounding")
    telemetry.track("completion", session="s-1")
    telemetry.track("session_end", session="s-1", progress=0.5)
    provider.force_flush()
    provider.shutdown()
    scope = f'deployment_environment_name="{environment}",{semconv.prometheus_label(semconv.TTA_COHORT)}="b"'

    expected = [
        semconv.TTA_ENGAGEMENT_SESSIONS_STARTED.prometheus,
        semconv.TTA_ENGAGEMENT_SESSIONS_COMPLETED.prometheus,
        semconv.TTA_ENGAGEMENT_SESSION_DURATION.prometheus_count,
        semconv.TTA_ENGAGEMENT_SESSION_INTERACTIONS.prometheus_sum,
        semconv.TTA_ENGAGEMENT_PROGRESS.prometheus_sum,
        semconv.TTA_ENGAGEMENT_JOURNEY_STEPS.prometheus,
    ]
    wait_until(lambda: all(_series(f"{metric}{{{scope}}}") for metric in expected), timeout=30)
    (steps,) = _series(f"{semconv.TTA_ENGAGEMENT_JOURNEY_STEPS.prometheus}{{{scope}}}")
    assert steps[semconv.prometheus_label(semconv.TTA_JOURNEY_STEP)] == "grounding"


def _times() -> list[int]:
    now = time.time_ns()
    return [now - SPAN_S * 1_000_000_000, now]


def _counter(name: str, unit: str, points: list[tuple[dict[str, Any], float]], times: list[int]) -> Metric:
    data = [
        NumberDataPoint(attributes=key_values(attrs), start_time_unix_nano=times[0], time_unix_nano=t, as_double=value)
        for attrs, total in points
        for t, value in zip(times, (0.0, total), strict=True)
    ]
    return Metric(
        name=name,
        unit=unit,
        sum=Sum(
            data_points=data,
            is_monotonic=True,
            aggregation_temporality=AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE,
        ),
    )


def _histogram(name: str, unit: str, points: list[tuple[dict[str, Any], int, float]], times: list[int]) -> Metric:
    """Per cohort: ``count`` sessions whose values add up to ``total``."""
    data = [
        HistogramDataPoint(
            attributes=key_values(attrs),
            start_time_unix_nano=times[0],
            time_unix_nano=t,
            count=c,
            sum=s,
            bucket_counts=[c],
        )
        for attrs, count, total in points
        for t, c, s in zip(times, (0, count), (0.0, total), strict=True)
    ]
    return Metric(
        name=name,
        unit=unit,
        histogram=Histogram(
            data_points=data, aggregation_temporality=AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
        ),
    )


@dataclass(frozen=True)
class Cohort:
    """What the planted sessions of one cohort add up to; the durations, interactions and progress are means."""

    name: str
    sessions: int
    completed: int
    duration_s: float
    interactions: float
    progress: float
    steps: dict[str, int]


def _plant(prefix: str, cohorts: list[Cohort]) -> str:
    """Sessions of every cohort, in an environment of their own, sent through the collector."""
    environment = f"{prefix}-{uuid.uuid4().hex[:8]}"
    times = _times()

    def per_session(value: str) -> list[tuple[dict[str, Any], int, float]]:
        return [({"tta.cohort": c.name}, c.sessions, c.sessions * getattr(c, value)) for c in cohorts]

    metrics = [
        _counter(
            "tta.engagement.sessions.started",
            "{session}",
            [({"tta.cohort": c.name}, c.sessions) for c in cohorts],
            times,
        ),
        _counter(
            "tta.engagement.sessions.completed",
            "{session}",
            [({"tta.cohort": c.name}, c.completed) for c in cohorts],
            times,
        ),
        _counter(
            "tta.engagement.journey.steps",
            "{step}",
            [({"tta.cohort": c.name, "tta.journey.step": step}, n) for c in cohorts for step, n in c.steps.items()],
            times,
        ),
        _histogram("tta.engagement.session.duration", "s", per_session("duration_s"), times),
        _histogram("tta.engagement.session.interactions", "{interaction}", per_session("interactions"), times),
        _histogram("tta.engagement.progress", "1", per_session("progress"), times),
    ]
    resource = Resource(
        attributes=key_values({"service.name": "tta-player-api", "deployment.environment.name": environment})
    )
    send(
        "/v1/metrics",
        ExportMetricsServiceRequest(
            resource_metrics=[ResourceMetrics(resource=resource, scope_metrics=[ScopeMetrics(metrics=metrics)])]
        ),
    )
    scope = f'deployment_environment_name="{environment}"'
    wait_until(
        lambda: (
            len(_series(f"{semconv.TTA_ENGAGEMENT_SESSIONS_STARTED.prometheus}{{{scope}}}")) == len(cohorts)
            and len(_series(f"{semconv.TTA_ENGAGEMENT_PROGRESS.prometheus_count}{{{scope}}}")) == len(cohorts)
        ),
        timeout=30,
    )
    return environment


def _report(environment: str, fmt: str, path: Path, *extra: str) -> None:
    arguments = ["--since", PERIOD, "--environment", environment, "--prometheus", PROMETHEUS, *extra]
    assert main(["report", "engagement", *arguments, "--format", fmt, "--output", str(path)]) == 0


def test_a_report_over_cohorts_with_9_and_10_sessions_shows_only_the_second(
    stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> None:
    environment = _plant(
        "engagement-k",
        [
            Cohort("nine", 9, 9, 600.0, 30.0, 0.9, {"intro": 9}),
            Cohort("ten", 10, 4, 300.0, 12.0, 0.4, {"intro": 10, "grounding": 7}),
        ],
    )
    path = tmp_path_factory.mktemp("engagement") / "k.json"

    _report(environment, "json", path)

    report = json.loads(path.read_text())
    assert (report["k"], report["suppressed_cohorts"]) == (10, 1)
    assert report["cohorts"] == [
        {
            "cohort": "ten",
            "sessions": 10,
            "completed": 4,
            "completion_rate": pytest.approx(0.4),
            "mean_duration_s": pytest.approx(300.0),
            "mean_interactions": pytest.approx(12.0),
            "mean_progress": pytest.approx(0.4),
            "journey_steps": {"intro": 10},  # grounding: 7 sessions, fewer than k
        }
    ]
    assert (report["sessions"], report["completed"], report["completion_rate"]) == (10, 4, pytest.approx(0.4))
    assert "nine" not in path.read_text()


def test_an_exported_report_is_recorded_in_the_audit_trail_by_its_digest(
    stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> None:
    environment = _plant("engagement-audit", [Cohort("ten", 10, 4, 300.0, 12.0, 0.4, {"intro": 10})])
    path = tmp_path_factory.mktemp("engagement") / "audited.csv"
    _report(environment, "csv", path)
    last = deque(AuditLog().records(), maxlen=1)[0]
    assert (last.action, last.subject, last.after) == ("report.export", "engagement csv", digest_of(path.read_bytes()))


COHORTS = [
    Cohort("a", 10, 5, 300.0, 10.0, 0.2, {"intro": 10, "grounding": 4}),
    Cohort("b", 12, 9, 600.0, 20.0, 0.5, {"intro": 12, "grounding": 9, "reflection": 6}),
    Cohort("c", 20, 18, 900.0, 25.0, 0.8, {"intro": 20, "grounding": 18, "reflection": 15}),
    Cohort("tiny", 4, 0, 60.0, 2.0, 0.0, {"intro": 4}),
]


@pytest.fixture(scope="module")
def environment(stack: Stack) -> str:
    return _plant("engagement", COHORTS)


@pytest.fixture(scope="module")
def report_json(environment: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("engagement") / "engagement.json"
    _report(environment, "json", path)
    return dict(json.loads(path.read_text()))


def test_totals_leave_the_suppressed_cohort_out(report_json: dict[str, Any]) -> None:
    assert [cohort["cohort"] for cohort in report_json["cohorts"]] == ["a", "b", "c"]
    assert report_json["suppressed_cohorts"] == 1
    assert (report_json["sessions"], report_json["completed"]) == (42, 32)
    assert report_json["completion_rate"] == pytest.approx(32 / 42)


def test_mean_progress_is_correlated_with_engagement_across_the_cohorts_shown(report_json: dict[str, Any]) -> None:
    # progress 0.2, 0.5, 0.8 against durations 300, 600, 900 s (a line) and 10, 20, 25 interactions.
    assert report_json["correlations"] == [
        {"measure": "mean_duration_s", "pearson_r": pytest.approx(1.0), "cohorts": 3},
        {"measure": "mean_interactions", "pearson_r": pytest.approx(4.5 / (0.18 * (350 / 3)) ** 0.5), "cohorts": 3},
    ]


def test_a_larger_k_suppresses_more_cohorts_and_leaves_too_few_to_correlate(environment: str, tmp_path: Path) -> None:
    path = tmp_path / "k12.json"

    _report(environment, "json", path, "--k", "12")

    report = json.loads(path.read_text())
    assert ([c["cohort"] for c in report["cohorts"]], report["suppressed_cohorts"]) == (["b", "c"], 2)
    assert [c["pearson_r"] for c in report["correlations"]] == [None, None]


def test_the_csv_report_reads_back_to_the_same_figures(environment: str, tmp_path: Path) -> None:
    path = tmp_path / "engagement.csv"

    _report(environment, "csv", path)

    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    values = {(row["section"], row["name"], row["metric"]): row["value"] for row in rows}
    assert (values["total", "", "sessions"], values["total", "", "suppressed_cohorts"]) == ("42", "1")
    assert float(values["cohort", "b", "mean_duration_s"]) == pytest.approx(600.0)
    assert float(values["cohort", "c", "completion_rate"]) == pytest.approx(0.9)
    assert values["journey_step", "c", "reflection"] == "15"
    assert ("journey_step", "b", "reflection") not in values  # 6 sessions, fewer than k
    assert float(values["correlation", "mean_duration_s", "pearson_r"]) == pytest.approx(1.0)
    assert {row["name"] for row in rows if row["section"] in ("cohort", "journey_step")} == {"a", "b", "c"}


def test_the_pdf_report_has_a_summary_page_and_a_chart_page(environment: str, tmp_path: Path) -> None:
    path = tmp_path / "engagement.pdf"

    _report(environment, "pdf", path)

    pages = PdfReader(path).pages
    assert len(pages) == 2
    summary = pages[0].extract_text()
    assert "TTA engagement report" in summary
    assert "Suppressed cohorts: 1." in summary
    assert "b: 12 sessions, completion 75%, mean duration 600 s" in summary
    assert "with mean session duration: +1.00 over 3 cohorts" in summary
    assert "tiny" not in summary
    assert "Mean progress against mean duration" in pages[1].extract_text()


def test_an_unreachable_prometheus_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "engagement", "--prometheus", "http://127.0.0.1:9"]) == 1
    assert "Prometheus at http://127.0.0.1:9 cannot be reached" in capsys.readouterr().err


def test_without_an_output_file_the_report_goes_to_standard_output(
    environment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["--since", PERIOD, "--environment", environment, "--prometheus", PROMETHEUS]

    assert main(["report", "engagement", *arguments]) == 0

    assert json.loads(capsys.readouterr().out)["sessions"] == 42
