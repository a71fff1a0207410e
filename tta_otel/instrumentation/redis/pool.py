"""Connection-pool usage of redis-py clients (sync and asyncio), as the database client
semantic conventions name it.

``opentelemetry-instrument`` enables it (entry point ``redis_pool``); by hand::

    from tta_otel.instrumentation.redis.pool import RedisPoolInstrumentor

    RedisPoolInstrumentor().instrument(meter_provider=meter_provider)

Instruments, observed at each collection:

- ``db.client.connection.count`` (``{connection}``), with ``db.client.connection.state``
  (``idle`` or ``used``) and ``db.client.connection.pool.name``;
- ``db.client.connection.max`` (``{connection}``), with ``db.client.connection.pool.name``.

A pool is named ``<host>:<port>/<db>`` (``<socket path>/<db>`` over a Unix socket), as the
conventions suggest when the pool has no name of its own; pools with the same name are
added up. Pools are found by wrapping ``ConnectionPool.__init__`` and held by weak
reference, so a pool that the application drops is collected and stops being reported.
redis-py keeps its counts in private attributes (``_available_connections``,
``_in_use_connections``; ``pool`` and ``_connections`` for the sync
``BlockingConnectionPool``): they are read defensively, and a pool whose counts cannot be
read is left out of that collection rather than failing it. A pool created inside
``suppress_instrumentation()`` (e.g. by an exporter's own client) is not tracked.

The pools it tracks are also registered for dependency health checks (``health``, a ``PING``
off the request path, by weak reference too).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Collection, Iterable
from typing import Any, Final

import redis.asyncio.connection
import redis.connection
from opentelemetry import metrics
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.utils import is_instrumentation_enabled, unwrap
from opentelemetry.metrics import CallbackOptions, Observation
from wrapt import wrap_function_wrapper

from tta_otel import __version__, instruments
from tta_otel.instrumentation.redis.health import watch_pool
from tta_otel.instrumentation.redis.package import _instruments
from tta_otel.instrumentation.redis.util import pool_name
from tta_otel.semconv import (
    DB_CLIENT_CONNECTION_COUNT,
    DB_CLIENT_CONNECTION_MAX,
    DB_CLIENT_CONNECTION_POOL_NAME,
    DB_CLIENT_CONNECTION_STATE,
)

POOL_NAME: Final = DB_CLIENT_CONNECTION_POOL_NAME
STATE: Final = DB_CLIENT_CONNECTION_STATE

_POOL_CLASSES = (redis.connection.ConnectionPool, redis.asyncio.connection.ConnectionPool)

_logger = logging.getLogger(__name__)


def pool_usage(pool: Any) -> tuple[int, int]:
    """(idle, used) connections of a redis-py pool, from its private attributes."""
    available = getattr(pool, "_available_connections", None)
    in_use = getattr(pool, "_in_use_connections", None)
    if available is not None and in_use is not None:
        return len(available), len(in_use)
    idle = sum(1 for connection in list(pool.pool.queue) if connection is not None)  # sync BlockingConnectionPool
    return idle, len(pool._connections) - idle


class RedisPoolInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Reports how many connections each redis-py pool holds, idle and in use, and its limit."""

    _pools: weakref.WeakValueDictionary[int, Any]

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def _instrument(self, **kwargs: Any) -> None:
        self._pools = weakref.WeakValueDictionary()
        meter = metrics.get_meter(__name__, __version__, kwargs.get("meter_provider"))
        instruments.observe(meter, DB_CLIENT_CONNECTION_COUNT, [self._observe_count])
        instruments.observe(meter, DB_CLIENT_CONNECTION_MAX, [self._observe_max])
        for pool_class in _POOL_CLASSES:
            wrap_function_wrapper(pool_class, "__init__", self._track)

    def _uninstrument(self, **kwargs: Any) -> None:
        for pool_class in _POOL_CLASSES:
            unwrap(pool_class, "__init__")
        self._pools = weakref.WeakValueDictionary()

    def _track(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> None:
        wrapped(*args, **kwargs)
        if is_instrumentation_enabled():
            self._pools[id(instance)] = instance
            try:
                watch_pool(instance)
            except Exception:  # a pool that cannot be named is simply not checked
                _logger.debug("tta_otel: a redis pool could not be registered for health checks", exc_info=True)

    def _totals(self) -> dict[str, tuple[int, int, int]]:
        """(idle, used, max) per pool name; a pool that cannot be read is skipped."""
        totals: dict[str, tuple[int, int, int]] = {}
        for pool in list(self._pools.values()):
            try:
                name = pool_name(pool)
                idle, used = pool_usage(pool)
                limit = pool.max_connections if isinstance(pool.max_connections, int) else 0
            except Exception:
                _logger.debug("tta_otel: a redis pool's counts could not be read", exc_info=True)
                continue
            before = totals.get(name, (0, 0, 0))
            totals[name] = (before[0] + idle, before[1] + used, before[2] + limit)
        return totals

    def _observe_count(self, options: CallbackOptions) -> Iterable[Observation]:
        observations = []
        for name, (idle, used, _) in self._totals().items():
            observations.append(Observation(idle, {STATE: "idle", POOL_NAME: name}))
            observations.append(Observation(used, {STATE: "used", POOL_NAME: name}))
        return observations

    def _observe_max(self, options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(limit, {POOL_NAME: name}) for name, (_, _, limit) in self._totals().items() if limit]


__all__ = ["RedisPoolInstrumentor", "pool_name", "pool_usage"]
