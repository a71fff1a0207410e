"""Dependency health in a real service: the example app under ``opentelemetry-instrument``, with a
real redis-server and a real Neo4j that are stopped and started again. ``tta.dependency.up``
follows each of them and ``/readyz`` answers 503 while one is down, 200 once it is back.

Each server is stopped through its own context manager (its process, by pid); the ``ExitStack``
stops whatever is still running when a test fails."""

from __future__ import annotations

from contextlib import AbstractContextManager, ExitStack
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import REPO
from tta_otel.testing.neo4j_server import neo4j_server
from tta_otel.testing.otlp_sink import OtlpSink, Received, attributes
from tta_otel.testing.processes import (
    RunningService,
    distro_environment,
    free_port,
    instrumented_service,
    redis_server,
    wait_until,
)

pytestmark = pytest.mark.integration

# The packaged privacy policy does not list tta.dependency.* yet: a custom policy adds them (docs/health.md).
POLICY = """version: 2
keys:
  allow:
    - 'tta.dependency.name'
    - 'tta.dependency.type'
end_of_policy: true
"""
CHANGE_WITHIN_S = 30.0
NEO4J_CHANGE_WITHIN_S = 60.0


def _config(tmp_path: Path) -> Path:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    config = tmp_path / "tta_config.yaml"
    config.write_text(
        "monitoring:\n"
        "  component: player-api\n"
        "  health: {interval_s: 1, timeout_s: 1}\n"
        f"  privacy: {{policy_file: {policy}}}\n"
    )
    return config


def _service(sink: OtlpSink, config: Path, redis_url: str, **extra: str) -> AbstractContextManager[RunningService]:
    env = distro_environment(
        sink.endpoint,
        config,
        redis_url,
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
        OTEL_METRIC_EXPORT_INTERVAL="500",
        **extra,
    )
    return instrumented_service(env, cwd=REPO)


def _latest_up(received: Received) -> dict[tuple[str, str], int]:
    """The last ``tta.dependency.up`` value received for each (name, type)."""
    latest: dict[tuple[str, str], int] = {}
    for request in list(received.metrics):
        for resource_metrics in request.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    if metric.name != "tta.dependency.up":
                        continue
                    for point in metric.gauge.data_points:
                        found = attributes(point.attributes)
                        latest[(found["tta.dependency.name"], found["tta.dependency.type"])] = point.as_int
    return latest


def _readiness(service: RunningService) -> tuple[int, dict[str, str]]:
    """/readyz's status code and its ok/fail per dependency type (what an unauthenticated probe gets)."""
    response = httpx.get(f"{service.url}/readyz", timeout=5)
    return response.status_code, response.json()["checks"]


def _until(service: RunningService, sink: OtlpSink, status: int, key: tuple[str, str], up: int, within: float) -> None:
    """Wait until /readyz answers ``status`` with the type of ``key`` ok (``up``) or fail, and the last
    exported gauge of ``key`` agrees."""
    check = "ok" if up else "fail"
    assert wait_until(lambda: _readiness(service) == (status, {**_readiness(service)[1], key[1]: check}), within), (
        _readiness(service),
        service.output()[-3000:],
    )
    assert wait_until(lambda: _latest_up(sink.received).get(key) == up, within), _latest_up(sink.received)


def test_redis_stopped_and_started_again(tmp_path: Path) -> None:
    port = free_port()
    key = (f"127.0.0.1:{port}/0", "redis")
    with OtlpSink() as sink, ExitStack() as running:
        first = ExitStack()
        running.callback(first.close)
        redis_url = first.enter_context(redis_server(port))
        service = running.enter_context(_service(sink, _config(tmp_path), redis_url))
        _until(service, sink, 200, key, 1, CHANGE_WITHIN_S)

        first.close()
        _until(service, sink, 503, key, 0, CHANGE_WITHIN_S)

        running.enter_context(redis_server(port))
        _until(service, sink, 200, key, 1, CHANGE_WITHIN_S)


def test_neo4j_stopped_and_started_again(tmp_path: Path, redis_url: str) -> None:
    port = free_port()
    key = (f"127.0.0.1:{port}", "neo4j")
    with OtlpSink() as sink, ExitStack() as running:
        first = ExitStack()
        running.callback(first.close)
        graph = first.enter_context(neo4j_server(port))
        service = running.enter_context(_service(sink, _config(tmp_path), redis_url, TTA_NEO4J_URI=graph.uri))
        _until(service, sink, 200, key, 1, NEO4J_CHANGE_WITHIN_S)

        first.close()
        _until(service, sink, 503, key, 0, NEO4J_CHANGE_WITHIN_S)

        running.enter_context(neo4j_server(port))
        _until(service, sink, 200, key, 1, NEO4J_CHANGE_WITHIN_S)


def test_the_checks_make_no_spans_or_operation_metrics(tmp_path: Path, redis_url: str) -> None:
    with OtlpSink() as sink, _service(sink, _config(tmp_path), redis_url) as service:
        assert wait_until(lambda: _rounds(sink) >= 3, CHANGE_WITHIN_S), service.output()[-3000:]
        httpx.get(f"{service.url}/health", timeout=5)  # a span of the service's own, so that spans are exported
        assert wait_until(lambda: any(True for _ in sink.received.spans()), CHANGE_WITHIN_S)
        service.stop()
    assert {span.name for _, span in sink.received.spans()} == {"GET /health", "GET /health http send"}
    assert '"PING"' not in sink.received.as_text()


def test_the_health_endpoints_are_not_traced(tmp_path: Path, redis_url: str) -> None:
    with OtlpSink() as sink, _service(sink, _config(tmp_path), redis_url) as service:
        for path in ("/healthz", "/readyz", "/health"):
            httpx.get(f"{service.url}{path}", timeout=5)
        assert wait_until(lambda: any(True for _ in sink.received.spans()), CHANGE_WITHIN_S)
        service.stop()
    assert {span.name for _, span in sink.received.spans()} == {"GET /health", "GET /health http send"}


def _rounds(sink: OtlpSink) -> int:
    """Exports that carried ``tta.dependency.check.duration``: at least one round of checks each."""
    return sum(1 for request in list(sink.received.metrics) if "tta.dependency.check.duration" in str(request))
