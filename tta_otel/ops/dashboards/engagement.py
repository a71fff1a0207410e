"""TTA engagement: the aggregate engagement metrics per cohort (docs/engagement.md). No session or
player appears: the metrics carry allow-listed low-cardinality attributes only. The panels apply no
k-anonymity, so small cohorts show; share `tta-otel report engagement` instead, and keep access to
this dashboard to the people who may see them."""

from __future__ import annotations

from typing import Final

from grafana_foundation_sdk.models import dashboard as model

from tta_otel import semconv
from tta_otel.ops.dashboards.common import (
    Look,
    Panel,
    Query,
    dashboard,
    graph,
    grid,
    increase,
    rate,
    single,
    thresholds,
)
from tta_otel.semconv import prometheus_label

UID: Final = "tta-engagement"
SESSIONS_STARTED: Final = semconv.TTA_ENGAGEMENT_SESSIONS_STARTED.prometheus
SESSIONS_COMPLETED: Final = semconv.TTA_ENGAGEMENT_SESSIONS_COMPLETED.prometheus
SESSION_DURATION: Final = semconv.TTA_ENGAGEMENT_SESSION_DURATION.prometheus
SESSION_INTERACTIONS: Final = semconv.TTA_ENGAGEMENT_SESSION_INTERACTIONS.prometheus
JOURNEY_STEPS: Final = semconv.TTA_ENGAGEMENT_JOURNEY_STEPS.prometheus
PROGRESS: Final = semconv.TTA_ENGAGEMENT_PROGRESS.prometheus
REJECTED: Final = semconv.TTA_ENGAGEMENT_REJECTED.prometheus
COHORT: Final = prometheus_label(semconv.TTA_COHORT)
JOURNEY_STEP: Final = prometheus_label(semconv.TTA_JOURNEY_STEP)


def _mean(histogram: str) -> str:
    """The mean of the values a histogram recorded over the dashboard's time range, per cohort."""
    return f"{increase(f'{histogram}_sum', by=COHORT)} / {increase(f'{histogram}_count', by=COHORT)}"


def _sessions() -> list[Panel]:
    return [
        single(
            "Sessions started",
            Look("Sessions started over the dashboard's time range, per cohort.", "short", width=8),
            Query(increase(SESSIONS_STARTED, by=COHORT), "{{tta_cohort}}", instant=True),
        ),
        single(
            "Completion rate",
            Look(
                "Sessions completed over sessions started in the time range, per cohort (above 100 % when "
                "sessions started earlier completed now).",
                "percentunit",
                thresholds("orange", (0.5, "green")),
                width=8,
            ),
            Query(
                f"{increase(SESSIONS_COMPLETED, by=COHORT)} / {increase(SESSIONS_STARTED, by=COHORT)}",
                "{{tta_cohort}}",
                instant=True,
            ),
        ),
        graph(
            "Sessions started per minute",
            Look("Sessions starting, per cohort.", "suffix: sessions/min", width=8, min=0),
            Query(f"60 * {rate(SESSIONS_STARTED, by=COHORT)}", "{{tta_cohort}}"),
        ),
    ]


def _depth() -> list[Panel]:
    return [
        single(
            "Mean session duration",
            Look("Mean duration of the sessions that ended in the time range, per cohort.", "s", width=8),
            Query(_mean(SESSION_DURATION), "{{tta_cohort}}", instant=True),
        ),
        single(
            "Mean interactions per session",
            Look("Player turns (choices included) per session that ended in the time range.", "short", width=8),
            Query(_mean(SESSION_INTERACTIONS), "{{tta_cohort}}", instant=True),
        ),
        single(
            "Mean progress",
            Look(
                "Final progress (0 to 1, TTA's indicator) of the sessions that ended with one.", "percentunit", width=8
            ),
            Query(_mean(PROGRESS), "{{tta_cohort}}", instant=True),
        ),
        grid(
            "Journey steps reached",
            Look("How often each journey step was reached in the time range, per cohort.", "short", width=12),
            Query(increase(JOURNEY_STEPS, by=f"{COHORT}, {JOURNEY_STEP}"), instant=True),
        ),
        grid(
            "Engagement events rejected",
            Look(
                "Events not recorded, by reason (docs/engagement.md): a bug in how a service calls track().",
                "short",
                thresholds("green", (1, "orange")),
                width=12,
            ),
            Query(increase(REJECTED, by="tta_engagement_reason"), instant=True),
        ),
    ]


def build() -> model.Dashboard:
    return dashboard(
        UID,
        "TTA engagement",
        "Aggregate engagement per cohort; no k-anonymity here, share tta-otel report engagement instead.",
        [("Sessions", _sessions()), ("Depth and progress", _depth())],
    )
