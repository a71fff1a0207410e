"""Applies a privacy policy to attribute maps and log bodies, key by key.

The action for each attribute key is decided once and cached; string values are scanned by
the policy's ``Scanner`` (``tta_otel.privacy.scanner``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import re2

from tta_otel.privacy.policy import Policy
from tta_otel.privacy.pseudonym import Pseudonymizer
from tta_otel.privacy.scanner import Scanner

_KEY_CACHE_SIZE = 4096


class KeyAction(enum.Enum):
    KEEP = "keep"
    DROP = "drop"
    PSEUDONYMIZE = "pseudonymize"
    REDACT = "redact"


@dataclass(frozen=True)
class KeyDecision:
    action: KeyAction
    placeholder: str = ""


_KEEP = KeyDecision(KeyAction.KEEP)
_DROP = KeyDecision(KeyAction.DROP)
_PSEUDONYMIZE = KeyDecision(KeyAction.PSEUDONYMIZE)


def _compile_alternation(patterns: Sequence[str]) -> Any:
    return re2.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


def attribute_strings(attributes: Mapping[str, Any] | None) -> Iterator[str]:
    """Every string in an attribute map, whose values are scalars or sequences of scalars."""
    if not attributes:
        return
    for value in attributes.values():
        if type(value) is str:
            yield value
        elif isinstance(value, (list, tuple)):
            yield from (item for item in value if type(item) is str)


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

    def __init__(self, policy: Policy, pseudonymizer: Pseudonymizer) -> None:
        self.policy = policy
        self.pseudonymizer = pseudonymizer
        self.scanner = Scanner(policy.value_patterns)
        self._drop = _compile_alternation(policy.keys.drop)
        self._pseudonymize = _compile_alternation(policy.keys.pseudonymize)
        self._redact_keys = [(re2.compile(r.pattern), f"[REDACTED:{r.kind}]") for r in policy.keys.redact]
        self._keys: dict[str, KeyDecision] = {}

    def redact(self, text: str) -> str:
        """Replace every finding of the value patterns with its typed placeholder."""
        return self.scanner.redact(text)

    def redact_many(self, texts: Iterable[str]) -> Callable[[str], str]:
        """Scan many strings in one pass; returns ``redact`` for them (``Scanner.redact_many``)."""
        return self.scanner.redact_many(texts)

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
        return _KEEP

    def redact_value(self, value: Any, redact: Callable[[str], str] | None = None) -> Any:
        """A value with no key of its own: strings are scanned, containers walked.

        ``redact`` is the function from ``redact_many`` when the strings were scanned ahead.
        """
        if isinstance(value, str):
            return (redact or self.redact)(value)
        if isinstance(value, bytes):
            # Bytes may hold text; they leave as scanned text, never as they came.
            return self.redact(value.decode("utf-8", errors="replace"))
        if isinstance(value, Mapping):
            return self.redact_attributes(value, redact, scan_keys=True)
        if isinstance(value, (list, tuple)):
            return type(value)(self.redact_value(item, redact) for item in value)
        return value

    def _pseudonymize_value(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return type(value)(self.pseudonymizer.pseudonymize(str(item)) for item in value)
        return self.pseudonymizer.pseudonymize(str(value))

    def redact_attributes(
        self,
        attributes: Mapping[str, Any] | None,
        redact: Callable[[str], str] | None = None,
        scan_keys: bool = False,
    ) -> dict[str, Any]:
        """A new attribute map with the key rules and the value patterns applied.

        Attribute keys are written by code; the keys of a map inside a log body may come
        from data, so ``scan_keys`` scans them too.
        """
        result: dict[str, Any] = {}
        if not attributes:
            return result
        scan = redact or self.redact
        decided = self._keys
        for raw_key, value in attributes.items():
            key = raw_key if not scan_keys else scan(raw_key) if type(raw_key) is str else str(raw_key)
            decision = decided.get(key) or self.decide(key)
            if decision is _KEEP:
                result[key] = scan(value) if type(value) is str else self.redact_value(value, redact)
            elif decision.action is KeyAction.PSEUDONYMIZE:
                result[key] = self._pseudonymize_value(value)
            elif decision.action is KeyAction.REDACT:
                result[key] = decision.placeholder
        return result
