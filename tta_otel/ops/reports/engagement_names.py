"""The Prometheus names of the engagement instruments (``tta_otel.engagement.semconv``).

Prometheus's OTLP receiver appends the unit (``s`` -> ``_seconds``; ``{session}`` and ``1`` on a
histogram add nothing) and ``_total`` to monotonic sums, and writes dots as underscores. A
stack test exports the real instruments through the collector and proves these names exist.
"""

from __future__ import annotations

from typing import Final

SESSIONS_STARTED: Final = "tta_engagement_sessions_started_total"
SESSIONS_COMPLETED: Final = "tta_engagement_sessions_completed_total"
SESSION_DURATION: Final = "tta_engagement_session_duration_seconds"
SESSION_INTERACTIONS: Final = "tta_engagement_session_interactions"
JOURNEY_STEPS: Final = "tta_engagement_journey_steps_total"
PROGRESS: Final = "tta_engagement_progress"

COHORT: Final = "tta_cohort"
JOURNEY_STEP: Final = "tta_journey_step"
