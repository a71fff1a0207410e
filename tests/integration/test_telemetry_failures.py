"""Telemetry never hurts the service: with the collector down, an exporter that raises, or
a bad configuration file, the real service under ``opentelemetry-instrument`` answers
exactly as it does without telemetry."""

from __future__ import annotations

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


def test_the_service_is_unaffected_when_the_exporter_raises(redis_url: str, config: Path) -> None:
    """The OTLP exporter raises OSError on every export: https with a CA bundle that does not exist."""
    _flush_redis(redis_url)
    endpoint = f"https://127.0.0.1:{free_port()}"
    env = _env(redis_url, endpoint, config, OTEL_EXPORTER_OTLP_CERTIFICATE="/nonexistent/ca.pem")
    with instrumented_service(env, cwd=REPO) as service:
        assert _exercise(service.url) == EXPECTED
        service.stop()


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
