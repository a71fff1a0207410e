"""Which strings hold nothing for the value patterns to find: the scanner's first question.

Most telemetry strings are clean, and for a 60-byte string the cost of saying so is mostly the
cost of calling into a regex engine. Two prefilters answer the same question:

- ``tta_otel_prefilter`` (Rust's ``regex`` crate, built from ``native/prefilter``; optional,
  installed by ``make setup``): one call per string or per export batch, a fraction of a
  microsecond per string, with the exact base64-candidate check done in the same pass;
- a set of RE2 patterns (google-re2, always installed), used when the native prefilter is
  absent or cannot compile one of the policy's patterns.

Both report the same indices: each value pattern and each trigger of the normalising path
that matches anywhere in the text (scanned behind one space: a label needs a separator before
it), then ``candidate`` when the text holds a base64 candidate (``has_base64_candidate``).
Neither decides what matches where - RE2 does, afterwards - so the prefilter can only send a
string to the full scan, never let one past it that RE2 would have caught; tests hold the two
prefilters to the same answers.
"""

from __future__ import annotations

import binascii
import logging
import re
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import re2

_logger = logging.getLogger(__name__)

_RUN = re.compile(r"[A-Za-z0-9+/_-]{14,}")
_URL_SAFE = str.maketrans("-_", "+/")
# Every run with both cases, whatever its length (RE2 cannot count a run and check its cases at
# once): the RE2 set reports it, and Python checks the length (``has_base64_candidate``).
_MIXED_CASE = "[A-Za-z0-9+/_-]*(?:[a-z][A-Za-z0-9+/_-]*[A-Z]|[A-Z][A-Za-z0-9+/_-]*[a-z])[A-Za-z0-9+/_-]*"


def _decodes_to_utf8(run: str) -> bool:
    if len(run) % 4 == 1:
        return False
    try:
        binascii.a2b_base64(run.translate(_URL_SAFE) + "=" * (-len(run) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return True


def has_base64_candidate(text: str) -> bool:
    """Whether ``text`` holds a base64 candidate: a run of 14 or more base64 characters with
    both cases (hex ids, UUIDs and paths never mix cases) that decodes to UTF-8 (binary data
    almost never does; the text inside a base64-wrapped value always does)."""
    return any(run.lower() != run and run.upper() != run and _decodes_to_utf8(run) for run in _RUN.findall(text))


class Prefilter(Protocol):
    """What the scanner asks of a prefilter."""

    candidate: int
    """The index ``hits`` reports, last, for a base64 candidate: one past the last pattern."""

    def hits(self, text: str) -> list[int]:
        """Ascending indices of the patterns found in an ASCII ``text``; empty when nothing is."""
        ...

    def dirty(self, texts: list[str]) -> list[int]:
        """The positions of the strings in ``texts`` that need the full scan (a hit, or not ASCII)."""
        ...


class Re2Prefilter:
    """The prefilter on google-re2's set: about 1 µs per string, most of it the binding's call."""

    def __init__(self, patterns: Sequence[str]) -> None:
        options = re2.Options()
        options.max_mem = 64 << 20
        self._set: Any = re2.Set.SearchSet(options)
        for pattern in patterns:
            self._set.Add(pattern.encode())
        self.candidate: int = self._set.Add(_MIXED_CASE.encode())
        self._set.Compile()
        self._match: Callable[[bytes], list[int] | None] = getattr(self._set, "_set", self._set).Match

    def hits(self, text: str) -> list[int]:
        hits = self._match(b" " + text.encode("ascii"))
        if not hits:
            return []
        hits.sort()
        if hits[-1] == self.candidate and not has_base64_candidate(text):
            hits.pop()
        return hits

    def dirty(self, texts: list[str]) -> list[int]:
        return [index for index, text in enumerate(texts) if not text.isascii() or self.hits(text)]


def compile_prefilter(patterns: Sequence[str], *, native: bool = True) -> Prefilter:
    """The native prefilter when it is installed and compiles every pattern, else the RE2 one
    (always the RE2 one with ``native=False``: benchmarks and tests compare the two)."""
    if not native:
        return Re2Prefilter(patterns)
    try:
        from tta_otel_prefilter import Prefilter as NativePrefilter
    except ImportError:
        return Re2Prefilter(patterns)
    try:
        compiled: Prefilter = NativePrefilter(list(patterns))
    except ValueError as error:
        _logger.info("tta_otel: the native privacy prefilter cannot compile the policy (%s); using RE2's", error)
        return Re2Prefilter(patterns)
    return compiled


__all__ = ["Prefilter", "Re2Prefilter", "compile_prefilter", "has_base64_candidate"]
