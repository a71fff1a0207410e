"""Specification of the capacity report's recommendation rules, first match wins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tta_otel.ops.reports.capacity import RULES, rule_of

NOW = datetime(2026, 11, 30, tzinfo=UTC)
GIB = 1024**3


@pytest.mark.parametrize(
    ("used", "growth", "runs_out", "rule"),
    [
        (2 * GIB, 0.0, None, "at-limit"),
        (1 * GIB, 1e6, NOW + timedelta(days=6), "within-7-days"),
        (0.1 * GIB, 1e6, NOW + timedelta(days=20), "within-30-days"),
        (1.7 * GIB, 0.0, None, "little-headroom"),
        (0.2 * GIB, 0.0, None, "over-provisioned"),
        (0.2 * GIB, None, None, "over-provisioned"),
        (0.2 * GIB, 1e6, None, "ok"),
        (1 * GIB, 0.0, None, "ok"),
    ],
)
def test_the_first_rule_that_applies_is_the_recommendation(
    used: float, growth: float | None, runs_out: datetime | None, rule: str
) -> None:
    assert rule_of(used, 2 * GIB, growth, runs_out, NOW) == rule


def test_every_rule_is_documented_in_order() -> None:
    from tta_otel.ops.reports import capacity

    documented = [
        line.split("``")[1] for line in (capacity.__doc__ or "").splitlines() if line[:2].rstrip(".").isdigit()
    ]
    assert documented == list(RULES)
