"""Undoes the encodings that hide personal data from the value patterns, keeping an offset map.

A player, a client or a library can write ``jane%40example.com``, ``jane\uff20example.com``,
``jane&#64;example.com``, ``jane [at] example [dot] com`` or ``ja\u200bne@example.com``: the
same address, which an ASCII pattern does not see. ``normalize`` rewrites such text into a
scan text that the policy's RE2 patterns read - pure ASCII, so that RE2 scans bytes and an
offset is the same in bytes and characters - and remembers, for every piece of the scan
text, the span of the original text it came from. A finding in the scan text is then
replaced over the whole original span that produced it (``Normalized.original_span``).

What is undone, in one left-to-right pass (twice when the first pass leaves another layer):
percent-escapes (UTF-8; ``+`` stays: a query value is replaced whole by the ``query_value``
pattern, and ``urls.redact_query`` reads ``+`` as a space in the values it keeps), HTML character
references, e-mail obfuscations (``[at]``, ``(dot)``, ``jane at example dot com``), format
characters (zero-width spaces and joiners, soft hyphens, bidi controls: category Cf) and
combining marks (dropped), and Unicode compatibility forms (NFKC: fullwidth ``\uff20``, ligatures,
non-breaking spaces). What is still not ASCII after NFKC is folded, for scanning only: any
decimal digit to its ASCII digit, any letter to ``x`` (so ``josé.müller@bücher.de`` and
``山田@例え.jp`` keep the shape of an e-mail address), dashes to ``-``, quotation marks to
``"``/``'``, anything else to a space. The original text is never changed here.

``needs_normalizing`` is the fast path's test: pure-ASCII text with none of ``%XX``,
``&...;`` or an obfuscation word is scanned as it is.
"""

from __future__ import annotations

import bisect
import html
import itertools
import re
import unicodedata
from dataclasses import dataclass, field

# Every expression here is linear: single character classes, bounded repeats, no nesting.
_PERCENT = r"(?:%[0-9A-Fa-f]{2})+"
_ENTITY = r"&(?:#[0-9]{1,7};?|#[xX][0-9A-Fa-f]{1,6};?|[A-Za-z][A-Za-z0-9]{1,31};)"
_BRACKETED = r"[ \t]{0,3}[\[\(\{<][ \t]{0,3}(?:[Aa][Tt]|[Dd][Oo][Tt])[ \t]{0,3}[\]\)\}>][ \t]{0,3}"
# Non-ASCII text, with the ASCII between its characters that starts no other token (so "e" and
# a combining mark, repeated, are one run): folded by one str.translate, mapped back per character.
_NON_ASCII = r"[^\x00-\x7f](?:[^%&\[\(\{<\s]*[^\x00-\x7f])?"
_TOKENS = re.compile(f"(?P<pct>{_PERCENT})|(?P<ent>{_ENTITY})|(?P<brk>{_BRACKETED})|(?P<uni>{_NON_ASCII})")
# "jane at example dot com", "jane at example.com": the words are only read as "@" and "." in
# the shape of an address, and "at" followed by a dotted name only before a common TLD.
_WORDY = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}(?P<at> (?:at|AT|At) )[A-Za-z0-9-]{1,63}"
    r"(?:(?: (?:dot|DOT|Dot) |\.)[A-Za-z0-9-]{1,63}){1,6}\b"
)
_WORDY_DOT = re.compile(r" (?:dot|DOT|Dot) ")
_COMMON_TLDS = frozenset(
    re.findall(
        r"\w+",
        "com org net edu gov mil int io co uk de fr es it nl be ch at jp cn kr in au nz ca us eu ie pt pl se no dk fi "
        "ru br mx ar info biz me app dev ai email online mail",
    )
)
_NEEDS = re.compile(
    r"%[0-9A-Fa-f]{2}|&(?:#[0-9xX]|[A-Za-z][A-Za-z0-9]{1,31};)"
    r"|[\[\(\{<][ \t]{0,3}(?:[Aa][Tt]|[Dd][Oo][Tt])[ \t]{0,3}[\]\)\}>]"
    r"| (?:at|AT|At) [A-Za-z0-9-]{1,63}(?:\.| (?:dot|DOT|Dot) )[A-Za-z]"
)
# Invisible characters outside category Cf that still hide text: combining grapheme joiner,
# Hangul fillers, Mongolian vowel separator, variation selectors.
_INVISIBLE = frozenset("\u034f\u115f\u1160\u180e\u3164\uffa0") | frozenset(map(chr, range(0xFE00, 0xFE10)))
_QUOTES = {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u2039": "'", "\u203a": "'"}
_DOUBLE_QUOTES = dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\u300c\u300d\u300e\u300f", '"')


def needs_normalizing(text: str) -> bool:
    """False for text the patterns can read as it is: pure ASCII with nothing encoded."""
    return not text.isascii() or _NEEDS.search(text) is not None


def _fold_char(char: str) -> str:  # noqa: PLR0911 - one return per kind of character
    """One character, after NFKC, as the ASCII the scan reads (see the module's docstring)."""
    if char.isascii():
        return char
    if char in _INVISIBLE:
        return ""
    category = unicodedata.category(char)
    if category == "Cf" or category[0] == "M":
        return ""
    if (digit := unicodedata.decimal(char, None)) is not None:
        return str(digit)
    if char.isalpha():
        return "x"
    if char.isspace():
        return " "
    if category == "Pd":
        return "-"
    return _QUOTES.get(char) or _DOUBLE_QUOTES.get(char) or " "


def fold(text: str) -> str:
    """NFKC, then every remaining non-ASCII character folded (no offset map)."""
    if text.isascii():
        return text
    return "".join(_fold_char(c) for c in unicodedata.normalize("NFKC", text))


_FOLD_TABLE_LIMIT = 65536


class _FoldTable(dict[int, str]):
    """Code point -> what the scan reads for it (NFKC, then folded), for ``str.translate``.

    Filled on first sight of a character, so that a run of non-ASCII text is folded by one
    ``translate`` call at C speed; bounded, since a character's fold is cheap to compute again.
    """

    def __missing__(self, ordinal: int) -> str:
        folded = "".join(_fold_char(c) for c in unicodedata.normalize("NFKC", chr(ordinal)))
        if len(self) < _FOLD_TABLE_LIMIT:
            self[ordinal] = folded
        return folded


_FOLD_TABLE = _FoldTable()


@dataclass
class Normalized:
    """The scan text and, piece by piece, where each piece came from in the original.

    ``starts[i]`` is where piece ``i`` begins in ``text``; it came from ``original[i]`` (a
    span of the text that was normalised). An identity piece maps character for character;
    any other piece maps as a whole. ``parent`` is the earlier layer when a second pass ran.
    """

    text: str
    starts: list[int] = field(default_factory=list)
    original: list[tuple[int, int]] = field(default_factory=list)
    identity: list[bool] = field(default_factory=list)
    parent: Normalized | None = None
    folded_runs: dict[int, str] = field(default_factory=dict)
    """Pieces that fold a run of non-ASCII characters, by index: the run, as it came."""
    _run_bounds: dict[int, list[int]] = field(default_factory=dict)

    def _position(self, offset: int, end: bool) -> int:
        index = bisect.bisect_right(self.starts, offset) - 1
        if index < 0:
            return 0
        source_start, source_end = self.original[index]
        if self.identity[index]:
            return source_start + offset - self.starts[index] + (1 if end else 0)
        run = self.folded_runs.get(index)
        if run is not None:
            # Character by character: a finding may start or end inside the run.
            character = bisect.bisect_right(self._bounds(index, run), offset - self.starts[index]) - 1
            return source_start + character + (1 if end else 0)
        return source_end if end else source_start

    def _bounds(self, index: int, run: str) -> list[int]:
        """Where each character of a folded run starts in its piece (computed on the first finding in it)."""
        bounds = self._run_bounds.get(index)
        if bounds is None:
            bounds = [0, *itertools.accumulate(len(_FOLD_TABLE[ord(char)]) for char in run)]
            self._run_bounds[index] = bounds
        return bounds

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that produced ``text[start:end]`` (``end > start``)."""
        first = self._position(start, end=False)
        last = self._position(end - 1, end=True)
        if self.parent is not None:
            first, _ = self.parent.original_span(first, first + 1)
            _, last = self.parent.original_span(last - 1, last)
        return first, last


def _percent_decode(token: str) -> str:
    """A run of ``%XX`` escapes (nothing else: ``_PERCENT``), decoded as UTF-8."""
    return bytes.fromhex(token.replace("%", "")).decode("utf-8", errors="replace")


Edit = tuple[int, int, str, bool]
"""(start, end, replacement, whether the replacement folds a non-ASCII run character by character)."""


def _wordy_edits(text: str) -> list[Edit]:
    edits: list[Edit] = []
    if " " not in text:
        return edits
    for match in _WORDY.finditer(text):
        domain = text[match.end("at") : match.end()]
        dots = list(_WORDY_DOT.finditer(domain))
        tld = re.split(r" (?:dot|DOT|Dot) |\.", domain)[-1].lower()
        if not dots and tld not in _COMMON_TLDS:
            continue  # "error at module.py": not an address
        edits.append((match.start("at"), match.end("at"), "@", False))
        base = match.end("at")
        edits.extend((base + d.start(), base + d.end(), ".", False) for d in dots)
    return edits


def _edits(text: str) -> list[Edit]:
    """An edit for every piece of ``text`` that is not read as it is, in order."""
    edits: list[Edit] = []
    for match in _TOKENS.finditer(text):
        kind = match.lastgroup
        token = match.group()
        start, end = match.span()
        if kind == "uni":
            edits.append((start, end, token.translate(_FOLD_TABLE), True))
            continue
        if kind == "pct":
            decoded = fold(_percent_decode(token))
        elif kind == "ent":
            decoded = fold(html.unescape(token))
            if decoded == token:
                continue
        else:  # brk
            decoded = "@" if token.strip(" \t")[1:-1].strip(" \t").lower() == "at" else "."
        edits.append((start, end, decoded, False))
    if " at " in text or " AT " in text or " At " in text:
        edits.extend(_wordy_edits(text))
    if len(edits) > 1:
        edits.sort()
        kept = [edits[0]]
        for edit in edits[1:]:
            if edit[0] >= kept[-1][1]:
                kept.append(edit)
        edits = kept
    return edits


def _apply(text: str, edits: list[Edit]) -> Normalized:
    pieces: list[str] = []
    normalized = Normalized("")
    starts, original, identity = normalized.starts, normalized.original, normalized.identity
    length = 0
    position = 0
    for start, end, replacement, folded_run in edits:
        if start > position:
            starts.append(length)
            original.append((position, start))
            identity.append(True)
            pieces.append(text[position:start])
            length += start - position
        if replacement:
            if folded_run:
                normalized.folded_runs[len(starts)] = text[start:end]
            starts.append(length)
            original.append((start, end))
            identity.append(False)
            pieces.append(replacement)
            length += len(replacement)
        position = end
    if position < len(text):
        starts.append(length)
        original.append((position, len(text)))
        identity.append(True)
        pieces.append(text[position:])
    normalized.text = "".join(pieces)
    return normalized


def normalize(text: str) -> Normalized:
    """The ASCII scan text of ``text`` and its offset map back to ``text``."""
    first = _apply(text, _edits(text))
    if needs_normalizing(first.text):  # a second layer: %2540, &amp;#64;, ...
        second = _apply(first.text, _edits(first.text))
        second.parent = first
        return second
    return first


__all__ = ["Normalized", "fold", "needs_normalizing", "normalize"]
