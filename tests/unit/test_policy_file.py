"""Specification of the policy file: validated on load, with errors that name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import re2
import yaml

from tta_otel.privacy import DEFAULT_POLICY_PATH, PolicyError, load_policy
from tta_otel.privacy.policy import key_regex


def _write(tmp_path: Path, document: dict[str, object]) -> Path:
    """A custom policy file: the document, then the end marker every policy file carries."""
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump({**document, "end_of_policy": True}, sort_keys=False))
    return path


def test_the_packaged_policy_loads() -> None:
    policy = load_policy()
    assert {p.name for p in policy.value_patterns} >= {
        "email",
        "phone",
        "payment_card",
        "us_ssn",
        "ipv4",
        "ipv6",
        "iban",
        "jwt",
        "api_key",
        "bearer_token",
        "url_credentials",
    }


def test_every_packaged_pattern_is_re2() -> None:
    policy = load_policy(DEFAULT_POLICY_PATH)
    for pattern in [*policy.keys.drop, *policy.keys.pseudonymize, *(r.pattern for r in policy.keys.redact)]:
        re2.compile(key_regex(pattern))
    for value_pattern in policy.value_patterns:
        re2.compile(value_pattern.regex)


def test_a_pattern_that_is_not_re2_is_rejected_with_its_location(tmp_path: Path) -> None:
    path = _write(tmp_path, {"version": 2, "value_patterns": [{"name": "email", "regex": "(?<=@)x"}]})
    with pytest.raises(PolicyError, match=r"policy\.yaml: value_patterns\.0\.regex: Value error, not a valid RE2"):
        load_policy(path)


def test_an_unknown_validator_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, {"version": 2, "value_patterns": [{"name": "x", "regex": "x", "validator": "crc"}]})
    with pytest.raises(PolicyError, match="unknown validator 'crc'"):
        load_policy(path)


def test_a_group_beyond_the_regex_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, {"version": 2, "value_patterns": [{"name": "x", "regex": "(a)b", "group": 2}]})
    with pytest.raises(PolicyError, match="group 2 does not exist"):
        load_policy(path)


def test_an_unknown_key_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, {"version": 2, "keys": {"dorp": ["x"]}})
    with pytest.raises(PolicyError, match=r"keys\.dorp: Extra inputs are not permitted"):
        load_policy(path)


def test_invalid_yaml_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("version: [1\n")
    with pytest.raises(PolicyError, match="invalid YAML"):
        load_policy(path)


def test_a_missing_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read the policy file"):
        load_policy(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    ("regex", "reason"),
    [
        ("^tok[0-9]+$", r"\^ is not allowed"),
        ("secret\\z", r"\\z is not allowed"),
        ("[0-9]*", "matches the empty string"),
    ],
)
def test_value_patterns_must_match_something_anywhere(tmp_path: Path, regex: str, reason: str) -> None:
    path = _write(tmp_path, {"version": 2, "value_patterns": [{"name": "x", "regex": regex}]})
    with pytest.raises(PolicyError, match=reason):
        load_policy(path)
