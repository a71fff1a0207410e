r"""The privacy policy file: its schema, loading, and the floor every custom policy stands on.

One YAML file (``policy.yaml`` beside this module) decides what may leave a TTA process, by
default-deny: only the keys under ``keys.allow`` keep their string values (after scanning).
The collector's privacy processors are generated from the same file, so every pattern must be
valid RE2: compiling with google-re2 at load time proves it.

The packaged policy is a floor. A custom policy (``monitoring.privacy.policy_file``) is merged
into it and may only add: rules, allowed keys, allowed query parameters and exception
packages. A custom file that is empty, truncated (it must end with ``end_of_policy: true``),
fails to parse, or would weaken the floor (allowing a key that a packaged rule drops,
pseudonymises or redacts, or allowing every key) is refused with one clear error.

Key patterns are written against dotted keys; in them ``\.`` stands for any separator -
``.``, ``_``, ``-`` or a camelCase boundary - and case does not matter, so ``player\.id``
meets ``player_id``, ``playerId`` and ``Player.Id`` alike (``key_regex``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import re2
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tta_otel.privacy.validators import VALIDATORS

DEFAULT_POLICY_PATH = Path(__file__).with_name("policy.yaml")


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file, the key and the reason."""


def _check_re2(pattern: str) -> str:
    try:
        re2.compile(pattern)
    except re2.error as exc:
        raise ValueError(f"not a valid RE2 expression: {exc}") from exc
    return pattern


def key_regex(pattern: str) -> str:
    """The RE2 expression that applies a key pattern to a key as written (any separator, any case)."""
    return "(?i:" + pattern.replace("\\.", "[._-]?") + ")"


def allowed_key_regex(entry: str) -> str:
    """An allowed key (``http.request.method``) or prefix (``server.*``) as RE2 over keys as written.

    Between segments any separator or none (camelCase) matches, in any case; after a prefix a
    separator or a capital letter must follow, so ``server.*`` allows ``server.port`` and
    ``serverPort`` but not ``serverless``.
    """
    prefix, wildcard, _ = entry.partition("*")
    body = "[._-]?".join(re2.escape(segment) for segment in prefix.rstrip(".").split(".") if segment)
    tail = "(?:[._-]|(?-i:[A-Z])).*" if wildcard else ""
    return f"(?i:^{body}{tail}$)"


class KeyRedaction(BaseModel):
    """Keys whose whole value is replaced by ``[REDACTED:<kind>]``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    pattern: str

    @field_validator("pattern")
    @classmethod
    def _pattern_is_re2(cls, pattern: str) -> str:
        return _check_re2(pattern)


_ALLOWED_KEY = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(\.\*)?$"


class KeyRules(BaseModel):
    """What happens to an attribute because of its key; the first rule that matches decides.

    ``drop`` removes it (content, secrets); ``pseudonymize`` replaces an identifier by its keyed
    pseudonym on spans and logs and removes it from metrics; ``redact`` replaces the whole value;
    ``allow`` lets the value leave after scanning. Any other key is *unlisted*: its string values
    are replaced by ``[REDACTED:unlisted]`` in strict mode.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    allow: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    pseudonymize: tuple[str, ...] = ()
    redact: tuple[KeyRedaction, ...] = ()

    @field_validator("drop", "pseudonymize")
    @classmethod
    def _patterns_are_re2(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            _check_re2(key_regex(pattern))
        return patterns

    @field_validator("allow")
    @classmethod
    def _allowed_keys_are_names(cls, entries: tuple[str, ...]) -> tuple[str, ...]:
        for entry in entries:
            if not re2.fullmatch(_ALLOWED_KEY, entry):
                raise ValueError(f"{entry!r} is not a key name or a prefix such as 'server.*'")
        return entries


class UrlRules(BaseModel):
    """Query strings: parameter names are kept and every value is replaced, except the values of
    these parameters, which are kept after scanning."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    allowed_query_parameters: tuple[str, ...] = ()


class ExceptionRules(BaseModel):
    """In strict mode an exception's message is replaced, unless its class comes from one of these
    packages (their messages are written by library code, not from player data)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    allowed_packages: tuple[str, ...] = ()


class ValuePattern(BaseModel):
    """A kind of personal data found anywhere in a string value."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    regex: str
    group: int | None = Field(default=None, ge=1)
    validator: str | None = None

    @field_validator("regex")
    @classmethod
    def _regex_is_re2(cls, regex: str) -> str:
        _check_re2(regex)
        if re2.compile(regex).search(""):
            raise ValueError("the expression matches the empty string")
        for anchor in ("^", "$", "\\A", "\\z"):
            if anchor in regex.replace("[^", "[").replace("\\$", "").replace("\\^", ""):
                raise ValueError(f"value patterns find data anywhere in a string: {anchor} is not allowed")
        return regex

    @field_validator("validator")
    @classmethod
    def _validator_is_known(cls, validator: str | None) -> str | None:
        if validator is not None and validator not in VALIDATORS:
            raise ValueError(f"unknown validator {validator!r}; known: {', '.join(sorted(VALIDATORS))}")
        return validator

    @model_validator(mode="after")
    def _group_exists(self) -> ValuePattern:
        groups = re2.compile(self.regex).groups
        if self.group is not None and self.group > groups:
            raise ValueError(f"group {self.group} does not exist: the regex has {groups} groups")
        return self

    @property
    def placeholder(self) -> str:
        return f"[REDACTED:{self.name}]"


class Policy(BaseModel):
    """The whole policy file."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    version: Literal[2]
    keys: KeyRules = KeyRules()
    url: UrlRules = UrlRules()
    exceptions: ExceptionRules = ExceptionRules()
    value_patterns: tuple[ValuePattern, ...] = ()
    end_of_policy: Literal[True]

    @property
    def is_empty(self) -> bool:
        """True when the file adds nothing at all."""
        keys = self.keys
        return not (
            keys.allow
            or keys.drop
            or keys.pseudonymize
            or keys.redact
            or self.url.allowed_query_parameters
            or self.exceptions.allowed_packages
            or self.value_patterns
        )


def _error_key(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "(document)"


def _read(source: Path) -> Policy:
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{source}: cannot read the policy file: {exc.strerror}") from exc
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{source}: invalid YAML: {exc}") from exc
    if not isinstance(document, dict) or not document:
        raise PolicyError(f"{source}: the policy file is empty")
    if list(document)[-1] != "end_of_policy":
        raise PolicyError(
            f"{source}: end_of_policy: the file must end with 'end_of_policy: true'; "
            "without it the file may be truncated and is refused"
        )
    try:
        return Policy.model_validate(document)
    except ValidationError as exc:
        details = "; ".join(f"{_error_key(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise PolicyError(f"{source}: {details}") from exc


def _unique(*groups: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(item for group in groups for item in group))


def _merge(floor: Policy, custom: Policy, source: Path) -> Policy:
    """The floor with the custom file's additions; refuses a file that would weaken the floor."""
    if custom.is_empty:
        raise PolicyError(f"{source}: the policy adds no rule; a custom policy extends the packaged one")
    protected = [key_regex(p) for p in floor.keys.drop + floor.keys.pseudonymize] + [
        key_regex(r.pattern) for r in floor.keys.redact
    ]
    for entry in custom.keys.allow:
        if not entry.rstrip("*").rstrip("."):
            raise PolicyError(f"{source}: keys.allow: {entry!r} would allow every key and weaken the floor")
        probe = entry.rstrip("*").rstrip(".") + (".x" if entry.endswith("*") else "")
        if any(re2.search(pattern, probe) for pattern in protected):
            raise PolicyError(
                f"{source}: keys.allow: {entry!r} would weaken the floor: the packaged policy drops, "
                "pseudonymises or redacts that key"
            )
    return Policy(
        version=2,
        keys=KeyRules(
            allow=_unique(floor.keys.allow, custom.keys.allow),
            drop=_unique(floor.keys.drop, custom.keys.drop),
            pseudonymize=_unique(floor.keys.pseudonymize, custom.keys.pseudonymize),
            redact=_unique(floor.keys.redact, custom.keys.redact),
        ),
        url=UrlRules(
            allowed_query_parameters=_unique(floor.url.allowed_query_parameters, custom.url.allowed_query_parameters)
        ),
        exceptions=ExceptionRules(
            allowed_packages=_unique(floor.exceptions.allowed_packages, custom.exceptions.allowed_packages)
        ),
        value_patterns=_unique(floor.value_patterns, custom.value_patterns),
        end_of_policy=True,
    )


def load_policy(path: Path | str | None = None) -> Policy:
    """The policy in force: the packaged one, with the custom file at ``path`` merged into it.

    Raises PolicyError naming the file, the key and the reason, so that a bad edit is
    reported exactly where it is; the caller keeps the policy it had.
    """
    floor = _read(DEFAULT_POLICY_PATH)
    if path is None or Path(path) == DEFAULT_POLICY_PATH:
        return floor
    source = Path(path)
    return _merge(floor, _read(source), source)


__all__ = [
    "DEFAULT_POLICY_PATH",
    "ExceptionRules",
    "KeyRedaction",
    "KeyRules",
    "Policy",
    "PolicyError",
    "UrlRules",
    "ValuePattern",
    "allowed_key_regex",
    "key_regex",
    "load_policy",
]
