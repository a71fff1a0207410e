"""The lifecycle of an alert, step by step, with the clock in the test's hands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tta_otel.ops.alerts.lifecycle import (
    AlertRecord,
    EventKind,
    Notification,
    State,
    acknowledge,
    as_json,
    escalate,
    next_escalation,
    notify,
    resolve,
)

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
FINGERPRINT = "0123456789abcdef"
LABELS = {"alertname": "TTANarratorDown", "severity": "critical", "tta_component": "narrator"}
EVERY = timedelta(minutes=15)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def firing(labels: dict[str, str] = LABELS, starts_at: datetime = T0) -> Notification:
    return Notification(FINGERPRINT, False, labels, {"summary": "the narrator is down"}, starts_at)


def resolved(ends_at: datetime, starts_at: datetime = T0) -> Notification:
    return Notification(FINGERPRINT, True, LABELS, {"summary": "the narrator is down"}, starts_at, ends_at)


def fired(labels: dict[str, str] = LABELS) -> AlertRecord:
    """A record as the first notification, one minute after the alert started, leaves it."""
    return notify(None, firing(labels), at(1)).record


def kinds(record: AlertRecord) -> list[EventKind]:
    return [event.kind for event in record.events]


def test_the_first_notification_starts_a_firing_record_at_alertmanagers_starts_at() -> None:
    transition = notify(None, firing(), at(1))

    record = transition.record
    assert (record.state, record.fired_at, record.notifications) == (State.FIRING, T0, 1)
    assert (record.alertname, record.severity, record.component) == ("TTANarratorDown", "critical", "narrator")
    assert [(e.at, e.kind, e.detail) for e in transition.events] == [
        (T0, EventKind.FIRED, ""),
        (at(1), EventKind.NOTIFIED, "firing"),
    ]
    assert record.events == transition.events


def test_each_further_notification_is_counted_and_kept_in_the_history() -> None:
    later = Notification(FINGERPRINT, False, LABELS, {"summary": "still down"}, T0)

    transition = notify(fired(), later, at(5))

    assert transition.record.notifications == 2
    assert transition.record.annotations == {"summary": "still down"}
    assert [(e.at, e.kind) for e in transition.events] == [(at(5), EventKind.NOTIFIED)]
    assert kinds(transition.record) == [EventKind.FIRED, EventKind.NOTIFIED, EventKind.NOTIFIED]


def test_acknowledging_a_firing_alert_records_who_and_the_time_to_acknowledge() -> None:
    transition = acknowledge(fired(), at(4), "alice (silence 5f1c)")

    record = transition.record
    assert (record.state, record.acknowledged_at, record.acknowledged_by) == (
        State.ACKNOWLEDGED,
        at(4),
        "alice (silence 5f1c)",
    )
    assert record.time_to_acknowledge == 240.0
    assert [(e.at, e.kind, e.detail) for e in transition.events] == [
        (at(4), EventKind.ACKNOWLEDGED, "alice (silence 5f1c)")
    ]


def test_an_acknowledgement_never_precedes_the_firing() -> None:
    """A silence created in advance starts before the alert it later mutes."""
    record = acknowledge(fired(), at(-30), "maintenance window").record

    assert record.acknowledged_at == T0
    assert record.time_to_acknowledge == 0.0


def test_only_a_firing_alert_is_acknowledged() -> None:
    acknowledged = acknowledge(fired(), at(4), "alice").record
    resolved_record = resolve(fired(), at(9), "alertmanager").record

    again = acknowledge(acknowledged, at(6), "bob")
    after_resolution = acknowledge(resolved_record, at(10), "bob")

    assert (again.record, again.events) == (acknowledged, ())
    assert (after_resolution.record, after_resolution.events) == (resolved_record, ())


def test_a_resolved_notification_resolves_the_alert_at_its_ends_at() -> None:
    acknowledged = acknowledge(fired(), at(4), "alice").record

    transition = notify(acknowledged, resolved(ends_at=at(20)), at(21))

    record = transition.record
    assert (record.state, record.resolved_at, record.time_to_resolve) == (State.RESOLVED, at(20), 1200.0)
    assert record.time_to_acknowledge == 240.0
    assert [(e.at, e.kind, e.detail) for e in transition.events] == [
        (at(21), EventKind.NOTIFIED, "resolved"),
        (at(20), EventKind.RESOLVED, "alertmanager"),
    ]


def test_an_alert_first_heard_of_in_its_resolution_is_recorded_fired_and_resolved() -> None:
    """The service was down while the alert fired."""
    transition = notify(None, resolved(ends_at=at(20)), at(21))

    assert transition.record.state is State.RESOLVED
    assert transition.record.time_to_resolve == 1200.0
    assert transition.record.time_to_acknowledge is None
    assert kinds(transition.record) == [EventKind.FIRED, EventKind.NOTIFIED, EventKind.RESOLVED]


def test_resolving_a_resolved_alert_changes_nothing() -> None:
    record = resolve(fired(), at(20), "alertmanager").record

    transition = resolve(record, at(30), "no longer held by Alertmanager")

    assert (transition.record, transition.events) == (record, ())


def test_a_resolution_never_precedes_the_firing() -> None:
    record = resolve(fired(), at(-1), "alertmanager").record

    assert record.resolved_at == T0


def test_a_resolved_alert_that_fires_again_starts_a_new_episode_and_keeps_the_history() -> None:
    first = escalate(fired(), "secondary-on-call", at(15)).record
    first = acknowledge(first, at(16), "alice").record
    first = resolve(first, at(20), "alertmanager").record

    transition = notify(first, firing(starts_at=at(60)), at(61))

    record = transition.record
    assert (record.state, record.fired_at, record.notifications, record.escalations) == (State.FIRING, at(60), 1, 0)
    assert (record.acknowledged_at, record.resolved_at, record.last_escalated_at) == (None, None, None)
    assert record.events[: len(first.events)] == first.events
    assert [e.kind for e in transition.events] == [EventKind.FIRED, EventKind.NOTIFIED]


def test_a_repeated_firing_notification_of_a_resolved_alert_only_counts() -> None:
    """A notification of the episode that already ended (same startsAt) does not reopen it."""
    record = resolve(fired(), at(20), "alertmanager").record

    transition = notify(record, firing(), at(21))

    assert transition.record.state is State.RESOLVED
    assert transition.record.notifications == 2
    assert [e.kind for e in transition.events] == [EventKind.NOTIFIED]


def test_an_unacknowledged_critical_alert_escalates_to_the_first_receiver_after_the_interval() -> None:
    record = fired()

    assert next_escalation(record, at(14.9), EVERY, steps=2) is None
    assert next_escalation(record, at(15), EVERY, steps=2) == 0


def test_each_next_receiver_follows_the_previous_escalation_by_the_interval() -> None:
    record = escalate(fired(), "secondary-on-call", at(16)).record

    assert (record.escalations, record.last_escalated_at) == (1, at(16))
    assert record.events[-1].kind is EventKind.ESCALATED
    assert record.events[-1].detail == "secondary-on-call"
    assert next_escalation(record, at(30), EVERY, steps=2) is None
    assert next_escalation(record, at(31), EVERY, steps=2) == 1


def test_a_service_that_was_down_escalates_one_step_at_a_time() -> None:
    record = fired()

    assert next_escalation(record, at(120), EVERY, steps=3) == 0
    after_first = escalate(record, "secondary-on-call", at(120)).record
    assert next_escalation(after_first, at(121), EVERY, steps=3) is None


def test_escalation_ends_with_the_chain() -> None:
    record = fired()
    for step, receiver in enumerate(("secondary-on-call", "engineering-lead")):
        record = escalate(record, receiver, at(15 * (step + 1))).record

    assert next_escalation(record, at(600), EVERY, steps=2) is None


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(acknowledge(fired(), at(4), "alice").record, id="acknowledged"),
        pytest.param(resolve(fired(), at(9), "alertmanager").record, id="resolved"),
        pytest.param(fired({**LABELS, "severity": "warning"}), id="warning"),
        pytest.param(fired({"alertname": "TTANoSeverity"}), id="no-severity"),
    ],
)
def test_only_unacknowledged_critical_alerts_escalate(record: AlertRecord) -> None:
    assert next_escalation(record, at(600), EVERY, steps=2) is None


def test_a_record_reads_as_json_with_its_times_measures_and_history() -> None:
    record = acknowledge(fired(), at(4), "alice").record

    document = as_json(record)

    assert document == {
        "fingerprint": FINGERPRINT,
        "alertname": "TTANarratorDown",
        "severity": "critical",
        "component": "narrator",
        "state": "acknowledged",
        "fired_at": "2026-11-26T09:00:00+00:00",
        "notifications": 1,
        "acknowledged_at": "2026-11-26T09:04:00+00:00",
        "acknowledged_by": "alice",
        "escalations": 0,
        "last_escalated_at": None,
        "resolved_at": None,
        "time_to_acknowledge_s": 240.0,
        "time_to_resolve_s": None,
        "labels": LABELS,
        "annotations": {"summary": "the narrator is down"},
        "events": [
            {"at": "2026-11-26T09:00:00+00:00", "kind": "fired", "detail": ""},
            {"at": "2026-11-26T09:01:00+00:00", "kind": "notified", "detail": "firing"},
            {"at": "2026-11-26T09:04:00+00:00", "kind": "acknowledged", "detail": "alice"},
        ],
    }
