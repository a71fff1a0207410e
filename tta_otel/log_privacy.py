"""What the OTel logging handler may turn into an exported log record.

``opentelemetry-instrument`` attaches the OTel ``LoggingHandler`` (of
``opentelemetry-instrumentation-logging``, or the SDK's deprecated one) to the root logger after
the configurator has run; the configurator calls ``install_log_privacy``, which wraps the
``emit`` of both handler classes, so whichever instance is attached, wherever, goes through it:

* **No feedback loop.** Records of the loggers that write while telemetry is exported - the
  exporters' HTTP and gRPC clients (``urllib3``, ``requests``, ``grpc``, ``httpx``,
  ``httpcore``), ``opentelemetry.*`` and ``tta_otel.exporters`` - and any record written while a
  redacting exporter exports (``exporting``) are never exported. Other handlers (the console)
  still see them.
* **Arguments are data.** A record's template is code and its arguments are data: in strict
  mode an argument is scanned by the value patterns and then, unless it is safe-shaped (a
  number, a UUID, a hex id, an ISO time, a short token of ``[A-Za-z0-9_.:-]``) or wholly a
  typed placeholder (``[REDACTED:email]``), replaced by ``[REDACTED:arg]`` before the message is
  rendered into the body. Safe-shaped arguments are scanned again with the body by the log
  exporter. The handler works on a copy; the record other handlers see is unchanged. A message
  built with an f-string has no arguments: it is all template, and only the value patterns
  protect it.
* **Exceptions.** While it emits, the record's exception object is handed to the error tracker
  (``logging_exception``), which fingerprints it from its traceback objects.
"""

from __future__ import annotations

import copy
import logging
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import wrapt
from opentelemetry.instrumentation.utils import unwrap

from tta_otel.errors.tracking import logging_exception
from tta_otel.privacy import Redactor, active_redactor

ARGUMENT_PLACEHOLDER = "[REDACTED:arg]"
SELF_LOGGERS = ("opentelemetry", "tta_otel.exporters", "urllib3", "requests", "grpc", "httpx", "httpcore")
"""Loggers whose records are never exported: they write while telemetry is being exported."""
_SELF_LOGGER_PREFIXES = tuple(f"{name}." for name in SELF_LOGGERS)

_SAFE = re.compile(
    r"^(?:"
    r"[A-Za-z0-9_.:-]{1,64}"  # short tokens, ids, UUIDs, hex ids, plain numbers
    r"|[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"  # signed numbers
    r"|[0-9]{4}-[0-9]{2}-[0-9]{2}"  # ISO dates and times
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]{1,9})?)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
    r")$"
)
_exporting: ContextVar[bool] = ContextVar("tta_otel_exporting", default=False)
_logger = logging.getLogger("tta_otel.exporters.logging")


@contextmanager
def exporting() -> Iterator[None]:
    """While a redacting exporter exports: records written on this thread are not exported."""
    token = _exporting.set(True)
    try:
        yield
    finally:
        _exporting.reset(token)


def is_self_log(logger_name: str) -> bool:
    """Whether a record of this logger is one telemetry writes about itself (never exported)."""
    return _exporting.get() or logger_name in SELF_LOGGERS or logger_name.startswith(_SELF_LOGGER_PREFIXES)


def is_safe_shaped(text: str) -> bool:
    """A number, UUID, hex id, ISO time or short token: shapes that carry no sentence of a player."""
    return text == "" or _SAFE.match(text) is not None


def safe_argument(value: Any) -> Any:
    """The argument as it may be rendered into an exported body (strict mode).

    This runs on the thread that logs, so it only looks at the argument's shape: a safe-shaped
    argument is kept (the exporter scans it with the rest of the body, off the request path),
    any other becomes ``[REDACTED:arg]``.
    """
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = value if isinstance(value, str) else str(value)
    return value if is_safe_shaped(text) else ARGUMENT_PLACEHOLDER


def safe_arguments(args: Any) -> Any:
    """A record's ``args`` (a tuple, or one mapping for ``%(name)s`` templates) made safe."""
    if isinstance(args, Mapping):
        return {key: safe_argument(value) for key, value in args.items()}
    if isinstance(args, tuple):
        return tuple(safe_argument(value) for value in args)
    return args


def private_record(record: logging.LogRecord, redactor: Redactor) -> logging.LogRecord:
    """The record the OTel handler translates: in strict mode, a copy whose arguments are safe.

    The record itself when every argument is safe-shaped (no copy, no extra rendering on the
    thread that logs). When a replaced argument no longer fits its conversion (``%d`` given
    ``[REDACTED:arg]``), the body is the template alone.
    """
    if not record.args or not redactor.strict:
        return record
    safe = safe_arguments(record.args)
    replaced = safe.values() if isinstance(safe, Mapping) else safe if isinstance(safe, tuple) else ()
    if not any(value is ARGUMENT_PLACEHOLDER for value in replaced):
        return record
    private = copy.copy(record)
    private.args = safe
    private.exc_text = None  # a formatter's cached traceback belongs to the original
    try:
        private.getMessage()
    except (TypeError, ValueError, KeyError):
        private.msg, private.args = str(record.msg), ()
    return private


def _emit(wrapped: Any, instance: logging.Handler, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    record = args[0] if args else kwargs.get("record")
    if not isinstance(record, logging.LogRecord):
        return wrapped(*args, **kwargs)
    if is_self_log(record.name):
        return None
    exception = record.exc_info[1] if record.exc_info else None
    try:
        private = private_record(record, active_redactor())
    except Exception:  # never export what could not be made safe; never break logging
        _logger.debug("tta_otel: a log record could not be made safe to export; it was not exported")
        return None
    with logging_exception(exception):
        return wrapped(private)


_lock = threading.Lock()
_installed: list[type[logging.Handler]] = []


def _handler_classes() -> list[type[logging.Handler]]:
    classes: list[type[logging.Handler]] = []
    try:
        from opentelemetry.instrumentation.logging.handler import LoggingHandler

        classes.append(LoggingHandler)
    except ImportError:  # the logging instrumentation is not installed
        pass
    from opentelemetry.sdk._logs import LoggingHandler as SdkLoggingHandler

    classes.append(SdkLoggingHandler)
    return classes


def install_log_privacy() -> None:
    """Route every OTel ``LoggingHandler.emit`` of this process through the rules above."""
    with _lock:
        if _installed:
            return
        for handler_class in _handler_classes():
            wrapt.wrap_function_wrapper(handler_class, "emit", _emit)
            _installed.append(handler_class)


def uninstall_log_privacy() -> None:
    """Restore ``LoggingHandler.emit``."""
    with _lock:
        while _installed:
            unwrap(_installed.pop(), "emit")


__all__ = [
    "ARGUMENT_PLACEHOLDER",
    "SELF_LOGGERS",
    "exporting",
    "install_log_privacy",
    "is_safe_shaped",
    "is_self_log",
    "private_record",
    "safe_argument",
    "safe_arguments",
    "uninstall_log_privacy",
]
