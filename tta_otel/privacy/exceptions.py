"""Exception messages in strict mode: the message is data, the frames are code.

An exception's message is written by whoever raised it, and application code puts what a player
typed into it (``raise ValueError(f"no scene for {answer}")``). So in strict mode
``exception.message`` is replaced by ``[REDACTED:exception_message]``, and so is the message
part of each exception's ``Type: message`` line in ``exception.stacktrace`` (every exception
of a chain, messages of several lines and notes included). Frames stay.

Two kinds of exception keep their message, which the value patterns then scan as before: those
whose class comes from a package under ``exceptions.allowed_packages`` of the policy (library
code wrote the message), and ``OSError`` with its builtin subclasses (``ConnectionError``,
``TimeoutError``, ``FileNotFoundError``...). In standard mode every message is kept and scanned.

The exporters apply ``redact_exception_attributes`` to span events named ``exception`` and to
log records that carry ``exception.*`` attributes, before the attribute pass.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

import re2

from tta_otel.privacy.redactor import Redactor

EXCEPTION_MESSAGE_PLACEHOLDER = "[REDACTED:exception_message]"
EXCEPTION_TYPE = "exception.type"
EXCEPTION_MESSAGE = "exception.message"
EXCEPTION_STACKTRACE = "exception.stacktrace"

_TRACEBACK_HEADERS = ("Traceback (most recent call last):", "Exception Group Traceback (most recent call last):")
_CHAIN_SEPARATORS = (
    "The above exception was the direct cause of the following exception:",
    "During handling of the above exception, another exception occurred:",
)
# Lines of an exception group that ``traceback`` prints between its members: ``+-+---- 1 ----``.
_GROUP_RULE = re2.compile(r"^\s*\+[-+]*(?: [^|]*)?$")
_GROUP_PREFIX = re2.compile(r"^(\s*[|+] ?)")
_FRAME = re2.compile(r'^  File "[^"\n]*", line \d+')
_TYPE_LINE = re2.compile(r"^(?P<type>[A-Za-z_][A-Za-z0-9_.]*)(?P<rest>: .*|:)?$")


def is_strict(redactor: Redactor) -> bool:
    """Strict mode, the default: the redactor's ``strict`` property (absent before modes existed)."""
    return bool(getattr(redactor, "strict", True))


def message_is_kept(exception_type: str, allowed_packages: Sequence[str]) -> bool:
    """Whether the message of an exception of this type (as ``error.type`` writes it) may leave.

    ``module.Class``: when the module's top-level package is allowed. A builtin, by its short
    name: when it is ``OSError`` or a builtin subclass of it.
    """
    if "." in exception_type:
        return exception_type.split(".", 1)[0] in allowed_packages
    builtin = getattr(builtins, exception_type, None)
    return isinstance(builtin, type) and issubclass(builtin, OSError)


def _split_prefix(line: str) -> tuple[str, str]:
    """The exception-group decoration of a line (``  | ``) and what follows it."""
    match = _GROUP_PREFIX.match(line)
    if match is None:
        return "", line
    return match.group(1), line[match.end(1) :]


class _StacktraceReader:
    """Reads a traceback line by line as ``traceback`` writes it; ``line`` returns what is kept.

    States: ``start`` (before a header or a type line), ``frames`` (after a header), ``message``
    (after a type line whose message is replaced) and ``kept`` (after one whose message stays).
    """

    def __init__(self, allowed_packages: Sequence[str]) -> None:
        self.allowed_packages = allowed_packages
        self.state = "start"

    def line(self, line: str) -> str:  # noqa: PLR0911 - one return per kind of line reads best
        text = line.rstrip("\r\n")
        ending = line[len(text) :]
        if text.lstrip().startswith("+ Exception Group Traceback"):
            self.state = "frames"
            return line
        if _GROUP_RULE.match(text):
            self.state = "start"
            return line
        prefix, content = _split_prefix(text)
        if content in _CHAIN_SEPARATORS and self.state in ("message", "kept"):
            self.state = "start"
            return line
        if self.state == "kept":
            return line
        if self.state == "message":
            return line if not content.strip() else ""
        if content in _TRACEBACK_HEADERS or (self.state == "start" and not content.strip()):
            self.state = "frames" if content else self.state
            return line
        if self.state == "frames" and self._is_frame(content):
            return line
        return self._type_line(prefix, content, ending, line)

    @staticmethod
    def _is_frame(content: str) -> bool:
        return bool(_FRAME.match(content)) or content.startswith(("    ", "  [Previous line repeated"))

    def _type_line(self, prefix: str, content: str, ending: str, line: str) -> str:
        match = _TYPE_LINE.match(content)
        if match is None:
            self.state = "message"
            return f"{prefix}{EXCEPTION_MESSAGE_PLACEHOLDER}{ending}"
        if message_is_kept(match.group("type"), self.allowed_packages):
            self.state = "kept"
            return line
        self.state = "message"
        rest = f": {EXCEPTION_MESSAGE_PLACEHOLDER}" if match.group("rest") else ""
        return f"{prefix}{match.group('type')}{rest}{ending}"


def redact_stacktrace_messages(stacktrace: str, allowed_packages: Sequence[str]) -> str:
    """The traceback with the message of each exception not kept replaced; frames unchanged.

    The text is read as ``traceback`` writes it: a header, frames (``  File ...`` and their
    indented source lines), then the exception's ``Type: message`` line and any further lines
    of its message and notes, up to the next chain separator or exception-group rule. Lines
    after the type line belong to the message and are removed (blank lines stay), so a message
    that imitates frames loses them too. A type line that is not a dotted name is all message.
    """
    reader = _StacktraceReader(allowed_packages)
    return "".join(reader.line(line) for line in stacktrace.splitlines(keepends=True))


def redact_exception_attributes(attributes: Mapping[str, Any], redactor: Redactor) -> Mapping[str, Any]:
    """The attributes of an exception (a span event or a log record) with its messages replaced
    in strict mode, unless its type keeps them; the same mapping when nothing changes."""
    if not is_strict(redactor) or (EXCEPTION_MESSAGE not in attributes and EXCEPTION_STACKTRACE not in attributes):
        return attributes
    allowed = redactor.policy.exceptions.allowed_packages
    result = dict(attributes)
    message = attributes.get(EXCEPTION_MESSAGE)
    if message is not None and not message_is_kept(str(attributes.get(EXCEPTION_TYPE, "")), allowed):
        result[EXCEPTION_MESSAGE] = EXCEPTION_MESSAGE_PLACEHOLDER
    stacktrace = attributes.get(EXCEPTION_STACKTRACE)
    if isinstance(stacktrace, str):
        result[EXCEPTION_STACKTRACE] = redact_stacktrace_messages(stacktrace, allowed)
    return result


def redact_message_in_body(body: Any, original: Mapping[str, Any], redacted: Mapping[str, Any]) -> Any:
    """A log body with the exception message that was replaced in the attributes replaced in it too.

    The error tracker's records read ``Type: message`` and ``logger.exception("failed: %s", exc)``
    renders the message into the body; a message shorter than 3 characters is left (it would
    match anywhere and carries nothing).
    """
    message = original.get(EXCEPTION_MESSAGE)
    if (
        not isinstance(body, str)
        or not isinstance(message, str)
        or len(message) < 3
        or redacted.get(EXCEPTION_MESSAGE) != EXCEPTION_MESSAGE_PLACEHOLDER
        or message == EXCEPTION_MESSAGE_PLACEHOLDER
    ):
        return body
    return body.replace(message, EXCEPTION_MESSAGE_PLACEHOLDER)


__all__ = [
    "EXCEPTION_MESSAGE_PLACEHOLDER",
    "is_strict",
    "message_is_kept",
    "redact_exception_attributes",
    "redact_message_in_body",
    "redact_stacktrace_messages",
]
