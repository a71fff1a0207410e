"""Redis telemetry against a real redis-server: the contrib instrumentation as the tta_otel distro
configures it (command and key names, never values) and the connection-pool instruments."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from importlib.metadata import entry_points
from typing import Any

import pytest
import redis
import redis.asyncio
from faker import Faker
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from tta_otel.distro import TTADistro
from tta_otel.instrumentation.redis.pool import RedisPoolInstrumentor
from tta_otel.instrumentation.redis.query import redis_query_text
from tta_otel.testing.metrics import values

pytestmark = pytest.mark.integration


@pytest.fixture
def spans(clean_env: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """The redis instrumentation loaded through the distro, as ``opentelemetry-instrument`` loads it."""
    clean_env.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "http,database")
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    (entry_point,) = entry_points(group="opentelemetry_instrumentor", name="redis")
    TTADistro().load_instrumentor(entry_point, tracer_provider=tracer_provider)
    yield exporter
    RedisInstrumentor().uninstrument()


@pytest.fixture
def unsampled(clean_env: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """As ``spans``, with every trace sampled out."""
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider(sampler=ALWAYS_OFF)
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    (entry_point,) = entry_points(group="opentelemetry_instrumentor", name="redis")
    TTADistro().load_instrumentor(entry_point, tracer_provider=tracer_provider)
    yield exporter
    RedisInstrumentor().uninstrument()


@pytest.fixture
def pools() -> Iterator[InMemoryMetricReader]:
    reader = InMemoryMetricReader()
    RedisPoolInstrumentor().instrument(meter_provider=MeterProvider(metric_readers=[reader]))
    yield reader
    RedisPoolInstrumentor().uninstrument()


def _query_text(attributes: Any) -> Any:
    """``db.query.text``, or ``db.statement`` where an earlier test fixed the process on the old conventions."""
    return attributes.get("db.query.text", attributes.get("db.statement"))


def _query_texts(exporter: InMemorySpanExporter) -> list[Any]:
    return [_query_text(span.attributes or {}) for span in exporter.get_finished_spans()]


def _play(redis_url: str, player_id: str, choice: str) -> None:
    """The example service's commands, through the asyncio client it uses."""

    async def play() -> None:
        store = redis.asyncio.Redis.from_url(redis_url)
        await store.incr(f"visits:{player_id}")
        await store.set(f"last-scene:{player_id}", "scene-1")
        await store.rpush(f"choices:{player_id}", choice)
        await store.aclose()

    asyncio.run(play())


def _pool_points(reader: InMemoryMetricReader, name: str) -> dict[frozenset[tuple[str, Any]], Any]:
    return dict(values(reader.get_metrics_data(), name))


def _address(redis_url: str) -> str:
    return redis_url.removeprefix("redis://")


def test_the_example_services_commands_keep_the_kind_of_their_keys_only(
    spans: InMemorySpanExporter, redis_url: str, fake: Faker
) -> None:
    _play(redis_url, fake.uuid4(), fake.sentence())
    assert _query_texts(spans) == [
        "INCRBY visits:? ?",
        "SET last-scene:? ?",
        "RPUSH choices:? ?",
    ]


def test_no_value_reaches_a_span(spans: InMemorySpanExporter, redis_url: str, fake: Faker) -> None:
    email, sentence = fake.email(), f"I never told anyone that {fake.sentence(nb_words=8)}"
    client = redis.Redis.from_url(redis_url)
    client.set("note:1", sentence)
    client.rpush("choices:1", sentence, email)
    client.hset("profile:1", mapping={"contact": email, "story": sentence})
    client.mset({"a:1": email, "b:2": sentence})
    with client.pipeline() as pipeline:
        pipeline.set("c:3", sentence).get("c:3").execute()
    client.close()
    exported = "".join(span.to_json() for span in spans.get_finished_spans())
    assert email not in exported
    assert sentence not in exported


def test_a_pipeline_keeps_its_commands_and_no_argument(spans: InMemorySpanExporter, redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    with client.pipeline() as pipeline:
        pipeline.set("scene:1", "forest").get("scene:1").execute()
    client.close()
    assert _query_texts(spans) == ["SET ? ?\nGET ?"]


def test_a_key_without_a_separator_is_not_shown(spans: InMemorySpanExporter, redis_url: str, fake: Faker) -> None:
    client = redis.Redis.from_url(redis_url)
    client.set(fake.email(), "scene-1")
    client.close()
    assert _query_texts(spans) == ["SET ? ?"]


@pytest.mark.parametrize("player_id", ["player-42", "12345", "9f86d081884c7d65", "c0ffee:7"])
def test_player_identifiers_in_key_names_never_appear(
    spans: InMemorySpanExporter, redis_url: str, fake: Faker, player_id: str
) -> None:
    _play(redis_url, player_id, fake.sentence())
    separators = ":?" * player_id.count(":")
    assert _query_texts(spans) == [
        f"INCRBY visits:?{separators} ?",
        f"SET last-scene:?{separators} ?",
        f"RPUSH choices:?{separators} ?",
    ]


@pytest.mark.parametrize(
    "args",
    [
        ("GET", "scene:1"),
        ("SET", "scene:1", "forest", "EX", "10"),
        ("MGET", "a:1", "b:2", "c:3"),
        ("MSET", "a:1", "one", "b:2", "two"),
        ("DEL", "a:1", "b:2"),
        ("BLPOP", "a:1", "b:2", "0"),
        ("RENAME", "a:1", "b:2"),
        ("LMOVE", "a:1", "b:2", "LEFT", "RIGHT"),
        ("HSET", "profile:1", "contact", "value", "story", "value"),
        ("EVAL", "return 1", "2", "a:1", "b:2", "argument"),
        ("SINTERCARD", "2", "a:1", "b:2"),
    ],
)
def test_the_key_names_are_the_ones_redis_server_finds(redis_url: str, args: tuple[str, ...]) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    server_keys = client.command_getkeys(*args)
    client.close()
    shown = [part for part in redis_query_text(args).split(" ")[1:] if part != "?"]
    assert shown == [key.split(":")[0] + ":?" for key in server_keys]


def test_a_command_outside_a_sampled_trace_works_and_records_nothing(
    unsampled: InMemorySpanExporter, redis_url: str
) -> None:
    client = redis.Redis.from_url(redis_url)
    client.set("scene:1", "forest")
    assert (client.get("scene:1"), unsampled.get_finished_spans()) == (b"forest", ())
    client.close()


def test_a_command_without_a_known_key_specification_shows_no_argument() -> None:
    assert redis_query_text(("AUTH", "player", "a synthetic password")) == "AUTH ? ?"


def test_bytes_arguments_and_lowercase_commands_are_read_as_text() -> None:
    assert redis_query_text((b"get", b"visits:7")) == "GET visits:?"


def test_a_numkeys_that_is_not_a_number_shows_no_key() -> None:
    assert redis_query_text(("EVAL", "return 1", "many", "a:1")) == "EVAL ? ? ?"


def test_a_long_query_text_is_cut_at_1000_characters() -> None:
    text = redis_query_text(("DEL", *(f"key:{index}" for index in range(500))))
    assert (len(text), text[-3:]) == (1000, "...")


def test_no_arguments_give_an_empty_query_text() -> None:
    assert redis_query_text(()) == ""


def test_the_pool_reports_a_held_connection_as_used(pools: InMemoryMetricReader, redis_url: str) -> None:
    pool = redis.ConnectionPool.from_url(redis_url)
    connection = pool.get_connection()
    assert _pool_points(pools, "db.client.connection.count") == {
        frozenset({("db.client.connection.state", "used"), ("db.client.connection.pool.name", _address(redis_url))}): 1,
        frozenset({("db.client.connection.state", "idle"), ("db.client.connection.pool.name", _address(redis_url))}): 0,
    }
    pool.release(connection)
    pool.disconnect()


def test_the_pool_reports_a_released_connection_as_idle(pools: InMemoryMetricReader, redis_url: str) -> None:
    pool = redis.ConnectionPool.from_url(redis_url)
    pool.release(pool.get_connection())
    assert _pool_points(pools, "db.client.connection.count") == {
        frozenset({("db.client.connection.state", "used"), ("db.client.connection.pool.name", _address(redis_url))}): 0,
        frozenset({("db.client.connection.state", "idle"), ("db.client.connection.pool.name", _address(redis_url))}): 1,
    }
    pool.disconnect()


def test_a_blocking_pool_reports_used_and_idle(pools: InMemoryMetricReader, redis_url: str) -> None:
    pool = redis.BlockingConnectionPool.from_url(redis_url, max_connections=4)
    held, released = pool.get_connection(), pool.get_connection()
    pool.release(released)
    points = _pool_points(pools, "db.client.connection.count")
    assert {dict(attributes)["db.client.connection.state"]: value for attributes, value in points.items()} == {
        "used": 1,
        "idle": 1,
    }
    pool.release(held)
    pool.disconnect()


def test_an_asyncio_pool_reports_a_held_connection_as_used(pools: InMemoryMetricReader, redis_url: str) -> None:
    async def hold() -> dict[frozenset[tuple[str, Any]], Any]:
        pool = redis.asyncio.ConnectionPool.from_url(redis_url)
        connection = await pool.get_connection()
        points = _pool_points(pools, "db.client.connection.count")
        await pool.release(connection)
        await pool.disconnect()
        return points

    assert {
        dict(attributes)["db.client.connection.state"]: value for attributes, value in asyncio.run(hold()).items()
    } == {
        "used": 1,
        "idle": 0,
    }


def test_the_pool_reports_its_limit(pools: InMemoryMetricReader, redis_url: str) -> None:
    pool = redis.ConnectionPool.from_url(redis_url, max_connections=7)
    assert _pool_points(pools, "db.client.connection.max") == {
        frozenset({("db.client.connection.pool.name", _address(redis_url))}): 7
    }
    pool.disconnect()


def test_pools_with_the_same_name_are_added_up(pools: InMemoryMetricReader, redis_url: str) -> None:
    first, second = redis.ConnectionPool.from_url(redis_url), redis.ConnectionPool.from_url(redis_url)
    held = [first.get_connection(), second.get_connection()]
    used = frozenset({("db.client.connection.state", "used"), ("db.client.connection.pool.name", _address(redis_url))})
    assert _pool_points(pools, "db.client.connection.count")[used] == 2
    first.release(held[0])
    second.release(held[1])
    first.disconnect()
    second.disconnect()


def test_a_dropped_pool_is_collected_and_no_longer_reported(pools: InMemoryMetricReader, redis_url: str) -> None:
    pool = redis.ConnectionPool.from_url(redis_url)
    assert _pool_points(pools, "db.client.connection.max")
    del pool
    gc.collect()
    assert _pool_points(pools, "db.client.connection.max") == {}
