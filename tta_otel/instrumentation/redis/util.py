"""Semantic-convention attributes and the pool name from a redis-py client's connection settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULT_HOST = "localhost"
DEFAULT_PORT = 6379


def server_attributes(connection_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``server.address`` and ``server.port`` (a Unix socket's path and no port), and ``db.namespace``.

    Read from ``ConnectionPool.connection_kwargs``: the server a client talks to, never its
    credentials.
    """
    attributes: dict[str, Any] = {}
    if "path" in connection_kwargs:
        attributes["server.address"] = connection_kwargs["path"]
    else:
        attributes["server.address"] = connection_kwargs.get("host", DEFAULT_HOST)
        attributes["server.port"] = connection_kwargs.get("port", DEFAULT_PORT)
    attributes["db.namespace"] = str(connection_kwargs.get("db") or 0)
    return attributes


def pool_name(pool: Any) -> str:
    """``<host>:<port>/<db>``, or ``<socket path>/<db>``: the pool's server, never its credentials."""
    server = server_attributes(pool.connection_kwargs)
    address = (
        server["server.address"]
        if "server.port" not in server
        else f"{server['server.address']}:{server['server.port']}"
    )
    return f"{address}/{server['db.namespace']}"
