"""Semantic-convention attributes from a redis-py client's connection settings."""

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
