"""Specification of the collector's privacy processor configuration: generated from the one policy file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import re2
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tta_otel.ops.stack import collector_privacy
from tta_otel.privacy import load_policy

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "collector-config" / "privacy.yaml"


def test_the_committed_file_is_generated_from_the_policy() -> None:
    assert COMMITTED.read_text() == collector_privacy.render_text(load_policy())


def _processor() -> dict[str, Any]:
    processor: dict[str, Any] = yaml.safe_load(COMMITTED.read_text())["processors"]["tta_privacy"]
    return processor


def test_the_processor_runs_strict_with_the_collectors_own_key() -> None:
    processor = _processor()
    assert processor["mode"] == "strict"
    assert processor["hmac_key"] == collector_privacy.HMAC_KEY
    assert processor["pseudonym_pattern"] == collector_privacy.PSEUDONYM_PATTERN
    assert (processor["attribute_value_cap"], processor["log_body_cap"]) == (4096, 16384)


def test_every_rule_of_the_policy_reaches_the_processor() -> None:
    policy = load_policy()
    processor = _processor()
    keys = collector_privacy.KeyRegexes.of(policy)
    assert processor["keys"] == {
        "drop": keys.drop,
        "pseudonymize": keys.pseudonymize,
        "redact": [{"kind": kind, "regex": regex} for kind, regex in keys.redact],
        "allow": keys.allow,
    }
    assert processor["allowed_query_parameters"] == list(policy.url.allowed_query_parameters)
    assert processor["allowed_exception_packages"] == list(policy.exceptions.allowed_packages)
    assert [(p["name"], p["regex"], p.get("group"), p.get("validator")) for p in processor["value_patterns"]] == [
        (p.name, p.regex, p.group, p.validator) for p in policy.value_patterns
    ]
    for entry, pattern in zip(processor["value_patterns"], policy.value_patterns, strict=True):
        literals = collector_privacy._required_literals(pattern.regex)
        assert entry.get("required_literals", []) == [sorted(literal_set) for literal_set in literals]


def test_an_expression_the_configuration_would_expand_is_refused() -> None:
    with pytest.raises(ValueError, match="expand"):
        collector_privacy._checked("a${env:X}")


def test_key_rules_decide_like_the_policy_first_match_wins() -> None:
    keys = collector_privacy.KeyRegexes.of(load_policy())

    def decide(key: str) -> str:
        if re2.search(keys.drop, key):
            return "drop"
        if re2.search(keys.pseudonymize, key):
            return "pseudonymize"
        for kind, regex in keys.redact:
            if re2.search(regex, key):
                return kind
        return "allow" if re2.search(keys.allow, key) else "unlisted"

    assert decide("gen_ai.prompt") == "drop"
    assert decide("gen_ai.prompt.0.content") == "drop"  # beneath a dropped key
    assert decide("playerId") == "pseudonymize"
    assert decide("user.address.street") == "address"
    assert decide("user.first_name") == "person_name"
    assert decide("http.route") == "allow"
    assert decide("gen_ai.response.finish_reasons") == "allow"  # a list under it is walked, keeping its shape
    assert decide("gen_ai.response.finish_reasons.0") == "unlisted"  # as the process decides it
    assert decide("http.route.secret") == "unlisted"
    assert decide("contact") == "unlisted"
    for entry in load_policy().keys.allow:  # no extension turns an allowed key into another rule
        assert decide(entry.rstrip("*").rstrip(".")) in {"allow", "unlisted"} or entry.endswith("*")


def test_sdk_pseudonyms_pass_the_collector_untouched() -> None:
    pseudonym = collector_privacy.PSEUDONYM_PATTERN
    assert re2.fullmatch(pseudonym, "psn_k1_0123456789abcdef")
    assert not re2.fullmatch(pseudonym, "player-42")


def test_write_reports_whether_the_file_changed(tmp_path: Path) -> None:
    target = tmp_path / "privacy.yaml"
    assert collector_privacy.write(target) is True
    assert collector_privacy.write(target) is False


def _go_json_lower(text: str) -> str:
    """The text as the collector's prefilters see it: JSON-escaped (HTML-safe, as Go writes it), lower case."""
    escaped = json.dumps(text, ensure_ascii=False)
    return escaped.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e").lower()


_KEY_REGEXES = collector_privacy.KeyRegexes.of(load_policy())


@pytest.mark.parametrize(
    "regex",
    [
        *(pattern.regex for pattern in load_policy().value_patterns),
        _KEY_REGEXES.drop,
        _KEY_REGEXES.pseudonymize,
        _KEY_REGEXES.redact_any,
    ],
    ids=[*(p.name for p in load_policy().value_patterns), "drop", "pseudonymize", "redact"],
)
def test_a_prefilter_never_skips_a_match(regex: str) -> None:
    """Every set of the conjunction occurs in every match, in the text and in its JSON."""
    conjunction = collector_privacy._required_literals(regex)
    if not conjunction:
        return  # no prefilter: the pattern always runs
    expression = re2.compile(regex)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(st.from_regex(regex))
    def check(text: str) -> None:
        if expression.search(text):
            for literals in conjunction:
                assert any(literal in text.lower() for literal in literals), (text, literals)
                assert any(literal in _go_json_lower(text) for literal in literals), (text, literals)

    check()


def test_required_literals_of_simple_expressions() -> None:
    required = collector_privacy._required_literals
    assert required("eyJ[a-z]+") == (frozenset({"eyj"}),)
    assert required("(?i:bearer)\\s+x") == (frozenset({"bearer"}),)
    assert required("(?i:secret)") == (frozenset({"ecret"}),)  # `s` also matches the long s: not required as such
    assert required("a|[0-9]") == ()
    assert required("x?y*") == ()


def test_a_rare_separator_is_looked_for_before_the_labels() -> None:
    """`email: x` needs `:` or `=`: most text has neither, and two substring searches skip the labels."""
    assert collector_privacy._required_literals("(?i:(?:email|phone)\\s*[:=]\\s*)(\\S+)") == (
        frozenset({":", "="}),
        frozenset({"email", "phone"}),
    )
    assert collector_privacy._required_literals("[._-]name") == (frozenset({"name"}),)  # common: not worth it
