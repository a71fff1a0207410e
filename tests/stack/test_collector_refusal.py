"""Graceful degradation against the real collector: while its memory limiter refuses data, the
service's telemetry lowers trace sampling and sheds log records below WARNING; when the
collector takes data again, sampling returns to the configured ratio and the WARNING record kept
in the queue arrives; every drop is counted by its reason.

The collector is our build with the shipped configuration; the refusal is its own memory
limiter's, with a limit below what any collector uses (``limit_mib: 2``), so that it refuses
everything it is sent. Recovery is the same collector restarted with the shipped limit on the
same ports. What leaves it is read from files (``tests/stack/collector-files.yaml`` plus a file
exporter for metrics), on ports of its own beside the session stack's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry._logs import SeverityNumber

from tests.stack.conftest import REPO
from tta_otel.config import load_config
from tta_otel.configurator import configure_telemetry
from tta_otel.ops.secrets import SecretsDir
from tta_otel.ops.stack.runner import running_component
from tta_otel.testing.collector_files import documents
from tta_otel.testing.processes import collector_addresses, health_port, wait_until

pytestmark = pytest.mark.integration

_PORTS = collector_addresses()
_FILES_AND_METRICS = """
exporters:
  file/metrics:
    path: ${env:TTA_COLLECTOR_FILE_DIR}/metrics.jsonl
service:
  pipelines:
    metrics:
      exporters: [file/metrics]
"""
_REFUSING = """
processors:
  memory_limiter:
    check_interval: 100ms
    limit_mib: 2
    spike_limit_mib: 1
"""
_REFUSING_LOGGED = "Refusing data"
"""What the memory limiter logs once its first check finds the limit passed: until then it takes data."""
_ONLY_WHEN_FLUSHED = """
monitoring:
  export: {metric_interval_ms: 300000, span_batch_delay_ms: 60000, log_batch_delay_ms: 60000}
"""


def _collector(state: Path, secrets: SecretsDir, *overlays: Path) -> Any:
    configs = [
        REPO / "collector-config" / "otelcol.yaml",
        REPO / "collector-config" / "privacy.yaml",
        REPO / "tests" / "stack" / "collector-files.yaml",
        *overlays,
    ]
    environment = {
        **_PORTS,
        "TTA_COLLECTOR_FILE_DIR": str(state),
        "TTA_COLLECTOR_TRACES_EXPORTERS": "[file/traces]",
        "TTA_COLLECTOR_LOGS_EXPORTERS": "[file/logs, count/logs]",
    }
    return running_component(
        REPO, "otel-collector", state, secrets, configs=configs, port=health_port(_PORTS), extra_environment=environment
    )


@pytest.fixture
def client(
    clean_env: pytest.MonkeyPatch, fresh_providers: None, stack_client_environment: dict[str, str], tmp_path: Path
) -> Iterator[Path]:
    """This process as a TTA service exporting to the private collector over OTLP/HTTP (TLS and
    token, as every client); yields its ``tta_config.yaml``."""
    for name, value in stack_client_environment.items():
        clean_env.setenv(name, value)
    clean_env.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"https://{_PORTS['TTA_COLLECTOR_OTLP_HTTP_ENDPOINT']}")
    clean_env.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    clean_env.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1")
    clean_env.setenv("TTA_PSEUDONYM_KEY", "a synthetic test key of at least 32 bytes")
    config = tmp_path / "tta_config.yaml"
    config.write_text(_ONLY_WHEN_FLUSHED)
    yield config


def _dropped(state: Path) -> dict[str, int]:
    """The last value of ``tta.telemetry.dropped`` by reason, from what the collector exported."""
    counts: dict[str, int] = {}
    for batch in documents(state / "metrics.jsonl", "tta.telemetry.dropped"):
        for resource_metrics in batch["resourceMetrics"]:
            for scope_metrics in resource_metrics["scopeMetrics"]:
                for metric in scope_metrics["metrics"]:
                    if metric["name"] != "tta.telemetry.dropped":
                        continue
                    for point in metric["sum"]["dataPoints"]:
                        reason = next(
                            a["value"]["stringValue"] for a in point["attributes"] if a["key"] == "tta.telemetry.reason"
                        )
                        counts[reason] = int(point["asInt"])
    return counts


def _log_bodies(state: Path) -> list[str]:
    return [
        record["body"]["stringValue"]
        for batch in documents(state / "logs.jsonl")
        for resource_logs in batch["resourceLogs"]
        for scope_logs in resource_logs["scopeLogs"]
        for record in scope_logs["logRecords"]
        if "stringValue" in record.get("body", {})
    ]


def test_a_refusing_memory_limiter_lowers_sampling_and_keeps_warnings_until_it_recovers(
    client: Path, stack_secrets: SecretsDir, tmp_path: Path
) -> None:
    state = tmp_path / "collector"
    state.mkdir()
    (files := tmp_path / "files-and-metrics.yaml").write_text(_FILES_AND_METRICS)
    (refusing := tmp_path / "refusing.yaml").write_text(_REFUSING)
    telemetry = configure_telemetry(load_config(client))
    assert telemetry is not None and telemetry.root_sampler is not None
    logger = telemetry.logger_provider.get_logger("test.refusal")
    try:
        with _collector(state, stack_secrets, files, refusing):
            assert wait_until(lambda: _REFUSING_LOGGED in (state / "otel-collector.log").read_text(), timeout=10)
            telemetry.tracer_provider.get_tracer("test").start_span("refused").end()
            telemetry.tracer_provider.force_flush()
            lowered = telemetry.root_sampler.factor
            logger.emit(body="routine detail", severity_number=SeverityNumber.INFO)
            logger.emit(body="a session failed", severity_number=SeverityNumber.WARN)
        with _collector(state, stack_secrets, files):
            telemetry.logger_provider.force_flush()
            restored = telemetry.root_sampler.factor
            telemetry.meter_provider.force_flush()
    finally:
        telemetry.shutdown()
    assert (lowered, restored) == (0.5, 1.0)
    assert _log_bodies(state) == ["a session failed"]
    assert _dropped(state) == {"export_failed": 0, "redaction_failed": 0, "refused": 1, "shed": 1}
