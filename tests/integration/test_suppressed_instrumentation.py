"""Specification: every tta_otel instrumentation records nothing inside ``suppress_instrumentation()``,
as contrib instrumentations do (exporters and the SDK itself use it to avoid measuring their own work).
Real redis-server and Starlette's websocket stack."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket

from tta_otel.instrumentation.redis.metrics import RedisMetricsInstrumentor
from tta_otel.instrumentation.redis.pool import RedisPoolInstrumentor
from tta_otel.instrumentation.websockets import WebSocketInstrumentor
from tta_otel.testing.metrics import metrics, points

pytestmark = pytest.mark.integration


@pytest.fixture
def reader() -> Iterator[InMemoryMetricReader]:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    instrumentors = [RedisMetricsInstrumentor(), RedisPoolInstrumentor(), WebSocketInstrumentor()]
    for instrumentor in instrumentors:
        instrumentor.instrument(meter_provider=provider)
    yield reader
    for instrumentor in instrumentors:
        instrumentor.uninstrument()
    provider.shutdown()


def _names(reader: InMemoryMetricReader) -> set[str]:
    data = reader.get_metrics_data()
    return {name for name in metrics(data) if points(data, name)}


def test_a_suppressed_redis_command_is_not_timed(reader: InMemoryMetricReader, redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    with suppress_instrumentation():
        client.set("scene:cove", "quiet")
    client.close()
    assert "db.client.operation.duration" not in _names(reader)


def test_a_redis_command_outside_the_suppression_is_timed(reader: InMemoryMetricReader, redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.set("scene:cove", "quiet")
    client.close()
    assert "db.client.operation.duration" in _names(reader)


def test_a_pool_created_while_suppressed_is_not_reported(reader: InMemoryMetricReader, redis_url: str) -> None:
    with suppress_instrumentation():
        client = redis.Redis.from_url(redis_url)
    client.ping()
    assert "db.client.connection.count" not in _names(reader)
    client.close()


def test_websocket_messages_sent_while_suppressed_are_not_counted(reader: InMemoryMetricReader) -> None:
    async def stream(websocket: WebSocket) -> None:
        await websocket.accept()
        with suppress_instrumentation():
            await websocket.send_text("the lighthouse blinks")
        await websocket.close()

    app = Starlette(routes=[WebSocketRoute("/stream", stream)])
    with TestClient(app) as client, client.websocket_connect("/stream") as connection:
        assert connection.receive_text() == "the lighthouse blinks"
    assert "tta.websocket.messages" not in _names(reader)
