"""The privacy policy file: its schema, loading and compilation.

One YAML file (``policy.yaml`` beside this module, or any file with the same schema)
decides what may leave a TTA process. The collector's redaction processor is generated
from the same file, so every pattern here must be valid RE2: compiling with google-re2
at load time proves it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

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


class KeyRedaction(BaseModel):
    """Keys whose whole value is replaced by ``[REDACTED:<kind>]``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    pattern: str

    @field_validator("pattern")
    @classmethod
    def _pattern_is_re2(cls, pattern: str) -> str:
        return _check_re2(pattern)


class KeyRules(BaseModel):
    """What happens to an attribute because of its key."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    drop: tuple[str, ...] = ()
    pseudonymize: tuple[str, ...] = ()
    redact: tuple[KeyRedaction, ...] = ()

    @field_validator("drop", "pseudonymize")
    @classmethod
    def _patterns_are_re2(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            _check_re2(pattern)
        return patterns


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
    version: Literal[1]
    keys: KeyRules = KeyRules()
    value_patterns: tuple[ValuePattern, ...] = ()


def _error_key(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "(document)"


def load_policy(path: Path | str | None = None) -> Policy:
    """Read and validate a policy file; the packaged policy when ``path`` is None.

    Raises PolicyError naming the file, the key and the reason, so that a bad edit is
    reported exactly where it is.
    """
    source = Path(path) if path is not None else DEFAULT_POLICY_PATH
    try:
        document = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"{source}: cannot read the policy file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"{source}: invalid YAML: {exc}") from exc
    try:
        return Policy.model_validate(document)
    except ValidationError as exc:
        details = "; ".join(f"{_error_key(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise PolicyError(f"{source}: {details}") from exc


__all__ = ["DEFAULT_POLICY_PATH", "KeyRedaction", "KeyRules", "Policy", "PolicyError", "ValuePattern", "load_policy"]
