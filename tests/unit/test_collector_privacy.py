"""Specification of the collector's privacy processors: generated from the one policy file."""

from __future__ import annotations

from pathlib import Path

import re2
import yaml

from tta_otel.ops.stack import collector_privacy
from tta_otel.privacy import load_policy

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "collector-config" / "privacy.yaml"


def test_the_committed_file_is_generated_from_the_policy() -> None:
    assert COMMITTED.read_text() == collector_privacy.render_text(load_policy())


def test_both_layers_load_the_same_value_patterns() -> None:
    processors = yaml.safe_load(COMMITTED.read_text())["processors"]
    policy = load_policy()
    assert processors["redaction/privacy"]["blocked_values"] == [p.regex for p in policy.value_patterns]
    assert processors["redaction/privacy"]["blocked_key_patterns"] == [r.pattern for r in policy.keys.redact]
    assert processors["redaction/pseudonymize"]["blocked_key_patterns"] == list(policy.keys.pseudonymize)


def test_every_drop_pattern_reaches_every_signal() -> None:
    transform = yaml.safe_load(COMMITTED.read_text())["processors"]["transform/privacy"]
    groups = [*transform["trace_statements"], *transform["metric_statements"], *transform["log_statements"]]
    statements = [statement for group in groups for statement in group["statements"]]
    assert {group["context"] for group in groups} == {"resource", "span", "spanevent", "datapoint", "log"}
    for pattern in load_policy().keys.drop:
        escaped = pattern.replace("\\", "\\\\")
        assert all(escaped in statement for statement in statements)


def test_the_drop_alternation_is_one_re2_expression() -> None:
    alternation = collector_privacy._alternation(load_policy().keys.drop)
    expression = re2.compile(alternation)
    assert expression.search("gen_ai.prompt")
    assert expression.search("http.request.header.cookie")
    assert not expression.search("http.route")


def test_ottl_strings_escape_backslashes_and_quotes() -> None:
    assert collector_privacy._ottl_string('a\\.b"c') == '"a\\\\.b\\"c"'


def test_sdk_pseudonyms_pass_the_collector_untouched() -> None:
    pseudonym = collector_privacy.PSEUDONYM_PATTERN
    assert re2.fullmatch(pseudonym, "psn_k1_0123456789abcdef")
    assert not re2.fullmatch(pseudonym, "player-42")


def test_write_reports_whether_the_file_changed(tmp_path: Path) -> None:
    target = tmp_path / "privacy.yaml"
    assert collector_privacy.write(target) is True
    assert collector_privacy.write(target) is False
