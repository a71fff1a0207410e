"""Specification of the collector's privacy processors: generated from the one policy file."""

from __future__ import annotations

import json
from pathlib import Path

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


def _statements() -> list[str]:
    transform = yaml.safe_load(COMMITTED.read_text())["processors"]["transform/privacy"]
    groups = [*transform["trace_statements"], *transform["metric_statements"], *transform["log_statements"]]
    return [statement for group in groups for statement in group["statements"]]


def test_the_chain_fails_closed_and_pseudonymises_with_the_collectors_key() -> None:
    processors = yaml.safe_load(COMMITTED.read_text())["processors"]
    assert processors["transform/privacy"]["error_mode"] == "propagate"
    pseudonymize = processors["redaction/pseudonymize"]
    assert pseudonymize["hmac_key"] == collector_privacy.HMAC_KEY
    assert pseudonymize["blocked_key_patterns"] == [collector_privacy.KeyRegexes.of(load_policy()).pseudonymize]


def test_every_value_pattern_reaches_every_field() -> None:
    statements = "\n".join(_statements())
    for field in ("span.name", "span.status.message", "spanevent.name", "log.body", "log.event_name"):
        assert f"replace_pattern({field}, " in statements
    for target in ("resource", "scope", "span", "spanevent", "log", "datapoint"):
        assert f"replace_all_patterns({target}.attributes, " in statements
    assert 'replace_all_patterns(log.body, "key", ' in statements
    for pattern in load_policy().value_patterns:
        assert pattern.placeholder in statements


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
    assert decide("gen_ai.response.finish_reasons.0") == "allow"  # a list under an allowed key
    assert decide("http.route.secret") == "unlisted"
    assert decide("contact") == "unlisted"
    for entry in load_policy().keys.allow:  # no extension turns an allowed key into another rule
        assert decide(entry.rstrip("*").rstrip(".")) in {"allow", "unlisted"} or entry.endswith("*")


def test_a_group_is_replaced_alone_when_it_stands_at_the_top_level() -> None:
    (pattern,) = [p for p in load_policy().value_patterns if p.name == "url_credentials"]
    regex, replacement = collector_privacy._replacement(pattern)
    assert re2.sub(regex, replacement.replace("$$", "\\").replace("{", "g<").replace("}", ">"), "https://u:pw@h/") == (
        "https://[REDACTED:url_credentials]@h/"
    )
    assert collector_privacy._group_span("(a|b)(c)", 2) is not None
    assert collector_privacy._group_span("a(b)|c", 1) is None


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
    """`email: x` needs `:` or `=`: most text has neither, and two `Index` calls skip the labels."""
    assert collector_privacy._required_literals("(?i:(?:email|phone)\\s*[:=]\\s*)(\\S+)") == (
        frozenset({":", "="}),
        frozenset({"email", "phone"}),
    )
    assert collector_privacy._required_literals("[._-]name") == (frozenset({"name"}),)  # common: not worth it


def test_a_label_is_only_looked_for_where_the_separator_was_found() -> None:
    statements = "\n".join(_statements())
    assert 'set(log.cache["tta_found_1"], true) where log.cache["tta_found_0"] == true and (Index(' in statements
    assert "IsMatch(" not in statements  # alternations of literals cost Go's regexp far more than Index


def test_a_records_fields_share_one_text_with_its_attributes() -> None:
    """One lower-cased text and one set of prefilters per record, not one per field."""
    transform = yaml.safe_load(COMMITTED.read_text())["processors"]["transform/privacy"]
    for groups, target, fields in (
        (transform["log_statements"], "log.attributes", ("log.body", "log.event_name")),
        (transform["trace_statements"], "span.attributes", ("span.name", "span.status.message")),
    ):
        (group,) = [g for g in groups if any(f"replace_all_patterns({target}, " in x for x in g["statements"])]
        for field in fields:
            assert any(x.startswith(f"replace_pattern({field}, ") for x in group["statements"])
            assert any(f"ToLowerCase({field})" in x for x in group["statements"])
