"""Registers the redis-py connection pools that ``RedisPoolInstrumentor`` sees for health checks.

Each pool becomes dependency ``<host>:<port>/<db>`` (``<socket path>/<db>``: the pool's name in
``db.client.connection.pool.name``, never its credentials) of type ``redis``, held by weak
reference (``tta_otel.health``). Its check sends ``PING`` over a one-connection pool of its own,
built from the pool's connection class and settings, and closes it: a check never takes a
connection the application is waiting for, never touches an asyncio pool from another event
loop, and sees a new connection fail when the server is gone, where a pooled connection could
still look open. Pools of Sentinel or cluster clients (other pool classes) are not registered:
register them with ``tta_otel.health.register``.
"""

from __future__ import annotations

from typing import Any, Final

import redis
import redis.asyncio

from tta_otel import health
from tta_otel.instrumentation.redis.util import pool_name

DEPENDENCY_TYPE: Final = "redis"
SOCKET_TIMEOUT_S: Final = 10.0
"""Bounds a check's thread when the server stops answering; the checker's own timeout decides up or down."""

_SYNC_POOLS: Final = (redis.ConnectionPool, redis.BlockingConnectionPool)
_ASYNC_POOLS: Final = (redis.asyncio.ConnectionPool, redis.asyncio.BlockingConnectionPool)


_SETTINGS: Final = frozenset(
    {"host", "port", "path", "db", "username", "password", "credential_provider", "client_name", "protocol"}
)
"""The connection settings a check copies (and every ``ssl_*`` one); redis-py's internal ones (the
maintenance-notification handler bound to the original pool, ...) stay with the original."""


def _settings(pool: Any) -> dict[str, Any]:
    return {
        **{key: value for key, value in pool.connection_kwargs.items() if key in _SETTINGS or key.startswith("ssl_")},
        "connection_class": pool.connection_class,
        "max_connections": 1,
        "socket_timeout": SOCKET_TIMEOUT_S,
        "socket_connect_timeout": SOCKET_TIMEOUT_S,
    }


async def _ping_async(settings: dict[str, Any]) -> None:
    client = redis.asyncio.Redis(connection_pool=redis.asyncio.ConnectionPool(**settings))
    try:
        await client.ping()
    finally:
        await client.aclose()
        await client.connection_pool.disconnect()


def ping(pool: Any) -> object:
    """``PING`` the server of ``pool`` on a connection of the check's own; a coroutine for an asyncio pool."""
    settings = _settings(pool)
    if isinstance(pool, redis.asyncio.ConnectionPool):
        return _ping_async(settings)
    client = redis.Redis(connection_pool=redis.ConnectionPool(**settings))
    try:
        return client.ping()
    finally:
        client.close()
        client.connection_pool.disconnect()


def watch_pool(pool: Any) -> None:
    """Register ``pool`` (by weak reference) when it is a plain or blocking pool, sync or asyncio."""
    if type(pool) in (*_SYNC_POOLS, *_ASYNC_POOLS):
        health.registry.watch(pool, pool_name(pool), DEPENDENCY_TYPE, ping)


__all__ = ["DEPENDENCY_TYPE", "ping", "watch_pool"]
