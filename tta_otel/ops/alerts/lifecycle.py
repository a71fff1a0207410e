"""The lifecycle of one alert, as a pure state machine: no clock, no I/O.

An alert, keyed by Alertmanager's fingerprint of its labels, goes

    firing --(acknowledged)--> acknowledged --(resolved)--> resolved
    firing --(resolved)--> resolved
    resolved --(a firing notification that started later)--> firing   (a new episode)

Every function takes the current record and the time (injected) and returns a
``Transition``: the new record and the events it added to the record's history, so that
the caller can store them and turn them into metrics and log lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

CRITICAL = "critical"
"""The ``severity`` label value of the alerts that escalate."""


class State(StrEnum):
    FIRING = "firing"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class EventKind(StrEnum):
    FIRED = "fired"
    NOTIFIED = "notified"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: EventKind
    detail: str = ""


@dataclass(frozen=True)
class Notification:
    """One alert of an Alertmanager webhook payload."""

    fingerprint: str
    resolved: bool
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: datetime
    ends_at: datetime | None = None


@dataclass(frozen=True)
class AlertRecord:
    fingerprint: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    state: State
    fired_at: datetime
    notifications: int = 0
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    escalations: int = 0
    last_escalated_at: datetime | None = None
    resolved_at: datetime | None = None
    events: tuple[Event, ...] = ()

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")

    @property
    def severity(self) -> str:
        return self.labels.get("severity", "")

    @property
    def component(self) -> str:
        """The ``tta_component`` label, which TTA's alert rules carry from the resource's ``tta.component``."""
        return self.labels.get("tta_component", "")

    @property
    def time_to_acknowledge(self) -> float | None:
        """Seconds from firing to acknowledgement; None until acknowledged."""
        return None if self.acknowledged_at is None else (self.acknowledged_at - self.fired_at).total_seconds()

    @property
    def time_to_resolve(self) -> float | None:
        """Seconds from firing to resolution; None until resolved."""
        return None if self.resolved_at is None else (self.resolved_at - self.fired_at).total_seconds()


@dataclass(frozen=True)
class Transition:
    record: AlertRecord
    events: tuple[Event, ...]
    """What this step added to ``record.events``; empty when nothing changed."""


def _step(record: AlertRecord, *events: Event, **changes: Any) -> Transition:
    return Transition(replace(record, events=record.events + events, **changes), events)


def notify(record: AlertRecord | None, notification: Notification, now: datetime) -> Transition:
    """Alertmanager sent ``notification`` (firing or resolved) at ``now``.

    The first notification of an alert starts its record, fired at Alertmanager's
    ``startsAt``; so does a firing notification that started after a resolved record
    fired (the alert fired again). A resolved notification resolves the record at its
    ``endsAt``.
    """
    notified = Event(now, EventKind.NOTIFIED, "resolved" if notification.resolved else "firing")
    if record is None or (record.state is State.RESOLVED and notification.starts_at > record.fired_at):
        episode = AlertRecord(
            notification.fingerprint,
            notification.labels,
            notification.annotations,
            State.FIRING,
            notification.starts_at,
            events=() if record is None else record.events,
        )
        transition = _step(episode, Event(notification.starts_at, EventKind.FIRED), notified, notifications=1)
    else:
        transition = _step(
            record, notified, notifications=record.notifications + 1, annotations=notification.annotations
        )
    if not notification.resolved:
        return transition
    resolution = resolve(transition.record, notification.ends_at or now, "alertmanager")
    return Transition(resolution.record, transition.events + resolution.events)


def acknowledge(record: AlertRecord, at: datetime, by: str) -> Transition:
    """Someone took the alert at ``at`` (never before it fired); only a firing alert can be acknowledged."""
    if record.state is not State.FIRING:
        return Transition(record, ())
    at = max(at, record.fired_at)
    return _step(
        record, Event(at, EventKind.ACKNOWLEDGED, by), state=State.ACKNOWLEDGED, acknowledged_at=at, acknowledged_by=by
    )


def resolve(record: AlertRecord, at: datetime, how: str) -> Transition:
    """The alert stopped firing at ``at`` (never before it fired); ``how`` says who told."""
    if record.state is State.RESOLVED:
        return Transition(record, ())
    at = max(at, record.fired_at)
    return _step(record, Event(at, EventKind.RESOLVED, how), state=State.RESOLVED, resolved_at=at)


def next_escalation(record: AlertRecord, now: datetime, escalate_after: timedelta, steps: int) -> int | None:
    """The index of the chain step due at ``now``, or None.

    A critical alert that is still unacknowledged ``escalate_after`` after it fired goes to
    the chain's first receiver, and after each further ``escalate_after`` without an
    acknowledgement to the next, until the chain of ``steps`` receivers ends. Steps are
    counted from the previous escalation, so a service that was down sends one step at a
    time rather than the whole chain at once.
    """
    if record.state is not State.FIRING or record.severity != CRITICAL or record.escalations >= steps:
        return None
    since = record.last_escalated_at or record.fired_at
    return record.escalations if now - since >= escalate_after else None


def escalate(record: AlertRecord, receiver: str, at: datetime) -> Transition:
    """The next step of the chain, ``receiver``, was notified at ``at``."""
    return _step(
        record,
        Event(at, EventKind.ESCALATED, receiver),
        escalations=record.escalations + 1,
        last_escalated_at=at,
    )


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def as_json(record: AlertRecord) -> dict[str, Any]:
    """The record as operators read it from ``GET /alerts``."""
    return {
        "fingerprint": record.fingerprint,
        "alertname": record.alertname,
        "severity": record.severity,
        "component": record.component,
        "state": record.state.value,
        "fired_at": record.fired_at.isoformat(),
        "notifications": record.notifications,
        "acknowledged_at": _time(record.acknowledged_at),
        "acknowledged_by": record.acknowledged_by,
        "escalations": record.escalations,
        "last_escalated_at": _time(record.last_escalated_at),
        "resolved_at": _time(record.resolved_at),
        "time_to_acknowledge_s": record.time_to_acknowledge,
        "time_to_resolve_s": record.time_to_resolve,
        "labels": dict(record.labels),
        "annotations": dict(record.annotations),
        "events": [{"at": e.at.isoformat(), "kind": e.kind.value, "detail": e.detail} for e in record.events],
    }
