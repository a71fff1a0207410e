"""Error tracking: every exception gets a fingerprint, a counter, and a log record.

Instrumentations record exceptions with ``Span.record_exception``; the tracker wraps that
method of the SDK's span, so whichever instrumentation records an error (FastAPI, Neo4j,
``tta_otel.ai``), the exception event carries ``tta.error.fingerprint`` and
``tta.error.critical``, ``tta.errors`` counts it, and a log record with its type, message
and stack trace (redacted by the exporters like every record) links it to the trace.
Exceptions that the application logs itself (``logger.exception``) get the same attributes
from ``ErrorLogProcessor``. An error seen by both paths within one span counts once.

Fingerprints come from the exception object (``tta_otel.errors.fingerprint``). A log record
carries only text, so the OTel logging handler (``tta_otel.log_privacy``) hands the record's
exception to ``ErrorLogProcessor`` through ``logging_exception`` while it emits; a record that
arrives without it is fingerprinted by its type alone. At most ``fingerprint_limit`` distinct
fingerprints per process; later new ones are ``other``.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import wrapt
from opentelemetry import trace
from opentelemetry._logs import Logger, LogRecord, SeverityNumber
from opentelemetry.instrumentation.utils import unwrap
from opentelemetry.metrics import Counter, Meter
from opentelemetry.sdk._logs import LogRecordProcessor, ReadWriteLogRecord
from opentelemetry.sdk.trace import Span

from tta_otel import instruments, semconv
from tta_otel.config.schema import ErrorSettings
from tta_otel.error_type import error_type as error_type_of
from tta_otel.errors.fingerprint import DEFAULT_LIMIT, FingerprintLimit, fingerprint, type_fingerprint

_logger = logging.getLogger(__name__)

FINGERPRINT = semconv.TTA_ERROR_FINGERPRINT
CRITICAL = semconv.TTA_ERROR_CRITICAL
SEVERITY = semconv.TTA_ERROR_SEVERITY
_SEEN_LIMIT = 4096

_logged_exception: ContextVar[BaseException | None] = ContextVar("tta_otel_logged_exception", default=None)


@contextmanager
def logging_exception(exception: BaseException | None) -> Iterator[None]:
    """While a logging handler emits a record, the exception the record carries (or None)."""
    token = _logged_exception.set(exception)
    try:
        yield
    finally:
        _logged_exception.reset(token)


class ErrorTracker:
    """Fingerprints, counts and logs errors; one per configured telemetry."""

    def __init__(
        self, settings: ErrorSettings, meter: Meter, logger: Logger, fingerprint_limit: int = DEFAULT_LIMIT
    ) -> None:
        self._settings = settings
        self._limit = FingerprintLimit(fingerprint_limit)
        self._critical_routes = frozenset(settings.critical_routes)
        self._critical_operations = frozenset(settings.critical_operations)
        self._logger = logger
        self._counter: Counter = instruments.counter(meter, semconv.TTA_ERRORS)
        self._seen: OrderedDict[tuple[int, str], None] = OrderedDict()
        self._lock = threading.Lock()

    def fingerprint(self, exception: BaseException) -> str:
        """The error group of an exception, from its traceback objects; ``other`` past the cap."""
        return self._limit(fingerprint(exception, self._settings.in_app_modules))

    def type_fingerprint(self, exception_type: str) -> str:
        """The error group of an error known only as text: by its type; ``other`` past the cap."""
        return self._limit(type_fingerprint(exception_type))

    def is_critical(self, span_name: str | None, span_attributes: Mapping[str, Any] | None) -> bool:
        """Critical when the error stops therapeutic content: a configured route or operation."""
        route = (span_attributes or {}).get(semconv.HTTP_ROUTE)
        return route in self._critical_routes or span_name in self._critical_operations

    def _first_time(self, span_id: int, error_fingerprint: str) -> bool:
        """True the first time this span reports this error; later reports of it are the same error."""
        key = (span_id, error_fingerprint)
        with self._lock:
            if key in self._seen:
                return False
            self._seen[key] = None
            if len(self._seen) > _SEEN_LIMIT:
                self._seen.popitem(last=False)
            return True

    def _count(self, error_type: str, error_fingerprint: str, critical: bool, span: trace.Span) -> None:
        self._counter.add(
            1,
            {
                semconv.ERROR_TYPE: error_type,
                FINGERPRINT: error_fingerprint,
                SEVERITY: "critical" if critical else "error",
                CRITICAL: critical,
            },
            context=trace.set_span_in_context(span),
        )

    def on_span_exception(
        self, span: Span, exception: BaseException, given: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The attributes to add to the exception event; counts and logs the error once.

        The log record carries what the span event carries: an instrumentation that cleaned the
        message or the stack trace (the Neo4j one removes Cypher literals) passes them in
        ``given``, and they win over the raw exception. The full traceback is only hashed.
        """
        error_type = error_type_of(exception)
        stacktrace = "".join(traceback.format_exception(exception))
        error_fingerprint = self.fingerprint(exception)
        given = given or {}
        message = str(given.get("exception.message", exception))
        critical = self.is_critical(span.name, span.attributes)
        if self._first_time(span.get_span_context().span_id, error_fingerprint):
            self._count(error_type, error_fingerprint, critical, span)
            self._logger.emit(
                LogRecord(
                    context=trace.set_span_in_context(span),
                    severity_number=SeverityNumber.ERROR,
                    severity_text="ERROR",
                    body=f"{error_type}: {message}",
                    attributes={
                        "exception.type": error_type,
                        "exception.message": message,
                        "exception.stacktrace": str(given.get("exception.stacktrace", stacktrace)),
                        FINGERPRINT: error_fingerprint,
                        CRITICAL: critical,
                    },
                )
            )
        return {FINGERPRINT: error_fingerprint, CRITICAL: critical}

    def on_log_exception(self, record: ReadWriteLogRecord) -> None:
        """A log record with an exception: add the fingerprint; count it when a span is current.

        With the exception object (``logging_exception``) the fingerprint is the one its span
        event gets and ``exception.type`` becomes its fully-qualified ``error.type``; without
        it, the record's text is not trusted and the type alone is fingerprinted.
        """
        attributes = record.log_record.attributes
        if attributes is None or FINGERPRINT in attributes or "exception.type" not in attributes:
            return
        exception = _logged_exception.get()
        if exception is not None and type(exception).__name__ == attributes["exception.type"]:
            error_type = error_type_of(exception)
            error_fingerprint = self.fingerprint(exception)
            attributes["exception.type"] = error_type  # type: ignore[index]
        else:
            error_type = str(attributes["exception.type"])
            error_fingerprint = self.type_fingerprint(error_type)
        span = trace.get_current_span()
        readable = span if isinstance(span, Span) else None
        critical = self.is_critical(readable.name, readable.attributes) if readable is not None else False
        attributes[FINGERPRINT] = error_fingerprint  # type: ignore[index]
        attributes[CRITICAL] = critical  # type: ignore[index]
        context = span.get_span_context()
        if context.is_valid and self._first_time(context.span_id, error_fingerprint):
            self._count(error_type, error_fingerprint, critical, span)


class ErrorLogProcessor(LogRecordProcessor):
    """Adds the fingerprint to log records that carry an exception, before they are batched."""

    def __init__(self, tracker: ErrorTracker) -> None:
        self._tracker = tracker

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        try:
            self._tracker.on_log_exception(log_record)
        except Exception:  # telemetry must never break logging
            _logger.debug("tta_otel: fingerprinting a log record failed", exc_info=True)

    def shutdown(self) -> None:
        """Nothing to release."""

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


_active: ErrorTracker | None = None


def _record_exception(wrapped: Any, instance: Span, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    tracker = _active
    exception = args[0] if args else kwargs.get("exception")
    if tracker is not None and isinstance(exception, BaseException) and instance.is_recording():
        try:
            given = args[1] if len(args) > 1 else kwargs.get("attributes")
            extra = tracker.on_span_exception(instance, exception, given)
            merged = {**(given or {}), **extra}
            if len(args) > 1:
                args = (args[0], merged, *args[2:])
            else:
                kwargs = {**kwargs, "attributes": merged}
        except Exception:  # telemetry must never break the application
            _logger.debug("tta_otel: fingerprinting an exception failed", exc_info=True)
    return wrapped(*args, **kwargs)


def start_error_tracking(tracker: ErrorTracker) -> None:
    """Route every ``Span.record_exception`` of the SDK through ``tracker``."""
    global _active  # noqa: PLW0603 - one tracker per process, like the providers it belongs to
    if _active is None:
        wrapt.wrap_function_wrapper(Span, "record_exception", _record_exception)
    _active = tracker


def stop_error_tracking() -> None:
    """Restore ``Span.record_exception``."""
    global _active  # noqa: PLW0603
    if _active is not None:
        unwrap(Span, "record_exception")
        _active = None
