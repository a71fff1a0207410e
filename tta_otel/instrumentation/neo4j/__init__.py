"""OpenTelemetry instrumentation for the official ``neo4j`` Python driver (5.x and 6.x, sync and async).

Usage::

    from tta_otel.instrumentation.neo4j import Neo4jInstrumentor

    Neo4jInstrumentor().instrument()  # or tracer_provider=..., meter_provider=...

``opentelemetry-instrument`` enables it on its own when ``neo4j`` is installed (entry point
``neo4j`` in the ``opentelemetry_instrumentor`` group); ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=neo4j``
turns it off.

Each query is one CLIENT span, named by its ``db.query.summary`` (``MATCH Scene``; ``neo4j``
when the query names no clause), with the database conventions' attributes: ``db.system.name``
(``neo4j``), ``db.namespace`` (the database, when the application chose it or the server
reported it), ``db.operation.name`` (``MATCH``), ``db.query.summary``, ``db.query.text`` with
every literal replaced by ``?`` and comments removed, ``server.address`` and ``server.port``.
Query parameters and their values are never recorded. On failure the span gets
``error.type`` (the Neo4j error code, such as ``Neo.ClientError.Statement.SyntaxError``, else
the exception's class), ``db.response.status_code`` (the Neo4j error code) and an exception
event whose message and stack trace are stripped of literals and of source lines, then passed
through the privacy redactor. ``db.client.operation.duration`` (seconds) records every query
with the same low-cardinality attributes.

Instrumented: ``Driver.execute_query``, ``Session.run``, ``Transaction.run`` (explicit and
managed) and ``Session.execute_read`` / ``execute_write`` (an INTERNAL span named
``execute_read <database>`` that groups the queries of every retry), and their async twins.
``wrappers`` says what each span measures; for ``Session.run`` it is the call, not the
streaming of the lazy result. The driver's connection pool is not measured: the driver
exposes no public pool state, and reading its private pool from a metrics callback would
break silently with any driver release.

Every driver made by ``GraphDatabase.driver`` or ``AsyncGraphDatabase.driver`` is also registered
for dependency health checks (``health``: ``verify_connectivity()`` off the request path, the
driver held by weak reference).
"""

from __future__ import annotations

import importlib
from collections.abc import Collection
from typing import Any

import wrapt
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.utils import unwrap
from opentelemetry.metrics import get_meter
from opentelemetry.semconv.schemas import Schemas
from opentelemetry.trace import get_tracer

from tta_otel import __version__
from tta_otel.instrumentation.neo4j.package import _instruments

_DRIVER_FACTORIES = ("GraphDatabase", "AsyncGraphDatabase")


class Neo4jInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Traces and times the queries made through the ``neo4j`` driver, never their values."""

    _wrapped: list[tuple[type, str]]
    _factories: list[Any]

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def _instrument(self, **kwargs: Any) -> None:
        from tta_otel.instrumentation.neo4j import health, wrappers

        tracer = get_tracer(__name__, __version__, kwargs.get("tracer_provider"), schema_url=Schemas.V1_33_0.value)
        meter = get_meter(__name__, __version__, kwargs.get("meter_provider"), schema_url=Schemas.V1_33_0.value)
        self._wrapped = []
        for module, cls, method, wrapper in wrappers.plan(wrappers.Neo4jTelemetry(tracer, meter)):
            owner = getattr(importlib.import_module(module), cls)
            if method in vars(owner):  # execute_query came with neo4j 5.5
                wrapt.wrap_function_wrapper(owner, method, wrapper)
                self._wrapped.append((owner, method))
        self._factories = []
        for factory in _DRIVER_FACTORIES:
            owner = getattr(importlib.import_module("neo4j"), factory)
            wrapt.wrap_function_wrapper(owner, "driver", health.track_driver)
            self._factories.append(owner)

    def _uninstrument(self, **kwargs: Any) -> None:
        for owner, method in self._wrapped:
            unwrap(owner, method)
        self._wrapped = []
        for owner in self._factories:
            # The classmethod itself, not the method bound to ``owner`` that ``unwrap`` would restore.
            owner.driver = vars(owner)["driver"].__wrapped__
        self._factories = []
