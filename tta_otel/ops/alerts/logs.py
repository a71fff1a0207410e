"""The service's own log lines, safe from what a request puts in them.

Alert labels, annotations, query parameters and parse errors come from outside: a newline
or an escape sequence in one would forge a log line or rewrite a terminal. ``escape``
writes every control, format and line-separator character as a Python escape; the filter
applies it to every argument of every record the ``tta_otel.ops.alerts`` logger emits,
so a call site that forgets cannot leak a raw value into the log.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Final

LOGGER_NAME: Final = "tta_otel.ops.alerts"
MAX_VALUE_CHARS: Final = 1_000
"""A value longer than this is cut in a log line (the rest is counted, not written)."""

_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def _escaped_char(char: str) -> str:
    if unicodedata.category(char) not in _UNSAFE_CATEGORIES:
        return char
    code = ord(char)
    if char == "\n":
        return "\\n"
    if char == "\r":
        return "\\r"
    if char == "\t":
        return "\\t"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def escape(value: object) -> str:
    """``value`` as one line of printable text; a backslash is doubled so an escape cannot be forged either."""
    text = str(value)
    cut = ""
    if len(text) > MAX_VALUE_CHARS:
        cut = f"... ({len(text) - MAX_VALUE_CHARS} more characters)"
        text = text[:MAX_VALUE_CHARS]
    return "".join(_escaped_char(char) for char in text.replace("\\", "\\\\")) + cut


class EscapingFilter(logging.Filter):
    """Escape every argument of a record (numbers stay numbers, for ``%d``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                arg if isinstance(arg, int | float) and not isinstance(arg, bool) else escape(arg)
                for arg in record.args
            )
        elif isinstance(record.args, dict):
            record.args = {key: escape(arg) for key, arg in record.args.items()}
        if not record.args and not isinstance(record.msg, str):
            record.msg = escape(record.msg)
        return True


def get_logger() -> logging.Logger:
    """The service's logger, with the escaping filter (added once)."""
    logger = logging.getLogger(LOGGER_NAME)
    if not any(isinstance(f, EscapingFilter) for f in logger.filters):
        logger.addFilter(EscapingFilter())
    return logger
