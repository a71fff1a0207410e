"""A real Neo4j 5 server for the tests that need one, shared by the whole session: it takes
about ten seconds to start (minutes the first time, when Maven builds it).

Register it in a conftest with ``pytest_plugins = ["tests.neo4j_fixture"]``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tta_otel.testing.neo4j_server import Neo4jServer
from tta_otel.testing.neo4j_server import neo4j_server as running_neo4j_server


@pytest.fixture(scope="session")
def neo4j_server() -> Iterator[Neo4jServer]:
    """A throw-away Neo4j with Bolt on loopback and authentication disabled (``auth=None``).

    Shared by the session, so tests must not assume an empty database: give each test's
    nodes a label or property of its own.
    """
    with running_neo4j_server() as server:
        yield server
