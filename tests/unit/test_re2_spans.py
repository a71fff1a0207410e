"""RE2 answered as spans: the scanner's candidate search may drop capture groups, never change a match."""

from __future__ import annotations

import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from tta_otel.privacy import load_policy
from tta_otel.privacy.re2_spans import Spans, without_captures

POLICY_PATTERNS = [pattern.regex for pattern in load_policy().value_patterns]


@pytest.mark.parametrize(
    ("regex", "expected"),
    [
        (r"(a)(b)", r"(?:a)(?:b)"),
        (r"(?P<user>\w+)@(?<host>\w+)", r"(?:\w+)@(?:\w+)"),
        (r"(?i:x)(?:y)", r"(?i:x)(?:y)"),
        (r"\(a\)", r"\(a\)"),
        (r"[(]x[)]", r"[(]x[)]"),
        (r"[]()]+(z)", r"[]()]+(?:z)"),
        (r"[^]()](z)", r"[^]()](?:z)"),
        (r"[[:alpha:]()](z)", r"[[:alpha:]()](?:z)"),
        (r"[\]()](z)", r"[\]()](?:z)"),
        (r"\Q(a)\E(b)", r"\Q(a)\E(?:b)"),
    ],
)
def test_capturing_groups_become_non_capturing_and_literal_parentheses_stay(regex: str, expected: str) -> None:
    assert without_captures(regex) == expected
    assert re2.compile(expected).groups == 0


@pytest.mark.parametrize("regex", POLICY_PATTERNS)
def test_no_policy_pattern_keeps_a_group_once_its_captures_are_dropped(regex: str) -> None:
    assert Spans(regex, captures=False).groups == 0


_TELEMETRY_ALPHABET = st.sampled_from(
    [*"aAzZ09 .:-_@=\"'/\\?&#%+()[]{}<>\n\t,;", "name", "password", "email", "token", "Bearer ", "sk-proj-"]
)


@settings(max_examples=300, deadline=None)
@given(text=st.lists(_TELEMETRY_ALPHABET, max_size=40).map("".join))
def test_dropping_captures_never_moves_a_match_of_the_policys_patterns(text: str) -> None:
    data = f" {text}".encode()
    for regex in POLICY_PATTERNS:
        with_groups, without = Spans(regex), Spans(regex, captures=False)
        found = with_groups.search(data)
        assert (found[0] if found else None) == ((without.search(data) or [None])[0])


def test_spans_name_the_whole_match_then_each_group() -> None:
    pattern = Spans(r"(\w+)@(\w+)?")
    assert pattern.search(b"mail jane@ now") == [(5, 10), (5, 9), (-1, -1)]
    assert pattern.match(b"mail jane@ now") is None
    assert pattern.match(b"mail jane@", 5) == [(5, 10), (5, 9), (-1, -1)]
    assert pattern.search(b"nothing here") is None


def test_finditer_answers_every_non_overlapping_match_and_stops_on_empty_ones() -> None:
    assert list(Spans("[0-9]+").finditer(b"a1 22 333")) == [(1, 2), (3, 5), (6, 9)]
    assert list(Spans("x*").finditer(b"ab")) == [(0, 0), (1, 1), (2, 2)]
