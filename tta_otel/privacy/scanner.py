"""Finds personal data in free text with the policy's value patterns, in one linear-time pass.

All value patterns are compiled into one RE2 alternation, so a string is scanned in a single
pass (a player controls much of what is scanned, so no pattern may backtrack). Telemetry
repeats itself - routes, methods, user agents, a client's address - so the result for each
short string is remembered (a bounded cache) and the same string is not scanned again.

Before the patterns see a string, encodings that hide data are undone
(``tta_otel.privacy.normalize``: percent-escapes, HTML references, fullwidth and zero-width
characters, e-mail obfuscations, non-ASCII addresses) and a finding is replaced over the whole
original span that produced it; base64 runs that decode to text are scanned decoded, and
replaced whole when anything is found inside. A string longer than the cap is cut (at a
separator near the cap), and the rest is replaced by ``[REDACTED:truncated]``: nothing beyond
the cap leaves unscanned.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import re2

from tta_otel.privacy.normalize import Normalized, normalize
from tta_otel.privacy.policy import ValuePattern
from tta_otel.privacy.prefilter import compile_prefilter
from tta_otel.privacy.re2_spans import Span, Spans
from tta_otel.privacy.validators import VALIDATORS, Validator

_CACHE_SIZE = 8192
_CACHE_MAX_LENGTH = 512

ATTRIBUTE_VALUE_CAP = 4096
"""The default cap, in characters, for a string attribute value."""
LOG_BODY_CAP = 16384
"""The cap, in characters, for a log record's body (``Scanner.redact(body, cap=LOG_BODY_CAP)``)."""
TRUNCATED = "[REDACTED:truncated]"
_CUT_SEPARATORS = re.compile(r"[\s,;&|\"'<>(){}\[\]]")
_CUT_LOOKBACK = 256

# Base64 (standard or URL-safe) segments of 16 characters or more counting their padding (14 before
# it): long enough to carry an SSN, a phone number or an address; decoded and scanned.
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{14,}={0,2}")
# Base64 of text mixes cases; hex ids, UUIDs and paths do not. A run of 14 or more with both
# cases (the prefilter's base64 candidate) is what sends a string to the base64 decoder.
_URL_SAFE = str.maketrans("-_", "+/")
_WHITESPACE = str.maketrans("\n\r\t", "   ")
_PLACEHOLDER = re.compile(r"\[REDACTED:[a-z0-9_]+\]")
# Encodings that send an ASCII string to the slow path (as normalize.needs_normalizing finds them).
_NORMALIZE_TRIGGERS = (
    r"%[0-9A-Fa-f]{2}",
    r"&(?:#[0-9xX]|[A-Za-z][A-Za-z0-9]{1,31};)",
    r"[\[\(\{<][ \t]{0,3}(?i:at|dot)[ \t]{0,3}[\]\)\}>]",
    r" (?i:at) [A-Za-z0-9-]{1,63}(?:\.| (?i:dot) )[A-Za-z]",
)
_MAX_DEPTH = 2

Finding = tuple[int, int, str]


def _decoded_text(encoded: str) -> str | None:
    """The text that a base64 run (standard or URL-safe, padded or not) decodes to; None when
    it is not base64 of printable UTF-8 text (hex ids, UUIDs and paths never mix cases)."""
    if encoded.islower() or encoded.isupper():
        return None
    body = encoded.rstrip("=")
    if len(body) % 4 == 1:
        return None
    try:
        decoded = binascii.a2b_base64(body.translate(_URL_SAFE) + "=" * (-len(body) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded if decoded.translate(_WHITESPACE).isprintable() else None


@dataclass(frozen=True)
class _CompiledPattern:
    placeholder: str
    expression: Spans  # the pattern alone, RE2 on bytes: the authority on what matches where
    group: int  # the group whose span is replaced (0: the whole match)
    validator: Validator | None


def _python_re(regex: str) -> re.Pattern[bytes] | None:
    try:
        return re.compile(regex.encode())
    except re.error:
        return None


class _Results(dict[str, str]):
    """A batch's results, looked up by a C-level ``__getitem__``; a string outside the batch is
    scanned on its own when asked for (and not added: the batch's answers stay the batch's)."""

    def __init__(self, redact: Callable[[str], str]) -> None:
        super().__init__()
        self._redact = redact

    def __missing__(self, text: str) -> str:
        return self._redact(text)


class Scanner:
    """The value patterns, compiled; safe to share between threads.

    First the prefilter (``tta_otel.privacy.prefilter``) says whether there is anything to
    find at all, for one string or a whole export batch in one call; most strings end there.
    The rest is scanned on ASCII bytes, where RE2's Python binding is several times faster
    than on ``str`` (no offset translation): one alternation of every pattern, without
    capture groups, finds the candidates in one DFA pass; each candidate is then matched
    against the patterns in order to learn its kind, its group and whether its validator
    accepts it.
    """

    def __init__(
        self, values: Sequence[ValuePattern], *, cap: int = ATTRIBUTE_VALUE_CAP, native_prefilter: bool = True
    ) -> None:
        # With no value pattern, a scanner that never matches (a boundary that is not one).
        # Searched for its bounds only: without capture groups, RE2 answers from its DFA.
        self._scanner = Spans("|".join(f"(?:{p.regex})" for p in values) or r"\b\B", captures=False)
        self._patterns = [
            _CompiledPattern(
                placeholder=p.placeholder,
                expression=Spans(p.regex),
                group=p.group or 0,
                validator=VALIDATORS[p.validator] if p.validator else None,
            )
            for p in values
        ]
        self._guess_each = [_python_re(p.regex) for p in values]
        self._known: dict[str, str] = {}
        self.cap = cap
        # Every pattern and every trigger of the slow path: for most strings one pass answers
        # "nothing to find, nothing encoded".
        self._prefilter = compile_prefilter([*(p.regex for p in values), *_NORMALIZE_TRIGGERS], native=native_prefilter)
        self._first_trigger = len(values)
        self._candidate = self._prefilter.candidate
        self._hits = self._prefilter.hits
        options = re2.Options()
        options.max_mem = 64 << 20
        # Which patterns match a candidate whole: one call names the pattern to try first.
        self._whole: Any = re2.Set.FullMatchSet(options)
        for pattern in values:
            self._whole.Add(pattern.regex.encode())
        self._whole.Compile()
        self._match_whole: Callable[[bytes], list[int] | None] = getattr(self._whole, "_set", self._whole).Match

    def _identify(self, data: bytes, start: int, end: int, present: Sequence[int] | None) -> tuple[Finding | None, int]:
        """The finding that starts at ``start``, and where to scan on from.

        The patterns are tried in policy order, starting with the guess; a candidate that
        a validator rejects (a card number failing Luhn) is offered to the next pattern,
        so that the phone number it really is still gets found. ``present``: the patterns
        that match anywhere in ``data`` (the prefilter's answer), the only ones worth a try;
        None when unknown.
        """
        whole = self._match_whole(data[start:end])
        first = min(whole) if whole else 0
        if whole and (found := self._whole_candidate(data, start, end, first)) is not None:
            return found, end
        indices = range(len(self._patterns)) if present is None else present
        for index in (*(i for i in indices if i >= first), *(i for i in indices if i < first)):
            pattern = self._patterns[index]
            cheap = self._guess_each[index]
            if index != first and cheap is not None and cheap.match(data, start) is None:
                continue  # re says no: skip the dearer RE2 call (RE2 decides whenever re says yes)
            # The candidate's own window first: RE2 extracts groups fastest from a short text.
            match = pattern.expression.match(data, start, end) if index == first and whole else None
            if match is None or match[0][1] != end:
                match = pattern.expression.match(data, start)
            if match is None or match[0][1] == start:
                continue
            if pattern.validator is not None:
                match = self._validated(pattern, pattern.validator, data, start, match)
                if match is None:
                    continue
            found_start, found_end = match[pattern.group]
            return (found_start, found_end, pattern.placeholder), match[0][1]
        return None, start + 1

    def _whole_candidate(self, data: bytes, start: int, end: int, index: int) -> Finding | None:
        """The finding when the candidate is wholly the first pattern that matches it and its
        validator, if any, accepts it: no further RE2 call (most findings end here)."""
        pattern = self._patterns[index]
        if pattern.group == 0:
            if pattern.validator is None or pattern.validator(data[start:end].decode()):
                return start, end, pattern.placeholder
            return None
        cheap = self._guess_each[index]
        match = cheap.fullmatch(data, start, end) if cheap is not None and pattern.validator is None else None
        if match is None or match.start(pattern.group) < 0:
            return None
        return match.start(pattern.group), match.end(pattern.group), pattern.placeholder

    @staticmethod
    def _validated(
        pattern: _CompiledPattern, validator: Validator, data: bytes, start: int, match: list[Span]
    ) -> list[Span] | None:
        """The longest match the validator accepts, cut only at a separator.

        A pattern takes as much as it can: a card number followed by " 12/25" becomes a
        18-digit candidate that fails Luhn, while the 16 digits before the space pass.
        """
        found_start, found_end = match[pattern.group]
        if validator(data[found_start:found_end].decode()):
            return match
        for end in range(match[0][1] - 1, start, -1):
            if data[end : end + 1] not in (b" ", b"-"):
                continue
            candidate = pattern.expression.match(data, start, end)
            if candidate is None or candidate[0][1] != end:
                continue
            found_start, found_end = candidate[pattern.group]
            if validator(data[found_start:found_end].decode()):
                return candidate
        return None

    def _scan(self, data: bytes, present: Sequence[int] | None) -> Iterator[tuple[int, int, Finding]]:
        """(match start, match end, finding) for every finding in ``data``, left to right."""
        position = 0
        while position <= len(data):
            candidate = self._scanner.search(data, position)
            if candidate is None:
                return
            start, end = candidate[0]
            finding, resume = self._identify(data, start, end, present)
            if finding is not None:
                yield start, resume, finding
            position = max(resume, start + 1)

    def _findings(self, data: bytes, present: Sequence[int] | None = None) -> list[Finding]:
        return [finding for _, _, finding in self._scan(data, present)]

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

    @staticmethod
    def _apply_text(text: str, spans: list[Finding]) -> str:
        """Replace each span (character offsets into ``text``, sorted, disjoint) with its placeholder."""
        pieces: list[str] = []
        position = 0
        for start, end, placeholder in spans:
            pieces.append(text[position:start])
            pieces.append(placeholder)
            position = end
        pieces.append(text[position:])
        return "".join(pieces)

    @staticmethod
    def _merged(findings: list[Finding]) -> list[Finding]:
        """Sorted, with overlapping findings united under the first one's placeholder."""
        merged: list[Finding] = []
        for start, end, placeholder in sorted(findings):
            if merged and start < merged[-1][1]:
                last = merged[-1]
                merged[-1] = (last[0], max(last[1], end), last[2])
            else:
                merged.append((start, end, placeholder))
        return merged

    def clear_cache(self) -> None:
        """Forget every remembered result (benchmarks measure the scan itself this way)."""
        self._known.clear()

    def redact(self, text: str, cap: int | None = None) -> str:
        """Replace every finding of the value patterns with its typed placeholder.

        ``cap`` (characters; the scanner's ``cap`` when None, ``ATTRIBUTE_VALUE_CAP`` by
        default, ``LOG_BODY_CAP`` for log bodies): a longer string is cut at a separator
        close before the cap, its head scanned and the rest replaced by ``[REDACTED:truncated]``.
        """
        known = self._known.get(text)
        if known is not None:
            return known
        limit = self.cap if cap is None else cap
        if len(text) > limit:
            return self._redact_capped(text, limit)
        # Most strings are ASCII with nothing to find: answered here, by one prefilter call whose
        # answer the scan reuses when there is something.
        hits = self._hits(text) if text.isascii() else None
        result = text if hits == [] else self._redact(text, 0, hits)
        if len(text) <= _CACHE_MAX_LENGTH:
            if len(self._known) >= _CACHE_SIZE:
                self._known.clear()
            self._known[text] = result
        return result

    def _redact_capped(self, text: str, limit: int) -> str:
        window_start = max(0, limit - _CUT_LOOKBACK)
        cut = limit
        for separator in _CUT_SEPARATORS.finditer(text, window_start, limit):
            cut = separator.start()
        return self._redact(text[:cut], 0) + TRUNCATED

    def _redact(self, text: str, depth: int, hits: list[int] | None = None) -> str:
        """``hits``: the prefilter's answer for ``text`` when the caller has it already."""
        if text.isascii():
            if hits is None:
                hits = self._prefilter.hits(text)
            if not hits:
                return text
            candidate = hits[-1] == self._candidate
            if candidate:
                hits.pop()
            if not hits or hits[-1] < self._first_trigger:  # nothing encoded: the fast path
                data = b" " + text.encode("ascii")  # a separator in front: labels need one before them
                findings = self._findings(data, hits) if hits else []
                if candidate:
                    decoded = self._base64_findings(text, depth)
                    if decoded:
                        findings = self._merged([*findings, *((start + 1, end + 1, k) for start, end, k in decoded)])
                if not findings:
                    return text
                return self._apply(data, findings)[1:]
        return self._redact_normalized(text, depth)

    def _redact_normalized(self, text: str, depth: int) -> str:
        """The slow path: scan the normalised text, replace the original spans."""
        normalized: Normalized = normalize(text)
        scan = normalized.text
        data = b" " + scan.encode("ascii", errors="replace")
        findings = [(max(start - 1, 0), end - 1, kind) for start, end, kind in self._findings(data)]
        findings.extend(self._base64_findings(scan, depth))
        spans = [(*normalized.original_span(start, end), kind) for start, end, kind in findings if end > start]
        if not spans:
            return text
        return self._apply_text(text, self._merged(spans))

    def _base64_findings(self, scan: str, depth: int) -> list[Finding]:
        """Base64 runs of ``scan`` that decode to text with a finding in it: the whole run each."""
        if depth >= _MAX_DEPTH:
            return []
        found: list[Finding] = []
        for run in _BASE64_RUN.finditer(scan):
            decoded = _decoded_text(run.group())
            if decoded is None:
                continue
            redacted = self._redact(decoded, depth + 1)
            if redacted != decoded:
                kind = _PLACEHOLDER.search(redacted)
                found.append((run.start(), run.end(), kind.group() if kind else "[REDACTED:base64]"))
        return found

    def redact_many(self, texts: Iterable[str]) -> Callable[[str], str]:
        """Scan many strings at once; returns ``redact`` for them, answered from the scan.

        The prefilter takes the whole batch in one call and names the strings with anything
        to find; only those are scanned, one by one. A string that was not among ``texts`` is
        scanned on its own when asked for. Strings over the scanner's cap are capped as
        ``redact`` caps them.
        """
        known = self._known
        results = _Results(self.redact)
        within_cap = []
        for text in dict.fromkeys(texts):
            result = known.get(text)
            if result is not None:
                results[text] = result  # kept here: the cache may be cleared below
            elif len(text) > self.cap:
                results[text] = self.redact(text)
            else:
                within_cap.append(text)
        for index in self._prefilter.dirty(within_cap):
            text = within_cap[index]
            results[text] = self._redact(text, 0)
        for text in within_cap:
            results.setdefault(text, text)
        if len(known) + len(within_cap) > _CACHE_SIZE:
            known.clear()
        known.update((text, results[text]) for text in within_cap if len(text) <= _CACHE_MAX_LENGTH)
        return results.__getitem__


__all__ = ["ATTRIBUTE_VALUE_CAP", "LOG_BODY_CAP", "TRUNCATED", "Finding", "Scanner"]
