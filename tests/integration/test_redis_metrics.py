"""``db.client.operation.duration`` for Redis commands and pipelines, against a real redis-server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
import redis
import redis.asyncio
from faker import Faker
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader

from tta_otel.instrumentation.redis.metrics import RedisMetricsInstrumentor
from tta_otel.semconv import DB_CLIENT_DURATION_BUCKETS as DURATION_BUCKETS
from tta_otel.testing.metrics import histogram_points, metrics

pytestmark = pytest.mark.integration


@pytest.fixture
def reader() -> Iterator[InMemoryMetricReader]:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    instrumentor = RedisMetricsInstrumentor()
    instrumentor.instrument(meter_provider=provider)
    yield reader
    instrumentor.uninstrument()
    provider.shutdown()


def points(reader: InMemoryMetricReader) -> dict[str, HistogramDataPoint]:
    data = reader.get_metrics_data()
    ((name, metric),) = metrics(data).items()
    assert (name, metric.unit) == ("db.client.operation.duration", "s")
    return {
        str(dict(p.attributes or {})["db.operation.name"]) + ("!" if "error.type" in (p.attributes or {}) else ""): p
        for p in histogram_points(data, name)
    }


def attributes(point: HistogramDataPoint) -> dict[str, Any]:
    return dict(point.attributes or {})


def test_each_command_is_timed_with_the_database_attributes(reader: InMemoryMetricReader, redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.set("scene:forest", "calm")
    client.get("scene:forest")
    client.close()

    found = points(reader)
    port = urlparse(redis_url).port
    assert sorted(found) == ["GET", "SET"]
    assert attributes(found["SET"]) == {
        "db.system.name": "redis",
        "db.operation.name": "SET",
        "db.namespace": "0",
        "server.address": "127.0.0.1",
        "server.port": port,
    }
    assert found["SET"].count == 1
    assert tuple(found["SET"].explicit_bounds) == DURATION_BUCKETS


def test_a_failing_command_carries_its_error_type(reader: InMemoryMetricReader, redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.set("scene:lake", "still")
    with pytest.raises(redis.ResponseError):
        client.incr("scene:lake")
    client.close()

    assert attributes(points(reader)["INCRBY!"])["error.type"] == "redis.exceptions.ResponseError"


def test_a_pipeline_is_one_operation(reader: InMemoryMetricReader, redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    with client.pipeline() as pipeline:
        pipeline.set("a", 1).incr("a").execute()
    client.close()

    assert sorted(points(reader)) == ["PIPELINE"]


def test_async_commands_and_pipelines_are_timed(reader: InMemoryMetricReader, redis_url: str) -> None:
    async def play() -> None:
        client = redis.asyncio.Redis.from_url(redis_url)
        await client.rpush("choices:x", "left")
        async with client.pipeline() as pipeline:
            await pipeline.lrange("choices:x", 0, -1).execute()
        await client.aclose()

    asyncio.run(play())

    assert sorted(points(reader)) == ["PIPELINE", "RPUSH"]


def test_no_key_or_value_is_recorded(reader: InMemoryMetricReader, redis_url: str, fake: Faker) -> None:
    email, sentence = fake.email(), fake.sentence()
    client = redis.Redis.from_url(redis_url)
    client.set(email, sentence)
    client.close()

    text = repr(reader.get_metrics_data())
    assert email not in text
    assert sentence not in text


def test_uninstrument_restores_every_method() -> None:
    originals = [
        redis.client.Redis.execute_command,
        redis.client.Pipeline.execute,
        redis.asyncio.client.Redis.execute_command,
        redis.asyncio.client.Pipeline.execute,
    ]
    instrumentor = RedisMetricsInstrumentor()
    instrumentor.instrument(meter_provider=MeterProvider())
    instrumentor.uninstrument()

    assert [
        redis.client.Redis.execute_command,
        redis.client.Pipeline.execute,
        redis.asyncio.client.Redis.execute_command,
        redis.asyncio.client.Pipeline.execute,
    ] == originals
