"""The Neo4j test server is a real Neo4j 5: the official driver, sync and async, runs
Cypher against it over Bolt on loopback, without credentials."""

from __future__ import annotations

import asyncio
import uuid

import neo4j
import pytest

from tta_otel.testing.neo4j_server import Neo4jServer

pytestmark = pytest.mark.integration
# Registers the session fixture here too, until a conftest does; a plugin registers once.
pytest_plugins = ["tests.neo4j_fixture"]


def test_the_sync_driver_writes_and_reads_a_node(neo4j_server: Neo4jServer) -> None:
    title = f"scene-{uuid.uuid4()}"
    assert neo4j_server.uri == f"bolt://127.0.0.1:{neo4j_server.port}"
    with neo4j.GraphDatabase.driver(neo4j_server.uri, auth=None) as driver:
        driver.verify_connectivity()
        created = driver.execute_query("CREATE (n:Scene {title: $t}) RETURN n.title AS title", t=title)
        found = driver.execute_query("MATCH (n:Scene {title: $t}) RETURN count(n) AS count", t=title)

    assert [record["title"] for record in created.records] == [title]
    assert found.records[0]["count"] == 1
    assert created.summary.server.agent.startswith("Neo4j/5.")
    assert created.summary.counters.nodes_created == 1


def test_the_async_driver_writes_and_reads_a_node(neo4j_server: Neo4jServer) -> None:
    title = f"scene-{uuid.uuid4()}"

    async def roundtrip() -> list[str]:
        async with neo4j.AsyncGraphDatabase.driver(neo4j_server.uri, auth=None) as driver:
            await driver.execute_query("CREATE (n:Scene {title: $t})", t=title)
            async with driver.session() as session:
                result = await session.run("MATCH (n:Scene {title: $t}) RETURN n.title AS title", t=title)
                return [record["title"] async for record in result]

    assert asyncio.run(roundtrip()) == [title]
