"""Where a report reads its period from: Prometheus, or the long-term tier (VictoriaMetrics).

Prometheus keeps raw samples for ``metrics.raw`` (15 days by default); the long-term tier keeps,
for ``metrics.long_term``, the 5-minute increases that prometheus/rules/long-term.yml records and
Prometheus remote-writes to it. A report asks the same question of either: the increase of a
counter over its period is ``increase(M{...}[period])`` in Prometheus and the sum of the period's
5-minute increases, ``sum_over_time(tta:M:increase5m{...}[period])``, in the long-term tier, where
``tta:M:increase5m`` keeps the labels reports group and filter by (environment, repository,
component, status code, bucket, cohort, journey step) and no others.

``--source auto`` (the default) reads the long-term tier when the period reaches further back than
Prometheus keeps (its ``storageRetention``, from ``/api/v1/status/runtimeinfo``), else Prometheus.
VictoriaMetrics answers the Prometheus HTTP API, so one client serves both.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Final

PROMETHEUS: Final = "prometheus"
LONG_TERM: Final = "long-term"
AUTO: Final = "auto"
SOURCES: Final = (AUTO, PROMETHEUS, LONG_TERM)

LONG_TERM_PATTERN: Final = re.compile(r"^tta:([a-z0-9_]+):increase5m$")
"""The names of the long-term series; prometheus.yml's remote write keeps exactly these."""

_DURATION_PART = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400, "y": 365 * 86_400}


def long_term_series(metric: str) -> str:
    """``tta:<metric>:increase5m``: the long-term tier's 5-minute increases of counter ``metric``."""
    name = f"tta:{metric}:increase5m"
    if not LONG_TERM_PATTERN.match(name):
        raise ValueError(f"{metric!r} is not a counter's name that the long-term tier can keep")
    return name


def period_increase(metric: str, matchers: str, window: str, source: str) -> str:
    """The PromQL of the increase of ``metric{matchers}`` over ``window`` from ``source``."""
    if source == LONG_TERM:
        return f"sum_over_time({long_term_series(metric)}{{{matchers}}}[{window}])"
    if source == PROMETHEUS:
        return f"increase({metric}{{{matchers}}}[{window}])"
    raise ValueError(f"no source {source!r}; sources: {PROMETHEUS}, {LONG_TERM}")


def parse_retention(text: str) -> timedelta | None:
    """Prometheus's ``storageRetention`` (``15d``, ``2w3d``, ``15d or 10GiB``) as a period; None when
    it names no time (a size alone)."""
    time_part = text.partition(" or ")[0].strip()
    parts = _DURATION_PART.findall(time_part)
    if not parts or "".join(number + unit for number, unit in parts) != time_part:
        return None
    return timedelta(seconds=sum(int(number) * _SECONDS[unit] for number, unit in parts))


def choose(source: str, period: timedelta, prometheus_keeps: timedelta | None) -> str:
    """``source`` itself, or for ``auto`` the long-term tier when ``period`` reaches past what
    Prometheus keeps (``prometheus_keeps``; None: a size-only retention, which keeps no fixed period)."""
    if source != AUTO:
        return source
    return LONG_TERM if prometheus_keeps is not None and period > prometheus_keeps else PROMETHEUS


__all__ = [
    "AUTO",
    "LONG_TERM",
    "LONG_TERM_PATTERN",
    "PROMETHEUS",
    "SOURCES",
    "choose",
    "long_term_series",
    "parse_retention",
    "period_increase",
]
