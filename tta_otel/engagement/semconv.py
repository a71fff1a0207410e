"""The names and units of the engagement instruments, and the attribute keys they carry.

TTA's own namespace (``tta.engagement.*``): no semantic convention covers engagement. The
Prometheus names they become are in ``tta_otel.ops.reports.engagement_names``.
"""

from __future__ import annotations

from typing import Final

SESSIONS_STARTED: Final = "tta.engagement.sessions.started"
SESSIONS_COMPLETED: Final = "tta.engagement.sessions.completed"
SESSION_DURATION: Final = "tta.engagement.session.duration"
SESSION_INTERACTIONS: Final = "tta.engagement.session.interactions"
JOURNEY_STEPS: Final = "tta.engagement.journey.steps"
PROGRESS: Final = "tta.engagement.progress"
REJECTED: Final = "tta.engagement.rejected"

COHORT: Final = "tta.cohort"
SCENARIO: Final = "tta.scenario"
JOURNEY_STEP: Final = "tta.journey.step"
REASON: Final = "tta.engagement.reason"

DURATION_BUCKETS: Final = (30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 2700.0, 3600.0, 5400.0, 7200.0)
"""Seconds: half a minute to two hours, finer where most sessions end."""
INTERACTION_BUCKETS: Final = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0)
PROGRESS_BUCKETS: Final = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
"""Tenths of the way; 0.0 on its own so that "no progress" is a bucket of its own."""
HISTOGRAM_BUCKETS: Final = {
    SESSION_DURATION: DURATION_BUCKETS,
    SESSION_INTERACTIONS: INTERACTION_BUCKETS,
    PROGRESS: PROGRESS_BUCKETS,
}
