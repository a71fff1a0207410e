"""Registers the Neo4j drivers that ``Neo4jInstrumentor`` sees being created for health checks.

``GraphDatabase.driver`` and ``AsyncGraphDatabase.driver`` are wrapped; each driver becomes
dependency ``<host>:<port>`` of its URI (never the user or password a URI may carry) of type
``neo4j``, held by weak reference (``tta_otel.health``). A sync driver, safe to share between
threads, is checked with its own ``verify_connectivity()``. An async driver belongs to the
application's event loop, so its check opens a short-lived async driver with the same URI and
settings on the checker's own loop, verifies connectivity and closes it. A driver created inside
``suppress_instrumentation()`` (such as that short-lived one) is not registered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import urlsplit

import neo4j
from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from tta_otel import health

DEPENDENCY_TYPE: Final = "neo4j"
DEFAULT_PORT: Final = 7687

_logger = logging.getLogger(__name__)


def dependency_name(uri: str) -> str:
    """``<host>:<port>`` of a Bolt or Neo4j URI, without credentials or routing context."""
    parts = urlsplit(uri)
    return f"{parts.hostname or 'localhost'}:{parts.port or DEFAULT_PORT}"


def verify(driver: Any) -> None:
    """A sync driver's check."""
    driver.verify_connectivity()


def async_verifier(uri: str, settings: dict[str, Any]) -> Callable[[Any], object]:
    """An async driver's check: a driver of the check's own, with the application driver's settings."""

    async def check() -> None:
        async with neo4j.AsyncGraphDatabase.driver(uri, **settings) as driver:
            await driver.verify_connectivity()

    return lambda _driver: check()


def track_driver(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The wrapper of ``GraphDatabase.driver`` and ``AsyncGraphDatabase.driver``: the driver, registered."""
    driver = wrapped(*args, **kwargs)
    if is_instrumentation_enabled():
        try:
            uri = args[0] if args else kwargs["uri"]
            settings = {key: value for key, value in kwargs.items() if key != "uri"}
            probe = async_verifier(uri, settings) if isinstance(driver, neo4j.AsyncDriver) else verify
            health.registry.watch(driver, dependency_name(uri), DEPENDENCY_TYPE, probe)
        except Exception:  # a driver that cannot be registered is simply not checked
            _logger.debug("tta_otel: a Neo4j driver could not be registered for health checks", exc_info=True)
    return driver


__all__ = ["DEPENDENCY_TYPE", "async_verifier", "dependency_name", "track_driver", "verify"]
