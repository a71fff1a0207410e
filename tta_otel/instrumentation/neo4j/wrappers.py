"""The wrappers that turn ``neo4j`` driver calls into spans and ``db.client.operation.duration``.

What a span measures:

- ``Driver.execute_query``: the whole call, retries and the ``result_transformer_`` included;
  it returns an eager result, so the span ends when every record is in memory.
- ``Session.run`` and ``Transaction.run`` (explicit and managed): the call itself, that is
  sending the query and waiting for the server's answer to RUN (the query parsed, planned
  and started, or its error). The driver returns a lazy ``Result`` whose records stream in
  as the application reads them; the span does not wait for that. Ending it on consumption
  would need a wrapper around every ``Result``, would leave spans open for results never
  consumed, and would time the application's own work between records. Errors the server
  reports only while records stream (or at commit) therefore do not mark these spans.
- ``Session.execute_read`` / ``execute_write``: an INTERNAL span around the transaction
  function, its retries and the commit, so the queries of every attempt group under it.

A query span suppresses the query spans of the calls it makes (``execute_query`` runs its
query through a managed ``tx.run``), so each query is one CLIENT span.

The driver keeps the database, the address and the server's answer in private attributes;
they are read defensively (a missing one only leaves its attribute out), and no failure of
this module reaches the application: each step logs at debug level and the wrapped call goes
on. The wrapped call's own exceptions propagate unchanged.
"""

from __future__ import annotations

import functools
import logging
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from neo4j.exceptions import Neo4jError
from opentelemetry import context, trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.metrics import Histogram, Meter
from opentelemetry.semconv.attributes.db_attributes import (
    DB_NAMESPACE,
    DB_OPERATION_NAME,
    DB_QUERY_SUMMARY,
    DB_QUERY_TEXT,
    DB_RESPONSE_STATUS_CODE,
    DB_SYSTEM_NAME,
)
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.semconv.attributes.exception_attributes import EXCEPTION_MESSAGE, EXCEPTION_STACKTRACE
from opentelemetry.semconv.attributes.server_attributes import SERVER_ADDRESS, SERVER_PORT
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from opentelemetry.util.types import AttributeValue

from tta_otel import instruments, privacy
from tta_otel.error_type import error_type
from tta_otel.instrumentation.neo4j.cypher import operation_name, query_summary, redact_error_message, redact_literals
from tta_otel.semconv import DB_CLIENT_OPERATION_DURATION

_logger = logging.getLogger(__name__)

DB_SYSTEM = "neo4j"
_IN_QUERY = context.create_key("tta_otel.neo4j.in_query")
_QUERY_CACHE_SIZE = 512

_P = ParamSpec("_P")
_R = TypeVar("_R")
Attributes = dict[str, AttributeValue]
Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]


def _never_raises(function: Callable[_P, _R]) -> Callable[_P, _R | None]:
    """``function``, returning None instead of raising: telemetry must never break a query."""

    @functools.wraps(function)
    def guarded(*args: _P.args, **kwargs: _P.kwargs) -> _R | None:
        try:
            return function(*args, **kwargs)
        except Exception:
            _logger.debug("neo4j instrumentation: %s failed", function.__name__, exc_info=True)
            return None

    return guarded


def _path(obj: Any, path: str) -> Any:
    """``obj.a.b`` for ``path`` ``"a.b"``, or None when any step is missing."""
    for name in path.split("."):
        obj = getattr(obj, name, None)
    return obj


def _argument(args: tuple[Any, ...], kwargs: dict[str, Any], position: int, name: str) -> Any:
    return args[position] if len(args) > position else kwargs.get(name)


@functools.lru_cache(maxsize=_QUERY_CACHE_SIZE)
def _describe(query: str) -> tuple[str | None, str | None, str]:
    """Operation name, summary and redacted text of a query; queries repeat, so this is cached."""
    return operation_name(query), query_summary(query), redact_literals(query)


def _error_type(exc: BaseException) -> str:
    """``error.type``: the Neo4j error code when the server sent one, else the exception's class."""
    code = exc.code if isinstance(exc, Neo4jError) else None
    return code or error_type(exc)


def _record_error(span: trace.Span, exc: BaseException, query: str | None) -> None:
    """Error attributes, status and an exception event whose message and stack trace hold no
    literal: the message goes through ``redact_error_message`` and the privacy redactor, and
    the stack trace names files, lines and functions without their source text (a source line
    may hold the query)."""
    raw = exc.message if isinstance(exc, Neo4jError) and isinstance(exc.message, str) else str(exc)
    message = privacy.redact(redact_error_message(raw, query))
    frames = "".join(
        f'  File "{frame.f_code.co_filename}", line {line}, in {frame.f_code.co_name}\n'
        for frame, line in traceback.walk_tb(exc.__traceback__)
    )
    stacktrace = f"Traceback (most recent call last):\n{frames}{error_type(exc)}: {message}\n"
    span.record_exception(exc, attributes={EXCEPTION_MESSAGE: message, EXCEPTION_STACKTRACE: stacktrace})
    span.set_attribute(ERROR_TYPE, _error_type(exc))
    if isinstance(exc, Neo4jError) and exc.code:
        span.set_attribute(DB_RESPONSE_STATUS_CODE, exc.code)
    span.set_status(Status(StatusCode.ERROR))


@dataclass(frozen=True, slots=True)
class Request:
    """What a call says about its query before it runs."""

    query: str | None
    database: str | None
    address: Any  # a neo4j Address: a (host, port) tuple with .host and .port


def execute_query_request(instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request:
    return Request(
        _argument(args, kwargs, 0, "query_"), _argument(args, kwargs, 3, "database_"), _path(instance, "_pool.address")
    )


def session_run_request(instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request:
    return Request(
        _argument(args, kwargs, 0, "query"), _path(instance, "_config.database"), _path(instance, "_pool.address")
    )


def transaction_run_request(instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request:
    return Request(
        _argument(args, kwargs, 0, "query"),
        _path(instance, "_database"),
        _path(instance, "_connection.unresolved_address"),
    )


Describer = Callable[[Any, tuple[Any, ...], dict[str, Any]], Request]


def _reported_database(result: Any) -> Any:
    """The database the server ran the query in: an eager result's summary (public), or the
    RUN response that a lazy ``Result`` keeps (private)."""
    summary = getattr(result, "summary", None)
    if summary is not None:
        return getattr(summary, "database", None)
    metadata = getattr(result, "_metadata", None)
    return metadata.get("db") if isinstance(metadata, dict) else None


class _Call:
    """One instrumented call: its span, the context it runs in and, for a query, its metric."""

    def __init__(self, span: trace.Span, query: str | None, metric: tuple[Histogram, Attributes] | None) -> None:
        self.span = span
        self.query = query
        self.metric = metric
        self.context = context.set_value(_IN_QUERY, metric is not None, trace.set_span_in_context(span))
        self.started = time.perf_counter()

    @_never_raises
    def succeed(self, result: Any) -> None:
        try:
            if self.metric is not None and DB_NAMESPACE not in self.metric[1]:
                database = _reported_database(result)
                if isinstance(database, str) and database:
                    self.span.set_attribute(DB_NAMESPACE, database)
                    self.metric[1][DB_NAMESPACE] = database
        finally:
            self._end()

    @_never_raises
    def fail(self, exc: BaseException) -> None:
        try:
            if self.metric is not None:
                self.metric[1][ERROR_TYPE] = _error_type(exc)
                if isinstance(exc, Neo4jError) and exc.code:
                    self.metric[1][DB_RESPONSE_STATUS_CODE] = exc.code
            _record_error(self.span, exc, self.query)
        finally:
            self._end()

    def _end(self) -> None:
        if self.metric is not None:
            histogram, attributes = self.metric
            histogram.record(time.perf_counter() - self.started, attributes)
        self.span.end()


class Neo4jTelemetry:
    """Builds the wrappers, all sharing one tracer and one duration histogram."""

    def __init__(self, tracer: Tracer, meter: Meter) -> None:
        self._tracer = tracer
        self._duration = instruments.histogram(meter, DB_CLIENT_OPERATION_DURATION)

    @_never_raises
    def _start_query(self, describe: Describer, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Call:
        request = describe(instance, args, kwargs)
        text = getattr(request.query, "text", request.query)  # a neo4j.Query carries its text
        query = text if isinstance(text, str) else None
        operation, summary, redacted = _describe(query) if query is not None else (None, None, None)
        attributes: Attributes = {DB_SYSTEM_NAME: DB_SYSTEM}
        if isinstance(request.database, str) and request.database:
            attributes[DB_NAMESPACE] = request.database
        if operation:
            attributes[DB_OPERATION_NAME] = operation
        if summary:
            attributes[DB_QUERY_SUMMARY] = summary
        host, port = _path(request.address, "host"), _path(request.address, "port")
        if isinstance(host, str) and host:
            attributes[SERVER_ADDRESS] = host
        if isinstance(port, int):
            attributes[SERVER_PORT] = port
        span_attributes = dict(attributes)
        if redacted is not None:
            span_attributes[DB_QUERY_TEXT] = redacted
        span = self._tracer.start_span(summary or DB_SYSTEM, kind=SpanKind.CLIENT, attributes=span_attributes)
        return _Call(span, query, (self._duration, attributes))

    @_never_raises
    def _start_transaction_function(self, method: str, instance: Any) -> _Call:
        database = _path(instance, "_config.database")
        attributes: Attributes = {DB_SYSTEM_NAME: DB_SYSTEM}
        if isinstance(database, str) and database:
            attributes[DB_NAMESPACE] = database
        span = self._tracer.start_span(
            f"{method} {attributes.get(DB_NAMESPACE, DB_SYSTEM)}", kind=SpanKind.INTERNAL, attributes=attributes
        )
        return _Call(span, None, None)

    def query(self, describe: Describer) -> Wrapper:
        """A wrapper giving each call of a query method a CLIENT span and a duration."""

        def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            if context.get_value(_IN_QUERY) or not is_instrumentation_enabled():
                return wrapped(*args, **kwargs)
            return _run(self._start_query(describe, instance, args, kwargs), wrapped, args, kwargs)

        return wrapper

    def async_query(self, describe: Describer) -> Wrapper:
        """``query`` for the coroutine methods of the async driver."""

        async def wrapper(
            wrapped: Callable[..., Awaitable[Any]], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
        ) -> Any:
            if context.get_value(_IN_QUERY) or not is_instrumentation_enabled():
                return await wrapped(*args, **kwargs)
            return await _run_async(self._start_query(describe, instance, args, kwargs), wrapped, args, kwargs)

        return wrapper

    def transaction_function(self, method: str) -> Wrapper:
        """A wrapper giving ``execute_read`` / ``execute_write`` an INTERNAL span."""

        def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            if not is_instrumentation_enabled():
                return wrapped(*args, **kwargs)
            return _run(self._start_transaction_function(method, instance), wrapped, args, kwargs)

        return wrapper

    def async_transaction_function(self, method: str) -> Wrapper:
        """``transaction_function`` for the async driver."""

        async def wrapper(
            wrapped: Callable[..., Awaitable[Any]], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
        ) -> Any:
            if not is_instrumentation_enabled():
                return await wrapped(*args, **kwargs)
            return await _run_async(self._start_transaction_function(method, instance), wrapped, args, kwargs)

        return wrapper


def _run(call: _Call | None, wrapped: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if call is None:
        return wrapped(*args, **kwargs)
    token = context.attach(call.context)
    try:
        result = wrapped(*args, **kwargs)
    except BaseException as exc:  # a cancelled call (CancelledError) must end its span too
        call.fail(exc)
        raise
    finally:
        context.detach(token)
    call.succeed(result)
    return result


async def _run_async(
    call: _Call | None, wrapped: Callable[..., Awaitable[Any]], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    if call is None:
        return await wrapped(*args, **kwargs)
    token = context.attach(call.context)
    try:
        result = await wrapped(*args, **kwargs)
    except BaseException as exc:  # a cancelled call (CancelledError) must end its span too
        call.fail(exc)
        raise
    finally:
        context.detach(token)
    call.succeed(result)
    return result


def plan(telemetry: Neo4jTelemetry) -> list[tuple[str, str, str, Wrapper]]:
    """(module, class, method, wrapper) for each method to wrap, in the class that defines it."""
    return [
        ("neo4j._sync.driver", "Driver", "execute_query", telemetry.query(execute_query_request)),
        ("neo4j._sync.work.session", "Session", "run", telemetry.query(session_run_request)),
        ("neo4j._sync.work.transaction", "TransactionBase", "run", telemetry.query(transaction_run_request)),
        ("neo4j._sync.work.session", "Session", "execute_read", telemetry.transaction_function("execute_read")),
        ("neo4j._sync.work.session", "Session", "execute_write", telemetry.transaction_function("execute_write")),
        ("neo4j._async.driver", "AsyncDriver", "execute_query", telemetry.async_query(execute_query_request)),
        ("neo4j._async.work.session", "AsyncSession", "run", telemetry.async_query(session_run_request)),
        (
            "neo4j._async.work.transaction",
            "AsyncTransactionBase",
            "run",
            telemetry.async_query(transaction_run_request),
        ),
        (
            "neo4j._async.work.session",
            "AsyncSession",
            "execute_read",
            telemetry.async_transaction_function("execute_read"),
        ),
        (
            "neo4j._async.work.session",
            "AsyncSession",
            "execute_write",
            telemetry.async_transaction_function("execute_write"),
        ),
    ]
