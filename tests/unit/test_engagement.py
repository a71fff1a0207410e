"""Specification of ``tta_otel.engagement``: aggregate engagement metrics, and no identifier in them."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from faker import Faker
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, Metric
from pydantic import ValidationError

from tta_otel import engagement, privacy, semconv
from tta_otel.config.schema import EngagementSettings
from tta_otel.engagement import EngagementTelemetry
from tta_otel.engagement.tracking import _default_telemetry
from tta_otel.privacy import Redactor
from tta_otel.testing import metrics as exported


@pytest.fixture(autouse=True)
def _test_key(redactor: Redactor) -> None:
    """Pseudonyms under the tests' synthetic key (conftest restores the packaged policy after each test)."""
    privacy.set_active_redactor(redactor)


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Recorded:
    telemetry: EngagementTelemetry
    reader: InMemoryMetricReader
    clock: ManualClock

    def metrics(self) -> dict[str, Metric]:
        return exported.metrics(self.reader.get_metrics_data())

    def points(self, name: str) -> list[Any]:
        return exported.points(self.reader.get_metrics_data(), name)

    def values(self, name: str) -> dict[exported.Series, float]:
        """Counter values, or histogram sums, by series."""
        if name in HISTOGRAMS:
            return exported.sums(self.reader.get_metrics_data(), name)
        return exported.values(self.reader.get_metrics_data(), name)

    def counts(self, name: str) -> dict[exported.Series, int]:
        """How many values each series of a histogram received."""
        return exported.counts(self.reader.get_metrics_data(), name)

    def rejected(self) -> dict[str, float]:
        return {dict(key)[semconv.TTA_ENGAGEMENT_REASON]: value for key, value in self.values(REJECTED).items()}


def _recorded(settings: EngagementSettings | None = None) -> Recorded:
    reader = InMemoryMetricReader()
    clock = ManualClock()
    return Recorded(EngagementTelemetry(MeterProvider(metric_readers=[reader]), settings, clock), reader, clock)


@pytest.fixture
def recorded() -> Recorded:
    return _recorded()


COHORT_B = frozenset({("tta.cohort", "b"), ("tta.scenario", "forest")})
STARTED = semconv.TTA_ENGAGEMENT_SESSIONS_STARTED.name
COMPLETED = semconv.TTA_ENGAGEMENT_SESSIONS_COMPLETED.name
DURATION = semconv.TTA_ENGAGEMENT_SESSION_DURATION.name
INTERACTIONS = semconv.TTA_ENGAGEMENT_SESSION_INTERACTIONS.name
JOURNEY_STEPS = semconv.TTA_ENGAGEMENT_JOURNEY_STEPS.name
PROGRESS = semconv.TTA_ENGAGEMENT_PROGRESS.name
REJECTED = semconv.TTA_ENGAGEMENT_REJECTED.name
HISTOGRAMS = (DURATION, INTERACTIONS, PROGRESS)


def _play(recorded: Recorded, session: str, *, seconds: float = 600.0, progress: float = 0.4) -> None:
    """A whole session of cohort b: two interactions, a choice, two journey steps, a completion."""
    track = recorded.telemetry.track
    track("session_start", session=session, cohort="b", scenario="forest")
    track("interaction", session=session)
    track("journey_step", session=session, journey_step="intro")
    track("choice", session=session)
    track("journey_step", session=session, journey_step="grounding")
    track("interaction", session=session)
    track("completion", session=session)
    recorded.clock.now += seconds
    track("session_end", session=session, progress=progress)


def test_every_instrument_has_its_name_and_unit(recorded: Recorded) -> None:
    _play(recorded, "s-1")
    recorded.telemetry.track("level_up", session="s-1")

    assert {name: metric.unit for name, metric in recorded.metrics().items()} == {
        "tta.engagement.sessions.started": "{session}",
        "tta.engagement.sessions.completed": "{session}",
        "tta.engagement.session.duration": "s",
        "tta.engagement.session.interactions": "{interaction}",
        "tta.engagement.journey.steps": "{step}",
        "tta.engagement.progress": "1",
        "tta.engagement.rejected": "{item}",
    }


def test_a_started_session_is_counted_with_its_allow_listed_attributes(recorded: Recorded) -> None:
    recorded.telemetry.track("session_start", session="s-1", cohort="b", scenario="forest")

    assert recorded.values(STARTED) == {COHORT_B: 1}


def test_a_completion_is_counted_once_per_session_with_the_session_attributes(recorded: Recorded) -> None:
    _play(recorded, "s-1")

    assert recorded.values(COMPLETED) == {COHORT_B: 1}


def test_a_reported_completion_is_not_counted_twice(recorded: Recorded) -> None:
    recorded.telemetry.track("session_start", session="s-1", cohort="b", scenario="forest")
    recorded.telemetry.track("completion", session="s-1")
    recorded.telemetry.track("completion", session="s-1")

    assert recorded.values(COMPLETED) == {COHORT_B: 1}


def test_the_duration_runs_from_session_start_to_session_end(recorded: Recorded) -> None:
    _play(recorded, "s-1", seconds=754.5)

    assert recorded.values(DURATION) == {COHORT_B: 754.5}


def test_interactions_and_choices_are_counted_per_session(recorded: Recorded) -> None:
    _play(recorded, "s-1")
    _play(recorded, "s-2")

    assert (recorded.values(INTERACTIONS), recorded.counts(INTERACTIONS)) == (
        {COHORT_B: 6},
        {COHORT_B: 2},
    )


def test_journey_steps_are_counted_by_step_and_cohort(recorded: Recorded) -> None:
    _play(recorded, "s-1")

    assert recorded.values(JOURNEY_STEPS) == {
        COHORT_B | {("tta.journey.step", "intro")}: 1,
        COHORT_B | {("tta.journey.step", "grounding")}: 1,
    }


def test_the_latest_progress_is_recorded_once_when_the_session_ends(recorded: Recorded) -> None:
    track = recorded.telemetry.track
    track("session_start", session="s-1", cohort="b", scenario="forest")
    track("interaction", session="s-1", progress=0.2)
    track("interaction", session="s-1", progress=0.3)
    track("session_end", session="s-1")

    assert (recorded.values(PROGRESS), recorded.counts(PROGRESS)) == ({COHORT_B: 0.3}, {COHORT_B: 1})


def test_histograms_have_explicit_buckets(recorded: Recorded) -> None:
    _play(recorded, "s-1")

    assert {name: tuple(recorded.points(name)[0].explicit_bounds) for name in HISTOGRAMS} == {
        "tta.engagement.session.duration": (30, 60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200),
        "tta.engagement.session.interactions": (1, 2, 5, 10, 20, 50, 100, 200, 500),
        "tta.engagement.progress": (0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
    }


def test_no_identifier_reaches_any_exported_metric(recorded: Recorded, fake: Faker) -> None:
    session, player = fake.email(), fake.name()
    track = recorded.telemetry.track
    track("session_start", session=session, cohort="b", player_id=player, **{"tta.player.id": player})
    track("interaction", session=session, **{"player.id": player, "session.id": session})
    track("session_end", session=session, progress=0.5)

    exported = recorded.reader.get_metrics_data()
    assert exported is not None
    text = exported.to_json()
    for identifier in (session, player, privacy.pseudonymize(session), privacy.pseudonymize(player)):
        assert identifier not in text
    assert {
        key for metric in recorded.metrics().values() for p in metric.data.data_points for key in p.attributes or {}
    } == {
        "tta.cohort",
        "tta.engagement.reason",
    }


def test_sessions_are_held_by_their_pseudonym(recorded: Recorded, fake: Faker) -> None:
    session = fake.email()

    recorded.telemetry.track("session_start", session=session)

    assert recorded.telemetry.open_sessions() == (privacy.pseudonymize(session),)


def test_attributes_outside_the_allow_list_are_dropped_and_counted(recorded: Recorded, fake: Faker) -> None:
    recorded.telemetry.track("session_start", session="s-1", cohort="b", mood="low", **{"user.email": fake.email()})

    assert (recorded.values(STARTED), recorded.rejected()) == (
        {frozenset({("tta.cohort", "b")}): 1},
        {"attribute_not_allowed": 2},
    )


def test_allow_listed_keys_with_values_of_high_cardinality_types_are_dropped(recorded: Recorded) -> None:
    recorded.telemetry.track("session_start", session="s-1", cohort=4.25, scenario=True)

    assert (recorded.values(STARTED), recorded.rejected()) == (
        {frozenset(): 1},
        {"attribute_not_allowed": 2},
    )


def test_a_long_value_is_dropped_and_counted(recorded: Recorded, fake: Faker) -> None:
    recorded.telemetry.track("session_start", session="s-1", cohort="b", scenario=fake.text(max_nb_chars=200))

    assert (recorded.values(STARTED), recorded.rejected()) == (
        {frozenset({("tta.cohort", "b")}): 1},
        {"value_not_allowed": 1},
    )


def test_a_key_keeps_at_most_100_distinct_values(recorded: Recorded) -> None:
    for index in range(101):
        recorded.telemetry.track("session_start", session=f"s-{index}", cohort=f"cohort-{index}")

    assert len(recorded.values(STARTED)) == 101  # 100 cohorts and one without
    assert frozenset() in recorded.values(STARTED)
    assert recorded.rejected() == {"value_not_allowed": 1}


def test_the_allow_list_comes_from_the_settings_and_keywords_name_its_keys() -> None:
    recorded = _recorded(EngagementSettings(allowed_attributes=["tta.age_band"]))

    recorded.telemetry.track("session_start", session="s-1", age_band="18-25", cohort="b")

    assert recorded.values(STARTED) == {frozenset({("tta.age_band", "18-25")}): 1}


def test_the_settings_refuse_identifiers_in_the_allow_list() -> None:
    with pytest.raises(ValidationError, match=r"identifiers are never metric attributes: remove tta\.player\.id"):
        EngagementSettings(allowed_attributes=["tta.cohort", "tta.player.id"])


def test_each_reason_is_logged_once(recorded: Recorded, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="tta_otel.engagement"):
        recorded.telemetry.track("session_start", session="s-1", mood="low")
        recorded.telemetry.track("session_start", session="s-2", mood="high")

    assert [r.getMessage() for r in caplog.records if r.name.startswith("tta_otel.engagement")] == [
        "tta_otel: part of an engagement event was not recorded (attribute_not_allowed); "
        "later ones are only counted in tta.engagement.rejected"
    ]


@pytest.mark.parametrize("progress", [1.5, -0.1, float("nan"), True, "0.5"])
def test_progress_outside_zero_to_one_is_rejected_not_clamped(recorded: Recorded, progress: Any) -> None:
    recorded.telemetry.track("session_start", session="s-1", cohort="b")
    recorded.telemetry.track("session_end", session="s-1", progress=progress)

    assert (recorded.points(PROGRESS), recorded.counts(DURATION), recorded.rejected()) == (
        [],
        {frozenset({("tta.cohort", "b")}): 1},
        {"invalid_progress": 1},
    )


@pytest.mark.parametrize(
    ("events", "reason"),
    [
        (["level_up"], "unknown_event"),
        (["interaction"], "unknown_session"),
        (["session_start", "session_end", "session_end"], "unknown_session"),
        (["session_start", "session_start"], "session_already_started"),
        (["session_start", "journey_step"], "missing_journey_step"),
    ],
)
def test_events_that_cannot_be_recorded_are_counted_by_reason(
    recorded: Recorded, events: list[str], reason: str
) -> None:
    for event in events:
        recorded.telemetry.track(event, session="s-1")

    assert recorded.rejected() == {reason: 1}


def test_the_least_recently_active_session_ends_when_the_table_is_full() -> None:
    recorded = _recorded(EngagementSettings(max_sessions=2))
    track = recorded.telemetry.track
    track("session_start", session="s-1")
    recorded.clock.now += 10
    track("session_start", session="s-2")
    recorded.clock.now += 10
    track("interaction", session="s-1")
    recorded.clock.now += 10

    track("session_start", session="s-3")

    assert recorded.telemetry.open_sessions() == tuple(privacy.pseudonymize(s) for s in ("s-1", "s-3"))
    assert recorded.values(DURATION) == {frozenset(): 0.0}  # s-2 ended at its last event


def test_an_idle_session_ends_at_its_last_event_after_the_timeout() -> None:
    recorded = _recorded(EngagementSettings(session_timeout_s=60))
    track = recorded.telemetry.track
    track("session_start", session="s-1")
    recorded.clock.now += 50
    track("interaction", session="s-1", progress=0.25)
    recorded.clock.now += 61

    track("session_start", session="s-2")

    assert recorded.telemetry.open_sessions() == (privacy.pseudonymize("s-2"),)
    assert (recorded.values(DURATION), recorded.values(PROGRESS)) == (
        {frozenset(): 50.0},
        {frozenset(): 0.25},
    )


def test_the_table_never_holds_more_than_max_sessions() -> None:
    recorded = _recorded(EngagementSettings(max_sessions=100))

    for number in range(1000):
        recorded.telemetry.track("session_start", session=f"s-{number}")

    assert (len(recorded.telemetry.open_sessions()), recorded.counts(DURATION)) == (
        100,
        {frozenset(): 900},
    )


def test_track_never_raises_into_the_game(recorded: Recorded, caplog: pytest.LogCaptureFixture) -> None:
    def broken_clock() -> float:
        raise OSError("clock unavailable")

    recorded.telemetry._clock = broken_clock

    with caplog.at_level(logging.DEBUG, logger="tta_otel.engagement"):
        recorded.telemetry.track("session_start", session="s-1")

    assert caplog.records[-1].getMessage() == "tta_otel: recording an engagement event failed"


@pytest.fixture
def default_telemetry(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    _default_telemetry.cache_clear()
    yield clean_env
    _default_telemetry.cache_clear()


def test_the_module_level_track_uses_the_settings_of_tta_config(
    default_telemetry: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "tta_config.yaml"
    config.write_text("monitoring:\n  engagement:\n    allowed_attributes: [tta.cohort]\n    max_sessions: 1\n")
    default_telemetry.setenv("TTA_CONFIG", str(config))

    engagement.track("session_start", session="s-1", cohort="b")
    engagement.track("session_start", session="s-2", cohort="b")

    assert _default_telemetry().allowed_attributes == {"tta.cohort"}
    assert _default_telemetry().open_sessions() == (privacy.pseudonymize("s-2"),)


def test_the_in_app_side_imports_none_of_the_tools() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, tta_otel.engagement; print(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()

    assert [m for m in loaded if m.startswith(("tta_otel.ops.cli", "tta_otel.ops.reports", "tta_otel.ops.stack"))] == []
