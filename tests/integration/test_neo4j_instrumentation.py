"""The neo4j instrumentation against a real Neo4j 5: one CLIENT span per query with the database
conventions' attributes, the duration histogram, and nothing of a literal or a parameter value in
any span, event or metric."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import neo4j
import pytest
from faker import Faker
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from tta_otel.instrumentation.neo4j import Neo4jInstrumentor, wrappers
from tta_otel.testing.metrics import histogram_points
from tta_otel.testing.neo4j_server import Neo4jServer
from tta_otel.testing.processes import free_port

pytestmark = pytest.mark.integration
pytest_plugins = ["tests.neo4j_fixture"]

WRAPPED = [
    (neo4j._sync.driver.Driver, "execute_query"),
    (neo4j._sync.work.session.Session, "run"),
    (neo4j._sync.work.session.Session, "execute_read"),
    (neo4j._sync.work.session.Session, "execute_write"),
    (neo4j._sync.work.transaction.TransactionBase, "run"),
    (neo4j._async.driver.AsyncDriver, "execute_query"),
    (neo4j._async.work.session.AsyncSession, "run"),
    (neo4j._async.work.session.AsyncSession, "execute_read"),
    (neo4j._async.work.session.AsyncSession, "execute_write"),
    (neo4j._async.work.transaction.AsyncTransactionBase, "run"),
]


@dataclass(frozen=True)
class Telemetry:
    spans: InMemorySpanExporter
    metrics: InMemoryMetricReader

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def durations(self) -> list[HistogramDataPoint]:
        return histogram_points(self.metrics.get_metrics_data(), "db.client.operation.duration")


def _instrument() -> Telemetry:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    Neo4jInstrumentor().instrument(
        tracer_provider=tracer_provider, meter_provider=MeterProvider(metric_readers=[reader])
    )
    return Telemetry(exporter, reader)


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    yield _instrument()
    Neo4jInstrumentor().uninstrument()


@pytest.fixture
def driver(neo4j_server: Neo4jServer, telemetry: Telemetry) -> Iterator[neo4j.Driver]:
    with neo4j.GraphDatabase.driver(neo4j_server.uri, auth=None) as opened:
        yield opened


def _server(neo4j_server: Neo4jServer) -> dict[str, Any]:
    return {"server.address": "127.0.0.1", "server.port": neo4j_server.port}


def test_execute_query_is_one_client_span_with_the_conventions_attributes(
    driver: neo4j.Driver, telemetry: Telemetry, neo4j_server: Neo4jServer
) -> None:
    driver.execute_query("MATCH (n:Scene {id: $id}) RETURN n.title // by id", id="none", database_="neo4j")

    [span] = telemetry.finished()
    assert (span.name, span.kind, span.status.status_code) == ("MATCH Scene", SpanKind.CLIENT, StatusCode.UNSET)
    assert dict(span.attributes or {}) == {
        "db.system.name": "neo4j",
        "db.namespace": "neo4j",
        "db.operation.name": "MATCH",
        "db.query.summary": "MATCH Scene",
        "db.query.text": "MATCH (n:Scene {id: $id}) RETURN n.title",
        **_server(neo4j_server),
    }


def test_execute_query_without_a_database_takes_the_namespace_the_server_reports(
    driver: neo4j.Driver, telemetry: Telemetry
) -> None:
    driver.execute_query("RETURN 1 AS one")

    [span] = telemetry.finished()
    assert (span.name, (span.attributes or {})["db.namespace"]) == ("RETURN", "neo4j")


def test_async_execute_query_is_one_client_span(neo4j_server: Neo4jServer, telemetry: Telemetry) -> None:
    async def query() -> None:
        async with neo4j.AsyncGraphDatabase.driver(neo4j_server.uri, auth=None) as driver:
            await driver.execute_query("CREATE (n:Scene {id: $id})", id=str(uuid.uuid4()), database_="neo4j")

    asyncio.run(query())

    [span] = telemetry.finished()
    assert (span.name, span.kind) == ("CREATE Scene", SpanKind.CLIENT)
    assert dict(span.attributes or {}) == {
        "db.system.name": "neo4j",
        "db.namespace": "neo4j",
        "db.operation.name": "CREATE",
        "db.query.summary": "CREATE Scene",
        "db.query.text": "CREATE (n:Scene {id: $id})",
        **_server(neo4j_server),
    }


def test_session_run_is_a_client_span_named_by_its_summary(
    driver: neo4j.Driver, telemetry: Telemetry, neo4j_server: Neo4jServer
) -> None:
    with driver.session() as session:
        session.run("MATCH (s:Scene)-[:NEXT]->(c:Choice) WHERE s.id = $id RETURN c LIMIT 5", id="x").consume()

    [span] = telemetry.finished()
    assert (span.name, span.kind) == ("MATCH Scene NEXT Choice", SpanKind.CLIENT)
    assert dict(span.attributes or {}) == {
        "db.system.name": "neo4j",
        "db.namespace": "neo4j",
        "db.operation.name": "MATCH",
        "db.query.summary": "MATCH Scene NEXT Choice",
        "db.query.text": "MATCH (s:Scene)-[:NEXT]->(c:Choice) WHERE s.id = $id RETURN c LIMIT ?",
        **_server(neo4j_server),
    }


def test_a_query_object_is_described_by_its_text(driver: neo4j.Driver, telemetry: Telemetry) -> None:
    with driver.session() as session:
        session.run(neo4j.Query("MATCH (n:Scene) RETURN n LIMIT 1", timeout=5)).consume()

    [span] = telemetry.finished()
    assert (span.name, (span.attributes or {})["db.query.text"]) == ("MATCH Scene", "MATCH (n:Scene) RETURN n LIMIT ?")


def test_async_session_run_is_a_client_span(neo4j_server: Neo4jServer, telemetry: Telemetry) -> None:
    async def query() -> list[int]:
        async with (
            neo4j.AsyncGraphDatabase.driver(neo4j_server.uri, auth=None) as driver,
            driver.session(database="neo4j") as session,
        ):
            result = await session.run("UNWIND range(1, 3) AS i RETURN i")
            return [record["i"] async for record in result]

    assert asyncio.run(query()) == [1, 2, 3]

    [span] = telemetry.finished()
    assert (span.name, (span.attributes or {})["db.query.text"]) == ("UNWIND", "UNWIND range(?, ?) AS i RETURN i")


def test_explicit_transaction_queries_are_client_spans_in_its_database(
    driver: neo4j.Driver, telemetry: Telemetry
) -> None:
    with driver.session(database="neo4j") as session, session.begin_transaction() as tx:
        tx.run("CREATE (n:Scene {id: $id})", id=str(uuid.uuid4())).consume()
        tx.run("MATCH (n:Scene) RETURN count(n)").consume()
        tx.commit()

    spans = telemetry.finished()
    assert [(span.name, span.kind, (span.attributes or {})["db.namespace"]) for span in spans] == [
        ("CREATE Scene", SpanKind.CLIENT, "neo4j"),
        ("MATCH Scene", SpanKind.CLIENT, "neo4j"),
    ]


def test_execute_write_groups_its_queries_under_an_internal_span(driver: neo4j.Driver, telemetry: Telemetry) -> None:
    def work(tx: neo4j.ManagedTransaction) -> None:
        tx.run("MERGE (s:Scene {id: $id})", id="write-test").consume()
        tx.run("MATCH (s:Scene {id: $id}) SET s.seen = true", id="write-test").consume()

    with driver.session(database="neo4j") as session:
        session.execute_write(work)

    merge, match, parent = telemetry.finished()
    assert (parent.name, parent.kind, dict(parent.attributes or {})) == (
        "execute_write neo4j",
        SpanKind.INTERNAL,
        {"db.system.name": "neo4j", "db.namespace": "neo4j"},
    )
    assert [(span.name, span.kind) for span in (merge, match)] == [
        ("MERGE Scene", SpanKind.CLIENT),
        ("MATCH Scene SET", SpanKind.CLIENT),
    ]
    assert {span.parent.span_id for span in (merge, match) if span.parent} == {parent.context.span_id}


def test_async_execute_read_groups_its_queries_under_an_internal_span(
    neo4j_server: Neo4jServer, telemetry: Telemetry
) -> None:
    async def work(tx: neo4j.AsyncManagedTransaction) -> int:
        result = await tx.run("RETURN 7 AS n")
        record = await result.single()
        assert record is not None
        return int(record["n"])

    async def read() -> int:
        async with (
            neo4j.AsyncGraphDatabase.driver(neo4j_server.uri, auth=None) as driver,
            driver.session() as session,
        ):
            return await session.execute_read(work)

    assert asyncio.run(read()) == 7

    query, parent = telemetry.finished()
    assert (parent.name, parent.kind, query.name, query.kind) == (
        "execute_read neo4j",
        SpanKind.INTERNAL,
        "RETURN",
        SpanKind.CLIENT,
    )
    assert query.parent is not None and query.parent.span_id == parent.context.span_id


def test_each_query_records_its_duration(driver: neo4j.Driver, telemetry: Telemetry, neo4j_server: Neo4jServer) -> None:
    driver.execute_query("MATCH (n:Scene) RETURN count(n)", database_="neo4j")

    [point] = telemetry.durations()
    assert dict(point.attributes or {}) == {
        "db.system.name": "neo4j",
        "db.namespace": "neo4j",
        "db.operation.name": "MATCH",
        "db.query.summary": "MATCH Scene",
        **_server(neo4j_server),
    }
    assert point.count == 1
    assert list(point.explicit_bounds) == [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0]
    [span] = telemetry.finished()
    assert span.end_time is not None and span.start_time is not None
    assert 0 < point.sum <= (span.end_time - span.start_time) / 1e9


def test_a_syntax_error_marks_the_span_without_quoting_its_literals(
    driver: neo4j.Driver, telemetry: Telemetry, fake: Faker
) -> None:
    email = fake.email()
    first_line = f"CREATE (n:Scene {{contact: '{email}'}})"
    with driver.session() as session, pytest.raises(neo4j.exceptions.CypherSyntaxError):
        session.run(f"{first_line}\nRETRN n")

    [span] = telemetry.finished()
    attributes = dict(span.attributes or {})
    assert span.status.status_code is StatusCode.ERROR
    assert (attributes["error.type"], attributes["db.response.status_code"]) == (
        "Neo.ClientError.Statement.SyntaxError",
        "Neo.ClientError.Statement.SyntaxError",
    )
    [event] = span.events
    event_attributes = dict(event.attributes or {})
    message = str(event_attributes["exception.message"])
    assert (event.name, event_attributes["exception.type"]) == ("exception", "neo4j.exceptions.CypherSyntaxError")
    assert message.startswith("Invalid input ?: expected a graph pattern, 'FOREACH', ',', 'ORDER BY'")
    assert message.endswith(f'(line 2, column 1 (offset: {len(first_line) + 1}))\n"RETRN n"\n ^')
    assert str(event_attributes["exception.stacktrace"]).endswith(f"neo4j.exceptions.CypherSyntaxError: {message}\n")
    assert email not in span.to_json()


def test_an_error_without_a_neo4j_code_is_typed_by_its_class(telemetry: Telemetry) -> None:
    uri = f"bolt://127.0.0.1:{free_port()}"
    with (
        neo4j.GraphDatabase.driver(uri, auth=None, connection_timeout=2) as driver,
        driver.session() as session,
        pytest.raises(neo4j.exceptions.ServiceUnavailable),
    ):
        session.run("RETURN 1")

    [span] = telemetry.finished()
    attributes = dict(span.attributes or {})
    assert (span.status.status_code, attributes["error.type"]) == (
        StatusCode.ERROR,
        "neo4j.exceptions.ServiceUnavailable",
    )
    assert "db.response.status_code" not in attributes
    [point] = telemetry.durations()
    assert (point.attributes or {})["error.type"] == "neo4j.exceptions.ServiceUnavailable"


def test_an_application_error_in_a_transaction_function_is_recorded_redacted(
    driver: neo4j.Driver, telemetry: Telemetry, fake: Faker
) -> None:
    email = fake.email()

    def work(tx: neo4j.ManagedTransaction) -> None:
        raise LookupError(f"no scene for {email}")

    with driver.session(database="neo4j") as session, pytest.raises(LookupError, match=email):
        session.execute_read(work)

    [span] = telemetry.finished()
    [event] = span.events
    assert (span.name, span.status.status_code, (span.attributes or {})["error.type"]) == (
        "execute_read neo4j",
        StatusCode.ERROR,
        "LookupError",
    )
    assert (event.attributes or {})["exception.message"] == "no scene for [REDACTED:email]"


def test_no_literal_or_parameter_value_reaches_any_span_event_or_metric(
    driver: neo4j.Driver, telemetry: Telemetry, fake: Faker
) -> None:
    email, name, typed = fake.email(), fake.name(), fake.sentence(nb_words=8)
    age = fake.random_int(10**8, 10**9)  # nine digits: no timestamp, id or port holds them by chance
    driver.execute_query(
        f"CREATE (p:Player {{email: '{email}', name: \"{name}\", age: {age}}}) SET p.said = $said",
        said=typed,
        database_="neo4j",
    )
    with driver.session() as session:
        session.run("MATCH (p:Player {email: $email}) RETURN p", email=email).consume()
        session.execute_write(lambda tx: tx.run(f"MATCH (p:Player {{name: '{name}'}}) SET p.n = {age}").consume())
        with pytest.raises(neo4j.exceptions.Neo4jError):
            session.run(f"MATCH (p:Player {{said: '{typed}'}})\nRETURN p.name + \"{name}\" + {age} +")

    exported = [span.to_json() for span in telemetry.finished()]
    metrics = telemetry.metrics.get_metrics_data()
    assert len(exported) == 5 and metrics is not None
    everything = "\n".join([*exported, metrics.to_json()])
    assert [secret for secret in (email, name, typed, str(age)) if secret in everything] == []


def test_suppressed_instrumentation_records_nothing(driver: neo4j.Driver, telemetry: Telemetry) -> None:
    with suppress_instrumentation():
        driver.execute_query("RETURN 1")
        with driver.session() as session:
            session.execute_read(lambda tx: tx.run("RETURN 1").consume())

    assert (telemetry.finished(), telemetry.durations()) == ([], [])


def test_a_failure_inside_the_instrumentation_never_reaches_the_application(
    driver: neo4j.Driver, telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(query: str) -> tuple[str | None, str | None, str]:
        raise RuntimeError("instrumentation bug")

    monkeypatch.setattr(wrappers, "_describe", broken)

    records, _, _ = driver.execute_query("RETURN 1 AS one")

    assert [record["one"] for record in records] == [1]
    assert telemetry.finished() == []


def test_uninstrument_restores_every_original_function(neo4j_server: Neo4jServer) -> None:
    originals = [vars(owner)[name] for owner, name in WRAPPED]
    telemetry = _instrument()
    assert [vars(owner)[name] is original for (owner, name), original in zip(WRAPPED, originals, strict=True)] == [
        False
    ] * len(WRAPPED)

    Neo4jInstrumentor().uninstrument()

    assert [vars(owner)[name] for owner, name in WRAPPED] == originals
    assert all(vars(owner)[name] is original for (owner, name), original in zip(WRAPPED, originals, strict=True))
    with neo4j.GraphDatabase.driver(neo4j_server.uri, auth=None) as driver:
        driver.execute_query("RETURN 1")
    assert (telemetry.finished(), telemetry.durations()) == ([], [])
