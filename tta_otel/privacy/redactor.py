"""Applies a privacy policy to strings, attribute maps and log bodies.

Built once per policy: all value patterns are compiled into one RE2 alternation, so a
string is scanned in a single linear-time pass (a player controls much of what is
scanned, so no pattern may backtrack). Telemetry repeats itself - routes, methods,
logger names - so strings found clean are remembered and skip the scan next time, and
the action for each attribute key is decided once.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import re2

from tta_otel.privacy.policy import Policy, ValuePattern
from tta_otel.privacy.pseudonym import Pseudonymizer
from tta_otel.privacy.validators import VALIDATORS, Validator

_CLEAN_CACHE_SIZE = 8192
_CLEAN_CACHE_MAX_LENGTH = 512
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


@dataclass(frozen=True)
class _CompiledPattern:
    placeholder: str
    replace_group: int  # group index in the combined expression whose span is replaced
    validator: Validator | None


def _compile_alternation(patterns: Sequence[str]) -> Any:
    return re2.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


class Redactor:
    """The policy, compiled; safe to share between threads."""

    def __init__(self, policy: Policy, pseudonymizer: Pseudonymizer) -> None:
        self.policy = policy
        self.pseudonymizer = pseudonymizer
        self._drop = _compile_alternation(policy.keys.drop)
        self._pseudonymize = _compile_alternation(policy.keys.pseudonymize)
        self._redact_keys = [(re2.compile(r.pattern), f"[REDACTED:{r.kind}]") for r in policy.keys.redact]
        self._values, self._by_group = self._compile_values(policy.value_patterns)
        self._clean: dict[str, None] = {}
        self._keys: dict[str, KeyDecision] = {}

    @staticmethod
    def _compile_values(patterns: Sequence[ValuePattern]) -> tuple[Any, dict[int, _CompiledPattern]]:
        parts: list[str] = []
        by_group: dict[int, _CompiledPattern] = {}
        next_group = 1
        for pattern in patterns:
            inner_groups = re2.compile(pattern.regex).groups
            outer = next_group
            compiled = _CompiledPattern(
                placeholder=pattern.placeholder,
                replace_group=outer + (pattern.group or 0),
                validator=VALIDATORS[pattern.validator] if pattern.validator else None,
            )
            for index in range(outer, outer + inner_groups + 1):
                by_group[index] = compiled
            parts.append(f"({pattern.regex})")
            next_group = outer + inner_groups + 1
        return (re2.compile("|".join(parts)) if parts else None), by_group

    def redact(self, text: str) -> str:
        """Replace every finding of the value patterns with its typed placeholder."""
        if self._values is None or text in self._clean:
            return text
        pieces: list[str] = []
        position = 0
        for match in self._values.finditer(text):
            pattern = self._by_group[match.lastindex]
            start, end = match.span(pattern.replace_group)
            if pattern.validator is not None and not pattern.validator(match.group(pattern.replace_group)):
                continue
            pieces.append(text[position:start])
            pieces.append(pattern.placeholder)
            position = end
        if not pieces:
            if len(text) <= _CLEAN_CACHE_MAX_LENGTH:
                if len(self._clean) >= _CLEAN_CACHE_SIZE:
                    self._clean.clear()
                self._clean[text] = None
            return text
        pieces.append(text[position:])
        return "".join(pieces)

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

    def redact_value(self, value: Any) -> Any:
        """A value with no key of its own: strings are scanned, containers walked."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, Mapping):
            return self.redact_attributes(value)
        if isinstance(value, (list, tuple)):
            return type(value)(self.redact_value(item) for item in value)
        return value

    def _pseudonymize_value(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return type(value)(self.pseudonymizer.pseudonymize(str(item)) for item in value)
        return self.pseudonymizer.pseudonymize(str(value))

    def redact_attributes(self, attributes: Mapping[str, Any] | None) -> dict[str, Any]:
        """A new attribute map with the key rules and the value patterns applied."""
        result: dict[str, Any] = {}
        if not attributes:
            return result
        for key, value in attributes.items():
            decision = self.decide(key)
            if decision.action is KeyAction.KEEP:
                result[key] = self.redact_value(value)
            elif decision.action is KeyAction.PSEUDONYMIZE:
                result[key] = self._pseudonymize_value(value)
            elif decision.action is KeyAction.REDACT:
                result[key] = decision.placeholder
        return result
