"""Specification of the configurator and the distro, in-process, against a real OTLP receiver."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from faker import Faker
from opentelemetry import metrics, trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from tta_otel import configurator as configurator_module
from tta_otel import health, privacy
from tta_otel.config import MonitoringConfig, load_config
from tta_otel.configurator import TTAConfigurator, _metric_readers, configure_telemetry
from tta_otel.distro import TTADistro
from tta_otel.exporters import RedactingSpanExporter
from tta_otel.startup import startup_config
from tta_otel.testing.otlp_sink import OtlpSink, attributes
from tta_otel.testing.processes import free_port


@pytest.fixture
def sink(clean_env: pytest.MonkeyPatch, fresh_providers: None) -> Iterator[OtlpSink]:
    with OtlpSink() as running:
        clean_env.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", running.endpoint)
        clean_env.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
        clean_env.setenv("TTA_PSEUDONYM_KEY", "a synthetic test key of at least 32 bytes")
        yield running


def _config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tta_config.yaml"
    path.write_text(text)
    return path


def test_all_three_signals_arrive_redacted_with_the_resource(sink: OtlpSink, tmp_path: Path, fake: Faker) -> None:
    email = fake.email()
    loaded = load_config(_config_file(tmp_path, "monitoring:\n  component: player-api\n  repository: tta.dev\n"))
    telemetry = configure_telemetry(loaded)
    assert telemetry is not None
    try:
        with trace.get_tracer("test").start_as_current_span("scene", attributes={"contact": email}):
            logger = logging.getLogger("test.configurator")
            handler = __import__(
                "opentelemetry.instrumentation.logging.handler", fromlist=["LoggingHandler"]
            ).LoggingHandler(logger_provider=telemetry.logger_provider)
            logger.addHandler(handler)
            logger.warning("mail from %s", email)
            logger.removeHandler(handler)
        metrics.get_meter("test").create_counter("tta.test.requests").add(1, {"contact": email})
        telemetry.tracer_provider.force_flush()
        telemetry.logger_provider.force_flush()
        telemetry.meter_provider.force_flush()
    finally:
        telemetry.shutdown()
    received = sink.received
    ((resource, span),) = [(r, s) for r, s in received.spans() if s.name == "scene"]
    assert attributes(span.attributes) == {"contact": "[REDACTED:unlisted]"}
    assert attributes(resource.attributes)["tta.component"] == "player-api"
    assert attributes(resource.attributes)["tta.repository"] == "tta.dev"
    ((_, record),) = [(r, rec) for r, rec in received.log_records() if "mail from" in rec.body.string_value]
    assert record.body.string_value == "mail from [REDACTED:arg]"  # an argument that is not safe-shaped
    assert record.trace_id == span.trace_id
    assert record.span_id == span.span_id
    assert "tta.test.requests" in received.metric_names()
    assert "tta.telemetry.dropped" in received.metric_names()
    assert email not in received.as_text()


def test_the_otlp_exporters_send_the_token_of_the_token_file(
    sink: OtlpSink, clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    token = tmp_path / "otlp-token"
    token.write_text("a-synthetic-token-for-tests-only\n")
    clean_env.setenv("TTA_OTLP_TOKEN_FILE", str(token))
    telemetry = configure_telemetry(load_config(_config_file(tmp_path, "monitoring: {}\n")))
    assert telemetry is not None
    try:
        telemetry.tracer_provider.get_tracer("test").start_span("scene").end()
        telemetry.flush()
    finally:
        telemetry.shutdown()

    assert sink.received.traces
    assert {headers["authorization"] for headers, _ in sink.received.headers} == {
        "Bearer a-synthetic-token-for-tests-only"
    }
    assert "OTEL_EXPORTER_OTLP_HEADERS" not in os.environ


def _dropped_reasons(sink: OtlpSink) -> set[str]:
    """The reasons of ``tta.telemetry.dropped`` points with a count above zero."""
    reasons = set()
    for request in sink.received.metrics:
        for resource_metrics in request.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    if metric.name == "tta.telemetry.dropped":
                        reasons.update(
                            str(attributes(point.attributes)["tta.telemetry.reason"])
                            for point in metric.sum.data_points
                            if point.as_int > 0
                        )
    return reasons


def test_a_refusing_collector_lowers_sampling_and_sheds_logs_below_warning_until_it_recovers(
    sink: OtlpSink, clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1")
    telemetry = configure_telemetry(load_config(_config_file(tmp_path, "monitoring: {}\n")))
    assert telemetry is not None and telemetry.root_sampler is not None
    logger = telemetry.logger_provider.get_logger("test.backpressure")
    try:
        sink.refusing_with = 503
        telemetry.tracer_provider.get_tracer("test").start_span("refused").end()
        telemetry.tracer_provider.force_flush()
        lowered = telemetry.root_sampler.factor
        logger.emit(body="routine detail", severity_number=SeverityNumber.INFO)
        logger.emit(body="a session failed", severity_number=SeverityNumber.WARN)
        sink.refusing_with = None
        telemetry.logger_provider.force_flush()
        for _ in range(6):  # each successful export doubles the factor back
            logger.emit(body="still here", severity_number=SeverityNumber.WARN)
            telemetry.logger_provider.force_flush()
        telemetry.meter_provider.force_flush()
    finally:
        telemetry.shutdown()
    bodies = [record.body.string_value for _, record in sink.received.log_records()]
    assert (lowered, telemetry.root_sampler.factor) == (0.5, 1.0)
    assert ("a session failed" in bodies, "routine detail" in bodies) == (True, False)
    assert _dropped_reasons(sink) == {"refused", "shed"}


def test_a_dead_collector_s_queue_is_abandoned_at_the_shutdown_deadline_and_counted(
    sink: OtlpSink, clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The exporters' own timeout (10 s, several batches in a row) would hold shutdown far longer;
    past the deadline the span exporter gives up, and what it held is counted as dropped."""
    clean_env.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    clean_env.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    clean_env.setenv("OTEL_EXPORTER_OTLP_INSECURE", "true")
    config = "monitoring:\n  export: {shutdown_timeout_s: 1, span_batch_delay_ms: 60000}\n"
    telemetry = configure_telemetry(load_config(_config_file(tmp_path, config)))
    assert telemetry is not None
    tracer = telemetry.tracer_provider.get_tracer("test")
    for index in range(1500):
        tracer.start_span(f"queued {index}").end()
    telemetry.shutdown()
    spans = next(exporter for exporter in telemetry.exporters if isinstance(exporter, RedactingSpanExporter))
    assert spans.drops.abandoned
    assert spans.drops.dropped == spans.drops.counts["export_failed"] == 1500
    assert not sink.received.traces


def test_disabled_monitoring_builds_nothing(sink: OtlpSink, tmp_path: Path) -> None:
    assert configure_telemetry(load_config(_config_file(tmp_path, "monitoring:\n  enabled: false\n"))) is None


def test_disabled_monitoring_still_runs_the_health_checks_readiness_needs(sink: OtlpSink, tmp_path: Path) -> None:
    health.stop()
    checked = threading.Event()
    health.register("synthetic-model", "llm", checked.set)
    try:
        configure_telemetry(load_config(_config_file(tmp_path, "monitoring:\n  enabled: false\n")))
        assert checked.wait(10)
    finally:
        health.stop()
        health.unregister("synthetic-model", "llm")


def test_shutdown_stops_the_health_checks(sink: OtlpSink, tmp_path: Path) -> None:
    health.stop()
    telemetry = configure_telemetry(load_config(_config_file(tmp_path, "monitoring: {}\n")))
    assert telemetry is not None
    assert health.running() is True
    telemetry.shutdown()
    assert health.running() is False


def test_an_otel_sampler_wins_over_the_file(sink: OtlpSink, clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("OTEL_TRACES_SAMPLER", "always_off")
    telemetry = configure_telemetry(load_config(_config_file(tmp_path, "monitoring:\n  sampling: {ratio: 1.0}\n")))
    assert telemetry is not None
    try:
        assert telemetry.root_sampler is None
        assert telemetry.tracer_provider.sampler.get_description() == "AlwaysOffSampler"
    finally:
        telemetry.shutdown()


def test_the_file_ratio_drives_the_adjustable_sampler(sink: OtlpSink, tmp_path: Path) -> None:
    telemetry = configure_telemetry(load_config(_config_file(tmp_path, "monitoring:\n  sampling: {ratio: 0.25}\n")))
    assert telemetry is not None
    try:
        assert telemetry.root_sampler is not None
        assert telemetry.root_sampler.ratio == 0.25
    finally:
        telemetry.shutdown()


def test_a_bad_policy_falls_back_to_the_packaged_one(
    sink: OtlpSink, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "policy.yaml").write_text("version: 3\n")
    text = "monitoring:\n  privacy: {policy_file: policy.yaml}\n"
    telemetry = configure_telemetry(load_config(_config_file(tmp_path, text)))
    assert telemetry is not None
    telemetry.shutdown()
    assert "the privacy settings were rejected" in caplog.text
    assert privacy.active_redactor().policy == privacy.load_policy()


def test_pull_metric_readers_are_refused_because_they_bypass_redaction(caplog: pytest.LogCaptureFixture) -> None:
    assert _metric_readers({"in_memory": InMemoryMetricReader}, [], [], None) == []
    assert "serves metrics without redaction" in caplog.text


def test_the_configurator_never_raises(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def explode(loaded: Any) -> None:
        raise RuntimeError("synthetic failure")

    monkeypatch.setattr(configurator_module, "configure_telemetry", explode)
    TTAConfigurator().configure()
    assert "telemetry could not be configured; the service runs without it" in caplog.text


def test_a_bad_file_is_reported_once_at_start_up(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clean_env.setenv("TTA_CONFIG", str(_config_file(tmp_path, "monitoring:\n  sampling: {ratio: 2}\n")))
    startup_config.cache_clear()
    try:
        assert startup_config().config == MonitoringConfig()
        startup_config()
    finally:
        startup_config.cache_clear()
    assert caplog.text.count("monitoring.sampling.ratio: Input should be less than or equal to 1") == 1


class _Instrumentor:
    received: ClassVar[dict[str, Any]] = {}

    def instrument(self, **kwargs: Any) -> None:
        _Instrumentor.received = kwargs


class _EntryPoint:
    def __init__(self, name: str) -> None:
        self.name = name
        self.value = f"opentelemetry.instrumentation.{name}:Instrumentor"

    def load(self) -> type[_Instrumentor]:
        return _Instrumentor


def test_the_distro_passes_tta_options_to_instrumentations() -> None:
    TTADistro().load_instrumentor(_EntryPoint("logging"), skip_dep_check=True)  # type: ignore[arg-type]
    assert _Instrumentor.received == {"inject_trace_context": True, "skip_dep_check": True}
    TTADistro().load_instrumentor(_EntryPoint("requests"))  # type: ignore[arg-type]
    assert _Instrumentor.received == {}


def test_the_distro_fills_otel_defaults_from_the_file(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("TTA_CONFIG", str(_config_file(tmp_path, "monitoring:\n  otlp: {endpoint: 'http://c:4317'}\n")))
    clean_env.setenv("OTEL_METRIC_EXPORT_INTERVAL", "30000")
    startup_config.cache_clear()
    try:
        TTADistro().configure()
    finally:
        startup_config.cache_clear()
    import os

    assert os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://c:4317"
    assert os.environ["OTEL_METRIC_EXPORT_INTERVAL"] == "30000"
