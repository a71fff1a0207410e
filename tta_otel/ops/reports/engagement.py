"""The engagement report: per cohort, sessions, completion, duration, interactions, journey steps
and progress, and how progress goes with engagement across cohorts.

k-anonymity: a cohort with fewer than k sessions started in the period is suppressed whole. It
is not shown, and it is left out of every total and correlation, so that it cannot be derived
by subtracting the shown cohorts from a total; the report says how many cohorts were suppressed,
never which. Within a shown cohort, a mean that rests on fewer than k sessions is left empty.
Counts are Prometheus ``increase()`` estimates rounded down, so rounding never lifts a cohort
over k. The rules are explained in docs/engagement.md.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from tta_otel import semconv
from tta_otel.config.schema import EngagementSettings
from tta_otel.ops.reports.prometheus import PeriodQueries, PrometheusClient
from tta_otel.ops.reports.sources import PROMETHEUS
from tta_otel.semconv import prometheus_label

DEFAULT_K: Final = EngagementSettings().k_anonymity
"""The smallest cohort shown unless ``--k`` says otherwise: the ``monitoring.engagement.k_anonymity`` default."""
MIN_CORRELATION_COHORTS: Final = 3
"""Pearson's r of two points is always +1 or -1: a correlation needs at least three cohorts."""
ENGAGEMENT_MEASURES: Final = ("mean_duration_s", "mean_interactions")
"""What mean progress is correlated with."""

_SESSIONS_STARTED: Final = semconv.TTA_ENGAGEMENT_SESSIONS_STARTED.prometheus
_SESSIONS_COMPLETED: Final = semconv.TTA_ENGAGEMENT_SESSIONS_COMPLETED.prometheus
_JOURNEY_STEPS: Final = semconv.TTA_ENGAGEMENT_JOURNEY_STEPS.prometheus
_SESSION_DURATION: Final = semconv.TTA_ENGAGEMENT_SESSION_DURATION
_SESSION_INTERACTIONS: Final = semconv.TTA_ENGAGEMENT_SESSION_INTERACTIONS
_PROGRESS: Final = semconv.TTA_ENGAGEMENT_PROGRESS
_COHORT: Final = prometheus_label(semconv.TTA_COHORT)
_JOURNEY_STEP: Final = prometheus_label(semconv.TTA_JOURNEY_STEP)


@dataclass(frozen=True)
class CohortEngagement:
    cohort: str
    sessions: int
    completed: int
    completion_rate: float | None
    mean_duration_s: float | None
    mean_interactions: float | None
    mean_progress: float | None
    journey_steps: dict[str, int]


@dataclass(frozen=True)
class Correlation:
    """Pearson's r between the cohorts' mean progress and one engagement measure."""

    measure: str
    pearson_r: float | None
    cohorts: int


@dataclass(frozen=True)
class EngagementReport:
    start: str
    end: str
    period_s: float
    k: int
    sessions: int
    completed: int
    completion_rate: float | None
    suppressed_cohorts: int
    cohorts: list[CohortEngagement]
    correlations: list[Correlation]


def _whole(estimate: float) -> int:
    """A count from ``increase()``, rounded down (a float sum of whole numbers may fall just short)."""
    return math.floor(estimate + 1e-6)


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's correlation coefficient; None for fewer than three points or a constant series."""
    if len(xs) < MIN_CORRELATION_COHORTS:
        return None
    try:
        return statistics.correlation(xs, ys)
    except statistics.StatisticsError:  # one of the series is constant
        return None


class _Queries(PeriodQueries):
    """``increase()`` sums over the period that ends at ``end``, grouped by labels."""

    def increase(self, metric: str, *by: str) -> dict[tuple[str, ...], float]:
        promql = f"sum by ({', '.join(by)}) ({self._increase(metric)})"
        return {
            tuple(sample.labels.get(label, "") for label in by): sample.value
            for sample in self._client.query(promql, self._end)
        }

    def by_cohort(self, metric: str) -> dict[str, float]:
        return {cohort: value for (cohort,), value in self.increase(metric, _COHORT).items()}


def _mean(total: dict[str, float], count: dict[str, float], cohort: str, k: int) -> float | None:
    sessions = count.get(cohort, 0.0)
    return total.get(cohort, 0.0) / sessions if _whole(sessions) >= k else None


def _cohorts(queries: _Queries, k: int) -> tuple[list[CohortEngagement], int]:
    """The cohorts with at least k sessions, by name, and how many others there were."""
    started = queries.by_cohort(_SESSIONS_STARTED)
    completed = queries.by_cohort(_SESSIONS_COMPLETED)
    sums = {
        histogram: queries.by_cohort(histogram.prometheus_sum)
        for histogram in (_SESSION_DURATION, _SESSION_INTERACTIONS, _PROGRESS)
    }
    counts = {histogram: queries.by_cohort(histogram.prometheus_count) for histogram in sums}
    steps: dict[str, dict[str, int]] = {}
    for (cohort, step), value in queries.increase(_JOURNEY_STEPS, _COHORT, _JOURNEY_STEP).items():
        steps.setdefault(cohort, {})[step] = _whole(value)
    seen = set(started) | set(completed) | set(steps).union(*counts.values())
    shown = []
    for cohort in sorted(seen):
        sessions = _whole(started.get(cohort, 0.0))
        if sessions < k:
            continue
        shown.append(
            CohortEngagement(
                cohort=cohort,
                sessions=sessions,
                completed=_whole(completed.get(cohort, 0.0)),
                completion_rate=completed.get(cohort, 0.0) / started[cohort],
                mean_duration_s=_mean(sums[_SESSION_DURATION], counts[_SESSION_DURATION], cohort, k),
                mean_interactions=_mean(sums[_SESSION_INTERACTIONS], counts[_SESSION_INTERACTIONS], cohort, k),
                mean_progress=_mean(sums[_PROGRESS], counts[_PROGRESS], cohort, k),
                # a step that fewer than k sessions reached could single one out: left out
                journey_steps={step: n for step, n in sorted(steps.get(cohort, {}).items()) if n >= k},
            )
        )
    return shown, len(seen) - len(shown)


def _correlations(cohorts: list[CohortEngagement]) -> list[Correlation]:
    found = []
    for measure in ENGAGEMENT_MEASURES:
        pairs = [
            (cohort.mean_progress, value)
            for cohort in cohorts
            if cohort.mean_progress is not None and (value := getattr(cohort, measure)) is not None
        ]
        found.append(Correlation(measure, pearson([p for p, _ in pairs], [v for _, v in pairs]), len(pairs)))
    return found


def build_engagement_report(
    client: PrometheusClient,
    period: timedelta,
    k: int = DEFAULT_K,
    end: datetime | None = None,
    environment: str | None = None,
    source: str = PROMETHEUS,
) -> EngagementReport:
    """Query Prometheus (or the long-term tier: ``source``) for the period that ends at ``end`` (now
    by default) and suppress small cohorts.

    ``environment`` limits every query to one ``deployment.environment.name``.
    """
    end = end or datetime.now(UTC)
    cohorts, suppressed = _cohorts(_Queries(client, period, end, environment, source), k)
    sessions = sum(cohort.sessions for cohort in cohorts)
    completed = sum(cohort.completed for cohort in cohorts)
    return EngagementReport(
        start=(end - period).isoformat(),
        end=end.isoformat(),
        period_s=period.total_seconds(),
        k=k,
        sessions=sessions,
        completed=completed,
        completion_rate=completed / sessions if sessions else None,
        suppressed_cohorts=suppressed,
        cohorts=cohorts,
        correlations=_correlations(cohorts),
    )
