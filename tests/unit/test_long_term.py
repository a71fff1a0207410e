"""The long-term tier's contract: which series Prometheus sends it, how a report asks it the same
question it asks Prometheus, and when ``--source auto`` chooses it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tta_otel.ops.reports import sources

REPO = Path(__file__).resolve().parents[2]
RULE_FILES = sorted((REPO / "prometheus" / "rules").glob("*.yml"))


def _recorded() -> dict[str, set[str]]:
    """Every recorded series name, by rule file."""
    found: dict[str, set[str]] = {}
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "record" in rule:
                    found.setdefault(path.name, set()).add(rule["record"])
    return found


def _remote_write() -> dict[str, Any]:
    (target,) = yaml.safe_load((REPO / "prometheus" / "prometheus.yml").read_text())["remote_write"]
    return dict(target)


def test_prometheus_sends_the_long_term_rules_and_nothing_else() -> None:
    (keep,) = _remote_write()["write_relabel_configs"]
    assert keep["action"] == "keep" and keep["source_labels"] == ["__name__"]
    pattern = re.compile(f"^(?:{keep['regex']})$")  # Prometheus anchors relabel regexes

    sent = {name for names in _recorded().values() for name in names if pattern.match(name)}

    assert sent == _recorded()["long-term.yml"]


def test_every_long_term_rule_is_a_5_minute_increase_of_the_counter_it_names() -> None:
    (group,) = yaml.safe_load((REPO / "prometheus/rules/long-term.yml").read_text())["groups"]
    assert group["interval"] == "5m"
    for rule in group["rules"]:
        match = sources.LONG_TERM_PATTERN.match(rule["record"])
        assert match, rule["record"]
        assert f"increase({match.group(1)}[5m])" in rule["expr"]


def test_a_period_increase_is_the_sum_of_its_5_minute_increases_in_the_long_term_tier() -> None:
    metric, matchers = "tta_errors_total", 'deployment_environment_name="production"'

    assert sources.period_increase(metric, matchers, "2592000s", sources.PROMETHEUS) == (
        'increase(tta_errors_total{deployment_environment_name="production"}[2592000s])'
    )
    assert sources.period_increase(metric, matchers, "2592000s", sources.LONG_TERM) == (
        'sum_over_time(tta:tta_errors_total:increase5m{deployment_environment_name="production"}[2592000s])'
    )


def test_a_name_that_cannot_be_a_long_term_series_is_refused() -> None:
    with pytest.raises(ValueError, match="not a counter's name"):
        sources.long_term_series("http.server.duration")


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("15d", timedelta(days=15)),
        ("2w3d", timedelta(days=17)),
        ("15d or 10GiB", timedelta(days=15)),
        ("1y", timedelta(days=365)),
        ("10GiB", None),
    ],
)
def test_prometheuss_retention_is_read_as_it_writes_it(text: str, period: timedelta | None) -> None:
    assert sources.parse_retention(text) == period


@pytest.mark.parametrize(
    ("asked", "period", "keeps", "chosen"),
    [
        ("auto", timedelta(days=30), timedelta(days=15), "long-term"),
        ("auto", timedelta(days=15), timedelta(days=15), "prometheus"),
        ("auto", timedelta(days=7), timedelta(days=15), "prometheus"),
        ("auto", timedelta(days=400), None, "prometheus"),
        ("prometheus", timedelta(days=30), timedelta(days=15), "prometheus"),
        ("long-term", timedelta(hours=1), timedelta(days=15), "long-term"),
    ],
)
def test_auto_reads_the_long_term_tier_only_past_what_prometheus_keeps(
    asked: str, period: timedelta, keeps: timedelta | None, chosen: str
) -> None:
    assert sources.choose(asked, period, keeps) == chosen
