"""Applies a privacy policy to attribute maps and log bodies, key by key, by default-deny.

The action for each attribute key is decided once and cached: dropped, pseudonymised,
redacted whole, allowed (the value is scanned by the policy's ``Scanner``), or *unlisted*.
In strict mode - the default - an unlisted key's string values leave as
``[REDACTED:unlisted]``; in standard mode (development) they are scanned like allowed ones.
Maps and arrays are walked, and each nested key is decided by its full dotted path.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import re2

from tta_otel.privacy.policy import Policy, allowed_key_regex, key_regex
from tta_otel.privacy.pseudonym import Pseudonymizer
from tta_otel.privacy.scanner import Scanner
from tta_otel.privacy.urls import redact_path, redact_query, redact_url

_KEY_CACHE_SIZE = 4096
_REPORTED_UNLISTED_LIMIT = 1024
UNLISTED = "[REDACTED:unlisted]"
Mode = Literal["strict", "standard"]

_logger = logging.getLogger(__name__)


class KeyAction(enum.Enum):
    KEEP = "keep"
    DROP = "drop"
    PSEUDONYMIZE = "pseudonymize"
    REDACT = "redact"
    UNLISTED = "unlisted"


@dataclass(frozen=True)
class KeyDecision:
    action: KeyAction
    placeholder: str = ""


_KEEP = KeyDecision(KeyAction.KEEP)
_DROP = KeyDecision(KeyAction.DROP)
_PSEUDONYMIZE = KeyDecision(KeyAction.PSEUDONYMIZE)
_UNLISTED = KeyDecision(KeyAction.UNLISTED, UNLISTED)


def _compile_alternation(patterns: Sequence[str]) -> Any:
    return re2.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


_URL_KEYS: dict[str, Callable[[str, frozenset[str], Callable[[str], str]], str]] = {
    "url.query": redact_query,
    "url.full": redact_url,
    "http.url": redact_url,
    "http.target": redact_url,
    "url.path": lambda path, allowed, scan: redact_path(path, scan),
}
"""Allowed keys that hold URLs or their parts: parameter values replaced, paths decoded and scanned."""
_PARSED_URL_KEYS = frozenset(_URL_KEYS) - {"url.path"}
"""URL keys whose value is taken apart before scanning (a path is scanned whole)."""


_SCALARS = frozenset({int, float, bool})


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (bool, int, float)) or value is None


def iter_strings(value: Any) -> Iterator[str]:
    """Every string inside a value of any shape: itself, a mapping's values, a sequence's items."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from iter_strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from iter_strings(item)


class Redactor:
    """The policy, compiled; safe to share between threads."""

    def __init__(self, policy: Policy, pseudonymizer: Pseudonymizer, mode: Mode = "strict") -> None:
        self.policy = policy
        self.pseudonymizer = pseudonymizer
        self.mode: Mode = mode
        self.scanner = Scanner(policy.value_patterns)
        keys = policy.keys
        self._drop = _compile_alternation([key_regex(p) for p in keys.drop])
        self._pseudonymize = _compile_alternation([key_regex(p) for p in keys.pseudonymize])
        self._redact_keys = [(re2.compile(key_regex(r.pattern)), f"[REDACTED:{r.kind}]") for r in keys.redact]
        self._allow = _compile_alternation([allowed_key_regex(entry) for entry in keys.allow])
        self._keys: dict[str, KeyDecision] = {}
        self._reported: set[str] = set()
        self._query_parameters = frozenset(policy.url.allowed_query_parameters)

    @property
    def strict(self) -> bool:
        """True in strict mode: unlisted keys lose their string values."""
        return self.mode == "strict"

    def redact(self, text: str) -> str:
        """Replace every finding of the value patterns with its typed placeholder."""
        return self.scanner.redact(text)

    def redact_many(self, texts: Iterable[str]) -> Callable[[str], str]:
        """Scan many strings in one pass; returns ``redact`` for them (``Scanner.redact_many``)."""
        return self.scanner.redact_many(texts)

    def scanned_strings(self, attributes: Mapping[str, Any] | None, into: list[str] | None = None) -> list[str]:
        """The strings of an attribute map that the value patterns will scan, for ``redact_many``:
        those of allowed keys (and of unlisted ones in standard mode), appended to ``into`` when
        given. What is dropped, pseudonymised or replaced whole is never worth a scan, and a URL's
        parts are known only once it is taken apart."""
        found = [] if into is None else into
        if not attributes:
            return found
        decided = self._keys
        scan_unlisted = not self.strict
        for key, value in attributes.items():
            decision = decided.get(key) or self.decide(key)
            if (decision is _KEEP and key not in _PARSED_URL_KEYS) or (decision is _UNLISTED and scan_unlisted):
                if type(value) is str:
                    found.append(value)
                elif isinstance(value, (list, tuple)):
                    found.extend(item for item in value if type(item) is str)
        return found

    def decide(self, key: str) -> KeyDecision:
        """What the policy does with an attribute because of its key (cached per key)."""
        decision = self._keys.get(key)
        if decision is None:
            decision = self._decide_uncached(key)
            if len(self._keys) >= _KEY_CACHE_SIZE:
                self._keys.clear()
            self._keys[key] = decision
        return decision

    def _decide_uncached(self, key: str) -> KeyDecision:
        if self._drop is not None and self._drop.search(key):
            return _DROP
        if self._pseudonymize is not None and self._pseudonymize.search(key):
            return _PSEUDONYMIZE
        for expression, placeholder in self._redact_keys:
            if expression.search(key):
                return KeyDecision(KeyAction.REDACT, placeholder)
        if self._allow is not None and self._allow.search(key):
            return _KEEP
        self._report_unlisted(key)
        return _UNLISTED

    def _decide_nested(self, full: str, key: str) -> KeyDecision:
        """A key inside a map: allowed only by its full dotted path, but dropped, pseudonymised or
        redacted when either the full path or the key on its own meets such a rule."""
        by_path, by_key = self.decide(full), self.decide(key)
        if by_key.action in (KeyAction.DROP, KeyAction.PSEUDONYMIZE, KeyAction.REDACT) and by_path.action in (
            KeyAction.KEEP,
            KeyAction.UNLISTED,
        ):
            return by_key
        return by_path

    def _report_unlisted(self, key: str) -> None:
        """Say once per process which key was unlisted and the policy line that would allow it."""
        if key in self._reported or len(self._reported) >= _REPORTED_UNLISTED_LIMIT:
            return
        self._reported.add(key)
        _logger.info(
            "tta_otel: attribute %r is not allowed by the privacy policy; %s. To let its values leave "
            "after scanning, add to keys.allow of a custom policy: - '%s'",
            key,
            "its string values leave as [REDACTED:unlisted]"
            if self.strict
            else "its values are scanned (standard mode)",
            key,
        )

    def redact_value(self, value: Any, redact: Callable[[str], str] | None = None, path: str = "") -> Any:
        """A value whose key was allowed, or that has no key (a log body): strings are scanned, maps
        and arrays walked; the keys of a map are decided by their dotted path below ``path``.

        ``redact`` is the function from ``redact_many`` when the strings were scanned ahead.
        """
        if isinstance(value, str):
            return (redact or self.redact)(value)
        if isinstance(value, bytes):
            # Bytes may hold text; they leave as scanned text, never as they came.
            return self.redact(value.decode("utf-8", errors="replace"))
        if isinstance(value, Mapping):
            return self.redact_attributes(value, redact, scan_keys=True, path=path)
        if isinstance(value, (list, tuple)):
            return type(value)(self.redact_value(item, redact, path) for item in value)
        return value

    def _unlisted_value(self, value: Any, redact: Callable[[str], str] | None, path: str) -> Any:
        """Strict mode: what leaves of an unlisted key's value - numbers and booleans only."""
        if _is_scalar(value):
            return value
        if isinstance(value, Mapping):
            return self.redact_attributes(value, redact, scan_keys=True, path=path)
        if isinstance(value, (list, tuple)):
            return type(value)(self._unlisted_value(item, redact, path) for item in value)
        return UNLISTED

    def _pseudonymize_value(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return type(value)(self.pseudonymizer.pseudonymize(str(item)) for item in value)
        return self.pseudonymizer.pseudonymize(str(value))

    def redact_attributes(
        self,
        attributes: Mapping[str, Any] | None,
        redact: Callable[[str], str] | None = None,
        scan_keys: bool = False,
        path: str = "",
    ) -> dict[str, Any]:
        """A new attribute map with the key rules and the value patterns applied.

        Attribute keys are written by code; the keys of a map inside a log body may come
        from data, so ``scan_keys`` scans them too. ``path`` is the dotted path of the map
        itself, when it is nested in another value.
        """
        if not attributes:
            return {}
        scan = redact or self.redact
        if not scan_keys and not path:
            return self._redact_flat(attributes, scan, redact)
        result: dict[str, Any] = {}
        decided = self._keys
        strict = self.strict
        for raw_key, value in attributes.items():
            key = raw_key if not scan_keys else scan(raw_key) if type(raw_key) is str else str(raw_key)
            decision = self._decide_nested(f"{path}.{key}", key) if path else decided.get(key) or self.decide(key)
            if decision is _KEEP or (decision is _UNLISTED and not strict):
                kind = type(value)
                if kind is str:
                    url = _URL_KEYS.get(key) if decision is _KEEP else None
                    result[key] = scan(value) if url is None else url(value, self._query_parameters, scan)
                elif kind in _SCALARS:
                    result[key] = value
                else:
                    result[key] = self.redact_value(value, redact, f"{path}.{key}".lstrip("."))
            elif decision is _UNLISTED:
                result[key] = self._unlisted_value(value, redact, f"{path}.{key}".lstrip("."))
            elif decision.action is KeyAction.PSEUDONYMIZE:
                result[key] = self._pseudonymize_value(value)
            elif decision.action is KeyAction.REDACT:
                result[key] = decision.placeholder
        return result

    def _redact_flat(
        self, attributes: Mapping[str, Any], scan: Callable[[str], str], redact: Callable[[str], str] | None
    ) -> dict[str, Any]:
        """``redact_attributes`` for a top-level map whose keys are code's (spans, records,
        resources: nearly every call), with the common cases first: the same decisions."""
        result: dict[str, Any] = {}
        decided = self._keys
        scan_unlisted = not self.strict
        for key, value in attributes.items():
            decision = decided.get(key) or self.decide(key)
            if decision is _KEEP:
                kind = type(value)
                if kind is str:
                    url = _URL_KEYS.get(key)
                    result[key] = scan(value) if url is None else url(value, self._query_parameters, scan)
                elif kind in _SCALARS:
                    result[key] = value
                else:
                    result[key] = self.redact_value(value, redact, key)
            elif decision is _UNLISTED:
                if scan_unlisted:  # standard mode: scanned like an allowed value, minus the URL handling
                    result[key] = scan(value) if type(value) is str else self.redact_value(value, redact, key)
                else:
                    result[key] = value if type(value) in _SCALARS else self._unlisted_value(value, redact, key)
            elif decision.action is KeyAction.PSEUDONYMIZE:
                result[key] = self._pseudonymize_value(value)
            elif decision.action is KeyAction.REDACT:
                result[key] = decision.placeholder
        return result

    def redact_metric_attributes(
        self, attributes: Mapping[str, Any] | None, redact: Callable[[str], str] | None = None
    ) -> tuple[dict[str, Any], int]:
        """Metric attributes: as ``redact_attributes``, except that identifiers are removed, never
        pseudonymised (a pseudonym would still make one series per person); returns how many were."""
        if not attributes:
            return {}, 0
        identifiers = [key for key in attributes if self.decide(key).action is KeyAction.PSEUDONYMIZE]
        if not identifiers:
            return self.redact_attributes(attributes, redact), 0
        kept = {key: value for key, value in attributes.items() if key not in identifiers}
        return self.redact_attributes(kept, redact), len(identifiers)
