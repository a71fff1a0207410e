"""``track``: engagement events in, aggregate metrics out; no identifier ever leaves the call."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Mapping
from enum import StrEnum

from opentelemetry import metrics
from opentelemetry.util.types import AttributeValue

from tta_otel import __version__, instruments, semconv
from tta_otel.config.schema import EngagementSettings
from tta_otel.engagement.sessions import SessionState, SessionTable
from tta_otel.privacy import pseudonymize
from tta_otel.startup import startup_config

_logger = logging.getLogger(__name__)

_SCOPE = "tta_otel.engagement"
MAX_VALUE_LENGTH = 64
MAX_VALUES_PER_ATTRIBUTE = 100


class EngagementEvent(StrEnum):
    """What TTA reports; ``track`` also takes the plain strings."""

    SESSION_START = "session_start"
    SESSION_END = "session_end"
    INTERACTION = "interaction"
    CHOICE = "choice"
    COMPLETION = "completion"
    JOURNEY_STEP = "journey_step"


class RejectReason(StrEnum):
    """Why part of an event was not recorded: the values of ``tta.engagement.reason``."""

    UNKNOWN_EVENT = "unknown_event"
    UNKNOWN_SESSION = "unknown_session"
    SESSION_ALREADY_STARTED = "session_already_started"
    ATTRIBUTE_NOT_ALLOWED = "attribute_not_allowed"
    INVALID_PROGRESS = "invalid_progress"
    MISSING_JOURNEY_STEP = "missing_journey_step"
    VALUE_NOT_ALLOWED = "value_not_allowed"


_EVENTS = {kind.value: kind for kind in EngagementEvent}
_INTERACTIONS = frozenset({EngagementEvent.INTERACTION, EngagementEvent.CHOICE})


def _valid_progress(progress: object) -> bool:
    """A real number in [0, 1]; NaN, booleans and strings are not."""
    return isinstance(progress, int | float) and not isinstance(progress, bool) and 0.0 <= progress <= 1.0


class EngagementTelemetry:
    """The engagement instruments and the sessions in progress, bound to one meter provider.

    The module-level ``track`` uses the global meter provider and the ``monitoring.engagement``
    settings of ``tta_config.yaml``; tests and applications with their own provider build one.
    """

    def __init__(
        self,
        meter_provider: metrics.MeterProvider | None = None,
        settings: EngagementSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        settings = settings or EngagementSettings()
        meter = metrics.get_meter(_SCOPE, __version__, meter_provider)
        self.started = instruments.counter(meter, semconv.TTA_ENGAGEMENT_SESSIONS_STARTED)
        self.completed = instruments.counter(meter, semconv.TTA_ENGAGEMENT_SESSIONS_COMPLETED)
        self.duration = instruments.histogram(meter, semconv.TTA_ENGAGEMENT_SESSION_DURATION)
        self.interactions = instruments.histogram(meter, semconv.TTA_ENGAGEMENT_SESSION_INTERACTIONS)
        self.journey_steps = instruments.counter(meter, semconv.TTA_ENGAGEMENT_JOURNEY_STEPS)
        self.progress = instruments.histogram(meter, semconv.TTA_ENGAGEMENT_PROGRESS)
        self.rejected = instruments.counter(meter, semconv.TTA_ENGAGEMENT_REJECTED)
        self.allowed_attributes = frozenset(settings.allowed_attributes)
        self._short_names = {key.removeprefix("tta.").replace(".", "_"): key for key in self.allowed_attributes}
        self._sessions = SessionTable(settings.max_sessions, settings.session_timeout_s)
        self._clock = clock
        self._lock = threading.Lock()
        self._warned: set[RejectReason] = set()
        self._values: dict[str, set[AttributeValue]] = {}

    def track(
        self, event: EngagementEvent | str, *, session: str, progress: float | None = None, **attributes: AttributeValue
    ) -> None:
        """Record one event of ``session``; never raises. See the package documentation."""
        try:
            with self._lock:
                self._track(event, session, progress, attributes)
        except Exception:  # telemetry must never break the game
            _logger.debug("tta_otel: recording an engagement event failed", exc_info=True)

    def open_sessions(self) -> tuple[str, ...]:
        """The pseudonyms of the sessions in progress, least recently active first (for diagnostics)."""
        with self._lock:
            return self._sessions.keys()

    def _track(
        self, event: EngagementEvent | str, session: str, progress: float | None, attributes: Mapping[str, object]
    ) -> None:
        now = self._clock()
        for expired in self._sessions.expire(now):
            self._record_end(expired, expired.last_seen)
        kind = _EVENTS.get(str(event))
        if kind is None:
            self._reject(RejectReason.UNKNOWN_EVENT)
            return
        kept = self._allowed(attributes)
        if progress is not None and not _valid_progress(progress):
            self._reject(RejectReason.INVALID_PROGRESS)
            progress = None
        key = pseudonymize(str(session))
        if kind is EngagementEvent.SESSION_START:
            self._start(key, kept, progress, now)
            return
        state = self._sessions.pop(key) if kind is EngagementEvent.SESSION_END else self._sessions.touch(key, now)
        if state is None:
            self._reject(RejectReason.UNKNOWN_SESSION)
            return
        if progress is not None:
            state.progress = float(progress)
        if kind in _INTERACTIONS:
            state.interactions += 1
        elif kind is EngagementEvent.COMPLETION and not state.completed:
            state.completed = True
            self.completed.add(1, state.attributes)
        elif kind is EngagementEvent.JOURNEY_STEP:
            self._journey_step(state, kept)
        elif kind is EngagementEvent.SESSION_END:
            self._record_end(state, now)

    def _allowed(self, attributes: Mapping[str, object]) -> dict[str, AttributeValue]:
        kept: dict[str, AttributeValue] = {}
        for name, value in attributes.items():
            key = name if name in self.allowed_attributes else self._short_names.get(name)
            if key is None or not isinstance(value, str | int) or isinstance(value, bool):
                self._reject(RejectReason.ATTRIBUTE_NOT_ALLOWED)
            elif self._bounded(key, value):
                kept[key] = value
            else:
                self._reject(RejectReason.VALUE_NOT_ALLOWED)
        return kept

    def _bounded(self, key: str, value: AttributeValue) -> bool:
        """Values become metric attributes: a long value, or one more than the first
        ``MAX_VALUES_PER_ATTRIBUTE`` distinct values of a key (text built from player input, say),
        is refused, so the number of series stays bounded."""
        if isinstance(value, str) and len(value) > MAX_VALUE_LENGTH:
            return False
        seen = self._values.setdefault(key, set())
        if value in seen:
            return True
        if len(seen) >= MAX_VALUES_PER_ATTRIBUTE:
            return False
        seen.add(value)
        return True

    def _start(self, key: str, kept: dict[str, AttributeValue], progress: float | None, now: float) -> None:
        if key in self._sessions:
            self._reject(RejectReason.SESSION_ALREADY_STARTED)
            return
        attributes = {name: value for name, value in kept.items() if name != semconv.TTA_JOURNEY_STEP}
        state = SessionState(attributes, started=now, last_seen=now, progress=progress)
        for evicted in self._sessions.start(key, state):
            self._record_end(evicted, evicted.last_seen)
        self.started.add(1, attributes)

    def _journey_step(self, state: SessionState, kept: dict[str, AttributeValue]) -> None:
        step = kept.get(semconv.TTA_JOURNEY_STEP)
        if step is None:
            self._reject(RejectReason.MISSING_JOURNEY_STEP)
            return
        self.journey_steps.add(1, {**state.attributes, semconv.TTA_JOURNEY_STEP: step})

    def _record_end(self, state: SessionState, ended: float) -> None:
        self.duration.record(ended - state.started, state.attributes)
        self.interactions.record(state.interactions, state.attributes)
        if state.progress is not None:
            self.progress.record(state.progress, state.attributes)

    def _reject(self, reason: RejectReason) -> None:
        self.rejected.add(1, {semconv.TTA_ENGAGEMENT_REASON: reason.value})
        if reason not in self._warned:
            self._warned.add(reason)
            _logger.warning(
                "tta_otel: part of an engagement event was not recorded (%s); later ones are only counted in %s",
                reason.value,
                semconv.TTA_ENGAGEMENT_REJECTED.name,
            )


@functools.cache
def _default_telemetry() -> EngagementTelemetry:
    """Bound to the global meter provider, which may be installed after this module is imported."""
    return EngagementTelemetry(settings=startup_config().config.engagement)


def track(
    event: EngagementEvent | str, *, session: str, progress: float | None = None, **attributes: AttributeValue
) -> None:
    """Record one engagement event of ``session`` (see the package documentation); never raises.

    ``track("session_start", session=session_id, cohort="b", scenario="forest")``, then
    ``track("interaction", session=session_id)``, ``track("journey_step", session=session_id,
    journey_step="grounding")``, ``track("completion", session=session_id)`` and
    ``track("session_end", session=session_id, progress=0.4)``.
    """
    _default_telemetry().track(event, session=session, progress=progress, **attributes)
