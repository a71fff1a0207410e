"""Specification: the packaged policy is a floor that no file can lower.

A custom policy is merged into the packaged one and can only add. A file that is empty,
truncated, unreadable or would weaken the floor is refused, at start and at reload, with one
clear error; the policy in force stays.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from tta_otel.config import load_config
from tta_otel.privacy import DEFAULT_POLICY_PATH, KeyAction, PolicyError, Pseudonymizer, Redactor, load_policy
from tta_otel.reload import ConfigReloader

SHIPPED = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")


def _custom(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "custom-policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_custom_rule_is_added_to_the_packaged_ones(tmp_path: Path, pseudonymizer: Pseudonymizer) -> None:
    path = _custom(tmp_path, "version: 2\nkeys:\n  drop: ['^tta\\.mood$']\nend_of_policy: true\n")
    redactor = Redactor(load_policy(path), pseudonymizer)
    assert redactor.decide("tta.mood").action is KeyAction.DROP
    assert redactor.decide("gen_ai.prompt").action is KeyAction.DROP


def test_a_custom_allowed_key_leaves_after_scanning(tmp_path: Path, pseudonymizer: Pseudonymizer) -> None:
    path = _custom(tmp_path, "version: 2\nkeys:\n  allow: ['tta.chapter']\nend_of_policy: true\n")
    redactor = Redactor(load_policy(path), pseudonymizer)
    assert redactor.redact_attributes({"tta.chapter": "harbour"}) == {"tta.chapter": "harbour"}


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="the policy file is empty"):
        load_policy(_custom(tmp_path, ""))


def test_a_file_without_rules_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="the policy adds no rule"):
        load_policy(_custom(tmp_path, "version: 2\nend_of_policy: true\n"))


def test_every_line_boundary_truncation_of_the_shipped_file_is_refused(tmp_path: Path) -> None:
    lines = SHIPPED.splitlines(keepends=True)
    loaded = []
    for cut in range(len(lines)):
        path = _custom(tmp_path, "".join(lines[:cut]))
        try:
            load_policy(path)
        except PolicyError:
            continue
        loaded.append(cut)
    assert loaded == []


def test_the_whole_shipped_file_loads_as_a_custom_policy(tmp_path: Path) -> None:
    assert load_policy(_custom(tmp_path, SHIPPED)) == load_policy()


def test_a_file_that_does_not_parse_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="invalid YAML"):
        load_policy(_custom(tmp_path, "version: [2\nend_of_policy: true\n"))


def test_allowing_a_key_the_floor_drops_is_refused(tmp_path: Path) -> None:
    path = _custom(tmp_path, "version: 2\nkeys:\n  allow: ['gen_ai.prompt']\nend_of_policy: true\n")
    with pytest.raises(PolicyError, match=r"keys\.allow: 'gen_ai\.prompt' would weaken the floor"):
        load_policy(path)


def test_allowing_an_identifier_is_refused(tmp_path: Path) -> None:
    path = _custom(tmp_path, "version: 2\nkeys:\n  allow: ['player_id']\nend_of_policy: true\n")
    with pytest.raises(PolicyError, match=r"keys\.allow: 'player_id' would weaken the floor"):
        load_policy(path)


def test_allowing_every_key_is_refused(tmp_path: Path) -> None:
    path = _custom(tmp_path, "version: 2\nkeys:\n  allow: ['*']\nend_of_policy: true\n")
    with pytest.raises(PolicyError, match="'\\*' is not a key name"):
        load_policy(path)


def test_a_version_1_file_is_refused(tmp_path: Path) -> None:
    path = _custom(tmp_path, "version: 1\nkeys:\n  drop: ['^x$']\nend_of_policy: true\n")
    with pytest.raises(PolicyError, match="version: Input should be 2"):
        load_policy(path)


def _reloader_with(tmp_path: Path, policy_text: str) -> tuple[ConfigReloader, Path, list[Redactor]]:
    policy = _custom(tmp_path, policy_text)
    config = tmp_path / "tta_config.yaml"
    config.write_text(yaml.safe_dump({"monitoring": {"privacy": {"policy_file": policy.name}}}))
    installed: list[Redactor] = []
    return ConfigReloader(config, load_config(config).config, None, installed.append), policy, installed


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        ("", "the policy file is empty"),
        ("version: 2\nkeys:\n  drop: ['^tta\\.mood$']\n", "end_of_policy"),
        ("version: 2\nkeys:\n  allow: ['gen_ai.prompt']\nend_of_policy: true\n", "would weaken the floor"),
    ],
    ids=["empty", "truncated", "weakening"],
)
def test_a_refused_file_at_reload_keeps_the_policy_in_force(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, edit: str, reason: str
) -> None:
    reloader, policy, installed = _reloader_with(
        tmp_path, "version: 2\nkeys:\n  drop: ['^tta\\.mood$']\nend_of_policy: true\n"
    )
    policy.write_text(edit)
    stamp = policy.stat().st_mtime + 5
    os.utime(policy, (stamp, stamp))
    assert reloader.check() is False
    assert installed == []
    assert reason in caplog.text
