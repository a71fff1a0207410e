"""Specification: the Redis pools and Neo4j drivers our instrumentations see are registered for
health checks, by weak reference, and never those made while instrumentation is suppressed."""

from __future__ import annotations

import asyncio
import gc
import inspect
from collections.abc import Iterator
from typing import Any

import neo4j
import pytest
import redis
import redis.asyncio
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider

from tta_otel import health
from tta_otel.health.registry import Status
from tta_otel.instrumentation.neo4j import Neo4jInstrumentor
from tta_otel.instrumentation.neo4j.health import async_verifier, dependency_name, track_driver, verify
from tta_otel.instrumentation.redis.health import ping
from tta_otel.instrumentation.redis.pool import RedisPoolInstrumentor
from tta_otel.testing.processes import free_port


@pytest.fixture(autouse=True)
def empty_registry() -> Iterator[None]:
    yield
    for status in health.statuses():
        health.unregister(status.name, status.type)


@pytest.fixture
def redis_instrumented() -> Iterator[None]:
    RedisPoolInstrumentor().instrument(meter_provider=MeterProvider())
    yield
    RedisPoolInstrumentor().uninstrument()


@pytest.fixture
def neo4j_instrumented() -> Iterator[None]:
    Neo4jInstrumentor().instrument(tracer_provider=TracerProvider(), meter_provider=MeterProvider())
    yield
    Neo4jInstrumentor().uninstrument()


@pytest.mark.usefixtures("redis_instrumented")
@pytest.mark.parametrize("client_class", [redis.Redis, redis.asyncio.Redis])
def test_a_redis_client_is_registered_by_its_pool_name(client_class: Any) -> None:
    client = client_class.from_url("redis://:secret-password@cache.tta.internal:6380/2")
    assert health.statuses() == [Status("cache.tta.internal:6380/2", "redis", None, None)]
    del client


@pytest.mark.usefixtures("redis_instrumented")
def test_a_collected_redis_client_is_no_longer_checked() -> None:
    client = redis.Redis.from_url("redis://cache.tta.internal:6380/2")
    del client
    gc.collect()
    assert health.statuses() == []


@pytest.mark.usefixtures("redis_instrumented")
def test_a_redis_pool_made_while_suppressed_is_not_registered() -> None:
    with suppress_instrumentation():
        client = redis.Redis.from_url("redis://cache.tta.internal:6380/2")
    assert health.statuses() == []
    del client


@pytest.mark.usefixtures("redis_instrumented")
def test_a_pool_of_another_class_is_not_registered() -> None:
    class SentinelLikePool(redis.ConnectionPool):
        pass

    pool = SentinelLikePool(host="cache.tta.internal")
    assert health.statuses() == []
    del pool


def test_ping_of_a_server_that_is_not_there_raises_a_connection_error() -> None:
    pool = redis.ConnectionPool(host="127.0.0.1", port=free_port())
    with pytest.raises(redis.ConnectionError):
        ping(pool)


def test_ping_of_an_asyncio_pool_is_a_coroutine_on_a_connection_of_its_own() -> None:
    pool = redis.asyncio.ConnectionPool(host="127.0.0.1", port=free_port())
    check = ping(pool)
    assert inspect.iscoroutine(check)
    with pytest.raises(redis.ConnectionError):
        asyncio.run(check)


@pytest.mark.usefixtures("neo4j_instrumented")
@pytest.mark.parametrize("factory", [neo4j.GraphDatabase, neo4j.AsyncGraphDatabase])
def test_a_neo4j_driver_is_registered_by_host_and_port(factory: Any) -> None:
    driver = factory.driver("neo4j://graph.tta.internal:7688", auth=("neo4j", "synthetic-password"))
    assert health.statuses() == [Status("graph.tta.internal:7688", "neo4j", None, None)]
    del driver


@pytest.mark.usefixtures("neo4j_instrumented")
def test_a_collected_neo4j_driver_is_no_longer_checked() -> None:
    driver = neo4j.GraphDatabase.driver("bolt://graph.tta.internal", auth=None)
    del driver
    gc.collect()
    assert health.statuses() == []


@pytest.mark.usefixtures("neo4j_instrumented")
def test_a_neo4j_driver_made_while_suppressed_is_not_registered() -> None:
    with suppress_instrumentation():
        driver = neo4j.GraphDatabase.driver("bolt://graph.tta.internal", auth=None)
    assert health.statuses() == []
    del driver


@pytest.mark.usefixtures("neo4j_instrumented")
def test_the_check_of_an_async_driver_is_a_coroutine() -> None:
    driver = neo4j.AsyncGraphDatabase.driver("bolt://graph.tta.internal", auth=None)
    [(_, check)] = health.registry.due()
    coroutine = check()
    assert inspect.iscoroutine(coroutine)
    coroutine.close()
    del driver


def test_uninstrument_restores_the_driver_factories() -> None:
    originals = (vars(neo4j.GraphDatabase)["driver"], vars(neo4j.AsyncGraphDatabase)["driver"])
    Neo4jInstrumentor().instrument(tracer_provider=TracerProvider(), meter_provider=MeterProvider())
    Neo4jInstrumentor().uninstrument()
    assert (vars(neo4j.GraphDatabase)["driver"], vars(neo4j.AsyncGraphDatabase)["driver"]) == originals


@pytest.mark.parametrize(
    ("uri", "name"),
    [
        ("bolt://user:synthetic-password@graph.tta.internal:7688", "graph.tta.internal:7688"),
        ("neo4j+s://graph.tta.internal?policy=europe", "graph.tta.internal:7687"),
    ],
)
def test_a_neo4j_dependency_is_named_without_credentials(uri: str, name: str) -> None:
    assert dependency_name(uri) == name


def test_a_sync_driver_is_checked_with_its_own_verify_connectivity() -> None:
    calls: list[str] = []

    class Driver:
        def verify_connectivity(self) -> None:
            calls.append("verified")

    verify(Driver())
    assert calls == ["verified"]


def test_the_check_of_an_async_driver_fails_when_nothing_listens() -> None:
    check = async_verifier(f"bolt://127.0.0.1:{free_port()}", {"auth": None, "connection_timeout": 1.0})
    with pytest.raises(neo4j.exceptions.ServiceUnavailable):
        asyncio.run(check(object()))  # type: ignore[arg-type]


def test_a_driver_that_cannot_be_registered_is_returned_all_the_same() -> None:
    unreferenceable = 7  # an int cannot be held by weak reference
    assert track_driver(lambda *args, **kwargs: unreferenceable, None, ("bolt://graph.tta.internal",), {}) == 7
    assert health.statuses() == []
