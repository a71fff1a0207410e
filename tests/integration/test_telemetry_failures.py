"""Telemetry never hurts the service: with the collector down, an exporter that raises, or
a bad configuration file, the real service under ``opentelemetry-instrument`` answers
exactly as it does without telemetry."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import REPO
from tta_otel.testing.otlp_sink import OtlpSink, attributes
from tta_otel.testing.processes import distro_environment, free_port, instrumented_service, wait_until

pytestmark = pytest.mark.integration


def _env(redis_url: str, endpoint: str, config: Path, **extra: str) -> dict[str, str]:
    return distro_environment(
        endpoint,
        config,
        redis_url,
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
        OTEL_EXPORTER_OTLP_TIMEOUT="1",
        OTEL_BSP_SCHEDULE_DELAY="100",
        OTEL_METRIC_EXPORT_INTERVAL="500",
        **extra,
    )


def _exercise(url: str) -> list[tuple[int, object]]:
    """The same requests as a player would send; returns (status, body) for each."""
    results = []
    with httpx.Client(base_url=url, timeout=10) as client:
        for round_ in range(20):
            response = client.get(f"/players/p-{round_}/scene")
            results.append((response.status_code, response.json()["scene"]))
        response = client.get("/players/p-0/fail")
        results.append((response.status_code, response.json()))
    return results


EXPECTED = [(200, "scene-1")] * 20 + [(503, {"detail": "story unavailable"})]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "tta_config.yaml"
    path.write_text("monitoring:\n  component: player-api\n")
    return path


def _flush_redis(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()


def test_the_service_is_unaffected_when_the_collector_is_down(redis_url: str, config: Path) -> None:
    _flush_redis(redis_url)
    closed = f"http://127.0.0.1:{free_port()}"
    with instrumented_service(_env(redis_url, closed, config), cwd=REPO) as service:
        assert _exercise(service.url) == EXPECTED
        output = service.stop()
    assert service.process.returncode is not None
    assert "Traceback" not in output.split("Shutting down")[0]


RAISING_EXPORTERS = """
from opentelemetry.sdk._logs.export import LogRecordExporter
from opentelemetry.sdk.metrics.export import MetricExporter
from opentelemetry.sdk.trace.export import SpanExporter


def _raise(signal):
    with open(RAISED_LOG, "a") as log:
        log.write(signal + "\\n")
    raise ConnectionError("collector gone")


class RaisingSpanExporter(SpanExporter):
    def export(self, spans):
        _raise("spans")


class RaisingMetricExporter(MetricExporter):
    def export(self, metrics_data, timeout_millis=10_000, **kwargs):
        _raise("metrics")

    def force_flush(self, timeout_millis=10_000):
        return True

    def shutdown(self, timeout_millis=30_000, **kwargs):
        pass


class RaisingLogRecordExporter(LogRecordExporter):
    def export(self, batch):
        _raise("logs")

    def force_flush(self, timeout_millis=30_000):
        return True

    def shutdown(self):
        pass
"""
ENTRY_POINTS = """\
[opentelemetry_traces_exporter]
raising = raising_exporters:RaisingSpanExporter

[opentelemetry_metrics_exporter]
raising = raising_exporters:RaisingMetricExporter

[opentelemetry_logs_exporter]
raising = raising_exporters:RaisingLogRecordExporter
"""


def _raising_exporters(directory: Path) -> tuple[dict[str, str], Path]:
    """Exporters, one per signal, that raise ``ConnectionError`` on every export, installed in
    ``directory`` as a distribution whose entry points ``opentelemetry-instrument`` finds.

    Returns the service's environment for them, and the file where each export that raised
    is noted as a line naming its signal.
    """
    raised = directory / "raised.log"
    (directory / "raising_exporters.py").write_text(f"RAISED_LOG = {str(raised)!r}\n{RAISING_EXPORTERS}")
    dist_info = directory / "raising_exporters-0.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: raising-exporters\nVersion: 0.0\n")
    (dist_info / "entry_points.txt").write_text(ENTRY_POINTS)
    path = os.pathsep.join(filter(None, [str(directory), os.environ.get("PYTHONPATH")]))
    env = {
        "PYTHONPATH": path,
        "OTEL_TRACES_EXPORTER": "raising",
        "OTEL_METRICS_EXPORTER": "raising",
        "OTEL_LOGS_EXPORTER": "raising",
    }
    return env, raised


def test_the_service_is_unaffected_when_the_exporter_raises(redis_url: str, config: Path, tmp_path: Path) -> None:
    _flush_redis(redis_url)
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    raising, raised = _raising_exporters(plugins)
    env = _env(redis_url, f"http://127.0.0.1:{free_port()}", config, **raising)

    def signals_that_raised() -> set[str]:
        return set(raised.read_text().splitlines()) if raised.exists() else set()

    with instrumented_service(env, cwd=REPO) as service:
        assert wait_until(lambda: "metrics" in signals_that_raised(), timeout=20)  # raising before the first request
        assert _exercise(service.url) == EXPECTED
        assert wait_until(lambda: signals_that_raised() == {"spans", "metrics", "logs"}, timeout=20)


def test_a_bad_configuration_file_starts_with_safe_defaults(redis_url: str, tmp_path: Path) -> None:
    _flush_redis(redis_url)
    bad = tmp_path / "tta_config.yaml"
    bad.write_text("monitoring:\n  component: player-api\n  sampling:\n    ratio: 4\n")
    with OtlpSink() as sink, instrumented_service(_env(redis_url, sink.endpoint, bad), cwd=REPO) as service:
        assert _exercise(service.url) == EXPECTED
        assert wait_until(lambda: any(True for _ in sink.received.spans()), timeout=20)
        output = service.stop()
        resource = attributes(next(sink.received.resources()).attributes)
    expected_error = f"{bad}: monitoring.sampling.ratio: Input should be less than or equal to 1 (got 4)"
    assert output.count(expected_error) == 1
    assert resource["service.name"] == "tta-service"
