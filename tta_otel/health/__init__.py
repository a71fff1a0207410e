"""Dependency health: periodic checks of what a TTA service needs, as metrics and a readiness probe.

Usage::

    from tta_otel import health
    from tta_otel.health.routes import router   # FastAPI: /healthz and /readyz

    app.include_router(router)
    health.register("openai", "llm", lambda: client.models.list())   # anything else, by hand

Redis and Neo4j need no code: under ``opentelemetry-instrument`` every redis-py connection pool
(sync and asyncio) and every Neo4j driver that tta_otel's instrumentations see being created
is registered, held by weak reference, and checked with a ``PING`` or ``verify_connectivity()``
on a connection of the check's own (``tta_otel.instrumentation.redis.health``,
``tta_otel.instrumentation.neo4j.health``).

The configurator starts the checks with ``monitoring.health`` of ``tta_config.yaml``
(``interval_s``, default 15; ``timeout_s``, default 5) and stops them at shutdown; a service
run without ``opentelemetry-instrument`` calls ``health.start()`` itself. A check that raises,
returns ``False`` or exceeds its timeout is down; nothing it raises reaches the service.

Exported: ``tta.dependency.up`` (gauge, 0 or 1; Prometheus ``tta_dependency_up``) and
``tta.dependency.check.duration`` (histogram, seconds), both by ``tta.dependency.name`` and
``tta.dependency.type``. Details: docs/health.md.
"""

from __future__ import annotations

import atexit
import logging
import threading

from opentelemetry.metrics import MeterProvider, get_meter

from tta_otel import __version__
from tta_otel.health.checker import DEFAULT_INTERVAL_S, DEFAULT_TIMEOUT_S, HealthChecker
from tta_otel.health.metrics import HealthMetrics
from tta_otel.health.registry import Check, Registry, Status

_logger = logging.getLogger(__name__)

registry = Registry()
"""The process's dependencies: what the instrumentations and ``register`` add, what ``/readyz`` reads."""


class _Running:
    """The process's checker, started at most once at a time."""

    lock = threading.Lock()
    checker: HealthChecker | None = None
    stop_at_exit = False


def register(name: str, type: str, check: Check) -> bool:
    """Check ``check()`` periodically as dependency ``name`` of type ``type``; see ``Registry.register``."""
    return registry.register(name, type, check)


def unregister(name: str, type: str) -> None:
    registry.unregister(name, type)


def statuses() -> list[Status]:
    """Each dependency's last result."""
    return registry.statuses()


def ready(found: list[Status] | None = None) -> bool:
    """Every registered dependency's last check was up (none checked yet: not ready)."""
    return all(status.up for status in (statuses() if found is None else found))


def start(
    interval_s: float = DEFAULT_INTERVAL_S,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    meter_provider: MeterProvider | None = None,
) -> bool:
    """Start checking the registry's dependencies; returns whether checks run now. A second call
    while they run changes nothing; a bad setting is logged and the checks do not start."""
    with _Running.lock:
        if _Running.checker is not None and _Running.checker.running:
            return True
        try:
            meter = get_meter(__name__, __version__, meter_provider)
            checker = HealthChecker(registry, HealthMetrics(meter, registry), interval_s, timeout_s)
            checker.start()
        except Exception:
            _logger.exception("tta_otel: dependency health checks could not start")
            return False
        _Running.checker = checker
        if not _Running.stop_at_exit:
            atexit.register(stop)
            _Running.stop_at_exit = True
        return True


def running() -> bool:
    """Whether the periodic checks run (``start`` was called, ``stop`` was not)."""
    with _Running.lock:
        return _Running.checker is not None and _Running.checker.running


def stop() -> None:
    """Stop the periodic checks; the last results stay readable."""
    with _Running.lock:
        checker, _Running.checker = _Running.checker, None
    if checker is not None:
        checker.stop()


__all__ = ["Registry", "Status", "ready", "register", "registry", "running", "start", "statuses", "stop", "unregister"]
