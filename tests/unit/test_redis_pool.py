"""The redis pool instruments without a server: naming, defensive reading, (un)instrumenting."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
import redis.asyncio
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from tta_otel.instrumentation.redis.pool import RedisPoolInstrumentor, pool_name
from tta_otel.testing.metrics import number_points


@pytest.fixture
def reader() -> Iterator[InMemoryMetricReader]:
    reader = InMemoryMetricReader()
    RedisPoolInstrumentor().instrument(meter_provider=MeterProvider(metric_readers=[reader]))
    yield reader
    RedisPoolInstrumentor().uninstrument()


def _names(reader: InMemoryMetricReader, metric_name: str) -> dict[str, Any]:
    return {
        str((point.attributes or {})["db.client.connection.pool.name"]): point.value
        for point in number_points(reader.get_metrics_data(), metric_name)
    }


def test_uninstrument_restores_both_pool_constructors() -> None:
    originals = (redis.connection.ConnectionPool.__init__, redis.asyncio.connection.ConnectionPool.__init__)
    RedisPoolInstrumentor().instrument(meter_provider=MeterProvider())
    RedisPoolInstrumentor().uninstrument()
    assert redis.connection.ConnectionPool.__init__ is originals[0]
    assert redis.asyncio.connection.ConnectionPool.__init__ is originals[1]


def test_a_tcp_pool_is_named_by_host_port_and_database() -> None:
    assert pool_name(redis.ConnectionPool(host="cache.tta.internal", port=6380, db=2)) == "cache.tta.internal:6380/2"


def test_a_pool_without_a_database_is_named_with_database_0() -> None:
    assert pool_name(redis.ConnectionPool.from_url("redis://127.0.0.1:6379")) == "127.0.0.1:6379/0"


def test_a_unix_socket_pool_is_named_by_its_path() -> None:
    assert pool_name(redis.ConnectionPool.from_url("unix:///run/redis.sock?db=1")) == "/run/redis.sock/1"


def test_the_name_never_carries_credentials() -> None:
    pool = redis.ConnectionPool.from_url("redis://player:a-synthetic-password@127.0.0.1:6379/0")
    assert pool_name(pool) == "127.0.0.1:6379/0"


def test_a_pool_whose_counts_cannot_be_read_is_left_out(reader: InMemoryMetricReader) -> None:
    readable = redis.ConnectionPool(host="readable.tta.internal")
    broken = redis.ConnectionPool(host="broken.tta.internal")
    del broken._available_connections
    assert _names(reader, "db.client.connection.max") == {"readable.tta.internal:6379/0": readable.max_connections}


def test_a_pool_without_an_integer_limit_reports_no_maximum(reader: InMemoryMetricReader) -> None:
    unlimited = redis.ConnectionPool(host="unlimited.tta.internal")
    unlimited.max_connections = None  # type: ignore[assignment]
    assert _names(reader, "db.client.connection.max") == {}


def test_after_uninstrument_no_pool_is_reported() -> None:
    reader = InMemoryMetricReader()
    RedisPoolInstrumentor().instrument(meter_provider=MeterProvider(metric_readers=[reader]))
    pool = redis.ConnectionPool(host="cache.tta.internal")
    RedisPoolInstrumentor().uninstrument()
    assert (pool.connection_kwargs["host"], _names(reader, "db.client.connection.count")) == ("cache.tta.internal", {})
