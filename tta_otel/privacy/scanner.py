"""Finds personal data in free text with the policy's value patterns, in one linear-time pass.

All value patterns are compiled into one RE2 alternation, so a string is scanned in a single
pass (a player controls much of what is scanned, so no pattern may backtrack). Telemetry
repeats itself - routes, methods, logger names - so strings found clean are remembered and
skip the scan next time.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import re2

from tta_otel.privacy.policy import ValuePattern
from tta_otel.privacy.validators import VALIDATORS, Validator

_CLEAN_CACHE_SIZE = 8192
_CLEAN_CACHE_MAX_LENGTH = 512

Finding = tuple[int, int, str]


@dataclass(frozen=True)
class _CompiledPattern:
    placeholder: str
    expression: Any  # the pattern alone, RE2 on bytes: the authority on what matches where
    group: int  # the group whose span is replaced (0: the whole match)
    validator: Validator | None


def _python_re(regex: str) -> re.Pattern[bytes] | None:
    try:
        return re.compile(regex.encode())
    except re.error:
        return None


class Scanner:
    """The value patterns, compiled; safe to share between threads.

    Scanning works on ASCII bytes, where RE2's Python binding is several times faster than
    on ``str`` (no offset translation): one alternation of every pattern, without capture
    groups, finds the candidates in one DFA pass; each candidate is then matched against
    the patterns in order to learn its kind, its group and whether its validator accepts
    it. ``redact_many`` scans a whole export batch as one text, so the per-call cost of
    the binding is paid once per batch instead of once per attribute.
    """

    def __init__(self, values: Sequence[ValuePattern]) -> None:
        # With no value pattern, a scanner that never matches (a boundary that is not one).
        self._scanner: Any = re2.compile("|".join(f"(?:{p.regex})" for p in values).encode() or rb"\b\B")
        self._patterns = [
            _CompiledPattern(
                placeholder=p.placeholder,
                expression=re2.compile(p.regex.encode()),
                group=p.group or 0,
                validator=VALIDATORS[p.validator] if p.validator else None,
            )
            for p in values
        ]
        self._guess, self._pattern_of_group = self._compile_guess(values)
        self._guess_each = [_python_re(p.regex) for p in values]
        self._clean: dict[str, None] = {}

    @staticmethod
    def _compile_guess(patterns: Sequence[ValuePattern]) -> tuple[Any, dict[int, int]]:
        """A first guess at which pattern a candidate is, with Python's ``re``.

        One call of ``re`` costs far less than one of the RE2 binding, so it names the
        pattern to try first; RE2 then confirms, at the candidate's position and with
        its context. Where ``re`` reads a pattern differently, or cannot read it at all,
        RE2 still decides: the guess only orders the work.
        """
        parts: list[str] = []
        pattern_of_group: dict[int, int] = {}
        outer = 1
        for index, pattern in enumerate(patterns):
            inner_groups = re2.compile(pattern.regex).groups
            for group in range(outer, outer + inner_groups + 1):
                pattern_of_group[group] = index
            parts.append(f"({pattern.regex})")
            outer += inner_groups + 1
        try:
            return re.compile("|".join(parts).encode()), pattern_of_group
        except re.error:
            return None, pattern_of_group

    def _identify(self, data: bytes, start: int, end: int) -> tuple[Finding | None, int]:
        """The finding that starts at ``start``, and where to scan on from.

        The patterns are tried in policy order, starting with the guess; a candidate that
        a validator rejects (a card number failing Luhn) is offered to the next pattern,
        so that the phone number it really is still gets found.
        """
        first = 0
        if self._guess is not None and (guess := self._guess.fullmatch(data, start, end)) is not None:
            first = self._pattern_of_group[guess.lastindex]
        count = len(self._patterns)
        for index in (*range(first, count), *range(first)):
            pattern = self._patterns[index]
            cheap = self._guess_each[index]
            if index != first and cheap is not None and cheap.match(data, start) is None:
                continue  # re says no: skip the dearer RE2 call (RE2 decides whenever re says yes)
            match = pattern.expression.match(data, start)
            if match is None or match.end() == start:
                continue
            if pattern.validator is not None:
                match = self._validated(pattern, pattern.validator, data, start, match)
                if match is None:
                    continue
            found_start, found_end = match.span(pattern.group)
            return (found_start, found_end, pattern.placeholder), match.end()
        return None, start + 1

    @staticmethod
    def _validated(pattern: _CompiledPattern, validator: Validator, data: bytes, start: int, match: Any) -> Any:
        """The longest match the validator accepts, cut only at a separator.

        A pattern takes as much as it can: a card number followed by " 12/25" becomes a
        18-digit candidate that fails Luhn, while the 16 digits before the space pass.
        """
        found_start, found_end = match.span(pattern.group)
        if validator(data[found_start:found_end].decode()):
            return match
        for end in range(match.end() - 1, start, -1):
            if data[end : end + 1] not in (b" ", b"-"):
                continue
            candidate = pattern.expression.match(data, start, end)
            if candidate is None or candidate.end() != end:
                continue
            found_start, found_end = candidate.span(pattern.group)
            if validator(data[found_start:found_end].decode()):
                return candidate
        return None

    def _scan(self, data: bytes) -> Iterator[tuple[int, int, Finding]]:
        """(match start, match end, finding) for every finding in ``data``, left to right."""
        position = 0
        while position <= len(data):
            candidate = self._scanner.search(data, position)
            if candidate is None:
                return
            start = candidate.start()
            finding, resume = self._identify(data, start, candidate.end())
            if finding is not None:
                yield start, resume, finding
            position = max(resume, start + 1)

    def _findings(self, data: bytes) -> list[Finding]:
        return [finding for _, _, finding in self._scan(data)]

    @staticmethod
    def _apply(data: bytes, findings: list[Finding]) -> str:
        """Replace each finding (byte offsets into ``data``, UTF-8) with its placeholder."""
        pieces: list[bytes] = []
        position = 0
        for start, end, placeholder in findings:
            pieces.append(data[position:start])
            pieces.append(placeholder.encode())
            position = end
        pieces.append(data[position:])
        return b"".join(pieces).decode("utf-8", errors="replace")

    def _remember_clean(self, text: str) -> None:
        if len(text) <= _CLEAN_CACHE_MAX_LENGTH:
            if len(self._clean) >= _CLEAN_CACHE_SIZE:
                self._clean.clear()
            self._clean[text] = None

    def redact(self, text: str) -> str:
        """Replace every finding of the value patterns with its typed placeholder."""
        if text in self._clean:
            return text
        data = text.encode("utf-8")
        findings = self._findings(data)
        if not findings:
            self._remember_clean(text)
            return text
        return self._apply(data, findings)

    def redact_many(self, texts: Iterable[str]) -> Callable[[str], str]:
        """Scan many strings in one pass; returns ``redact`` for them, answered from the scan.

        Strings are joined with newlines (every pattern stops at whitespace or a word
        boundary); a candidate that spans two strings sends both to ``redact`` one by one.
        A string that was not among ``texts`` is scanned on its own when asked for.
        """
        unique = dict.fromkeys(texts)
        clean = self._clean
        pending = [t for t in unique if t not in clean]
        replaced: dict[str, str] = {}
        ascii_texts = []
        for text in pending:
            if text.isascii():
                ascii_texts.append(text)
            elif (redacted := self.redact(text)) is not text:
                replaced[text] = redacted
        if ascii_texts:
            self._scan_joined(ascii_texts, replaced)

        def lookup(text: str) -> str:
            result = replaced.get(text)
            if result is not None:
                return result
            return text if text in unique else self.redact(text)

        return lookup

    def _scan_joined(self, texts: list[str], replaced: dict[str, str]) -> None:
        joined = "\n".join(texts).encode("ascii")
        starts = list(itertools.accumulate((len(t) + 1 for t in texts[:-1]), initial=0))
        found: dict[int, list[Finding]] = {}
        rescan: set[int] = set()
        for start, end, finding in self._scan(joined):
            index = bisect.bisect_right(starts, start) - 1
            last = bisect.bisect_right(starts, end - 1) - 1
            if last != index:
                rescan.update(range(index, last + 1))
                continue
            offset = starts[index]
            found.setdefault(index, []).append((finding[0] - offset, finding[1] - offset, finding[2]))
        for index in rescan:
            replaced[texts[index]] = self.redact(texts[index])
        for index, findings in found.items():
            if index not in rescan:
                replaced[texts[index]] = self._apply(texts[index].encode("ascii"), findings)
        if len(self._clean) + len(texts) > _CLEAN_CACHE_SIZE:
            self._clean.clear()
        self._clean.update(
            (text, None)
            for index, text in enumerate(texts)
            if index not in found and index not in rescan and len(text) <= _CLEAN_CACHE_MAX_LENGTH
        )


__all__ = ["Finding", "Scanner"]
