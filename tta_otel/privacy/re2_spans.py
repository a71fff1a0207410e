"""RE2 on bytes, answered as spans: for short telemetry strings the wrapping costs more than the search.

google-re2's ``search`` runs every call through a generator and builds a match object, several
times the cost of the search itself on a 60-byte string. ``Spans`` calls the binding's own
``Match``, which answers with the list of (start, end) spans (the whole match first, then each
group; ``(-1, -1)`` for a group that did not take part).

Capture groups cost too: RE2 finds a match's bounds with its DFA, but filling in groups takes a
slower engine. A pattern searched only for its bounds (the scanner's alternation of every value
pattern) is compiled with its groups made non-capturing (``without_captures``), which changes
nothing about what matches where.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import re2

Span = tuple[int, int]
_NO_MATCH = (-1, -1)
_UNANCHORED: Any = re2._re2.RE2.Anchor.UNANCHORED
_ANCHOR_START: Any = re2._re2.RE2.Anchor.ANCHOR_START


def without_captures(regex: str) -> str:
    """``regex`` (RE2 syntax) with every capturing group, named or not, made non-capturing.

    Escapes, ``\\Q...\\E`` quoting and character classes (with their ``[:name:]`` classes)
    are read as RE2 reads them, so that a ``(`` that is a literal stays one.
    """
    out: list[str] = []
    position, length = 0, len(regex)
    while position < length:
        char = regex[position]
        if char == "\\":
            if regex.startswith("\\Q", position):
                end = regex.find("\\E", position + 2)
                end = length if end < 0 else end + 2
                out.append(regex[position:end])
                position = end
                continue
            out.append(regex[position : position + 2])
            position += 2
        elif char == "[":
            end = _class_end(regex, position)
            out.append(regex[position:end])
            position = end
        elif char == "(" and not regex.startswith("(?", position):
            out.append("(?:")
            position += 1
        elif regex.startswith(("(?P<", "(?<"), position) and not regex.startswith(("(?<=", "(?<!"), position):
            out.append("(?:")
            position = regex.index(">", position) + 1
        else:
            out.append(char)
            position += 1
    return "".join(out)


def _class_end(regex: str, start: int) -> int:
    """The index just past the character class that opens at ``start``."""
    position = start + 1
    if regex.startswith("^", position):
        position += 1
    if regex.startswith("]", position):
        position += 1  # a leading "]" is a literal
    while position < len(regex):
        if regex[position] == "\\":
            position += 2
        elif regex.startswith("[:", position) and (close := regex.find(":]", position + 2)) >= 0:
            position = close + 2
        elif regex[position] == "]":
            return position + 1
        else:
            position += 1
    return len(regex)


class Spans:
    """One RE2 pattern on bytes; ``search`` and ``match`` answer a list of spans or None."""

    def __init__(self, regex: str, *, captures: bool = True) -> None:
        compiled = re2.compile((regex if captures else without_captures(regex)).encode())
        self.groups: int = compiled.groups
        self._match = compiled._regexp.Match

    def search(self, data: bytes, position: int = 0, end: int | None = None) -> list[Span] | None:
        """The spans of the leftmost match in ``data[position:end]``."""
        spans: list[Span] = self._match(_UNANCHORED, data, position, len(data) if end is None else end)
        return None if spans[0] == _NO_MATCH else spans

    def match(self, data: bytes, position: int = 0, end: int | None = None) -> list[Span] | None:
        """The spans of a match that starts at ``position``."""
        spans: list[Span] = self._match(_ANCHOR_START, data, position, len(data) if end is None else end)
        return None if spans[0] == _NO_MATCH else spans

    def finditer(self, data: bytes) -> Iterator[Span]:
        """The whole-match span of every non-overlapping match, left to right."""
        position, length = 0, len(data)
        while position <= length:
            spans = self._match(_UNANCHORED, data, position, length)
            start, end = spans[0]
            if start < 0:
                return
            yield start, end
            position = end if end > start else end + 1


__all__ = ["Span", "Spans", "without_captures"]
