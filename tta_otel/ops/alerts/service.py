"""The core of ``tta-otel alerts serve``: every alert's lifecycle, kept in the store and moved
on by Alertmanager's notifications, its silences, the ack endpoint and the clock.

The HTTP handlers and the background check share one lock around the store; calls to
Alertmanager and to receivers are made outside it, so a slow receiver never holds up a
webhook.

A silence acknowledges an alert only while the silence check is authenticated: the client
sends Alertmanager's credentials and Alertmanager refuses requests without them (checked
at start and every ``TRUST_RECHECK``). Otherwise silences are ignored - an alert is
acknowledged only through the token-guarded ack endpoint - and a warning says why.
Records with no event for ``retention`` are pruned at each check.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from tta_otel.ops.alerts.alertmanager import AlertmanagerClient, AlertmanagerError, Silence
from tta_otel.ops.alerts.escalation import DeliveryError, Receiver, escalation_message, send
from tta_otel.ops.alerts.lifecycle import (
    AlertRecord,
    EventKind,
    Notification,
    State,
    Transition,
    acknowledge,
    escalate,
    next_escalation,
    notify,
    resolve,
)
from tta_otel.ops.alerts.logs import get_logger
from tta_otel.ops.alerts.metrics import AlertMetrics
from tta_otel.ops.alerts.store import Store

log = get_logger()

DEFAULT_RETENTION = timedelta(days=30)
TRUST_RECHECK_S = 300.0
"""How often the service asks again whether Alertmanager refuses anonymous requests."""


class AlertService:
    def __init__(
        self,
        store: Store,
        alertmanager: AlertmanagerClient,
        metrics: AlertMetrics,
        chain: tuple[Receiver, ...],
        escalate_after: timedelta,
        retention: timedelta = DEFAULT_RETENTION,
    ) -> None:
        self._store = store
        self._alertmanager = alertmanager
        self._metrics = metrics
        self._chain = chain
        self._escalate_after = escalate_after
        self._lock = threading.Lock()
        self._retention = retention
        self._alertmanager_answers: bool | None = None
        self._silences_trusted: bool | None = None
        self._trust_checked_at = float("-inf")

    def receive(self, notifications: Iterable[Notification]) -> None:
        """Alertmanager notified these alerts (one webhook request)."""
        with self._lock:
            for notification in notifications:
                self._apply(notify(self._store.get(notification.fingerprint), notification, datetime.now(UTC)))

    def acknowledge(self, fingerprint: str, by: str) -> AlertRecord | None:
        """Acknowledge through the ack endpoint; None when no such alert was ever notified."""
        with self._lock:
            record = self._store.get(fingerprint)
            return None if record is None else self._apply(acknowledge(record, datetime.now(UTC), by))

    def records(self, limit: int | None = None) -> list[AlertRecord]:
        with self._lock:
            return self._store.records(limit)

    def health(self) -> dict[str, Any]:
        with self._lock:
            unresolved = self._store.count_unresolved()
        answers = {None: "not asked yet", True: "answers", False: "does not answer"}[self._alertmanager_answers]
        silences = {None: "not asked yet", True: "acknowledge", False: "ignored"}[self._silences_trusted]
        return {"status": "ok", "alertmanager": answers, "silences": silences, "unresolved_alerts": unresolved}

    def check(self) -> None:
        """One round of the background loop: prune, take in Alertmanager's silences and resolutions, then escalate."""
        self.prune()
        self._escalate(self._follow_alertmanager())

    def prune(self) -> int:
        """Forget the records with no event for the retention period; how many went."""
        with self._lock:
            pruned = self._store.prune(datetime.now(UTC) - self._retention)
        if pruned:
            log.info("pruned %d alert records with no event for %s", pruned, self._retention)
        return pruned

    def _trust_silences(self) -> bool:
        """Whether silences may acknowledge: the check is authenticated and Alertmanager refuses anonymous requests.

        Raises AlertmanagerError when Alertmanager does not answer.
        """
        if not self._alertmanager.authenticated:
            trusted, why = False, "the service asks Alertmanager without credentials (--alertmanager-credentials-file)"
        elif time.monotonic() - self._trust_checked_at < TRUST_RECHECK_S and self._silences_trusted is not None:
            return self._silences_trusted
        else:
            trusted = self._alertmanager.refuses_anonymous()
            why = "Alertmanager answers requests without credentials (give it --web.config.file)"
            self._trust_checked_at = time.monotonic()
        if trusted != self._silences_trusted:
            if trusted:
                log.info("silences in Alertmanager acknowledge alerts: its API requires credentials")
            else:
                log.warning(
                    "silences in Alertmanager do not acknowledge alerts: %s; acknowledge with POST /alerts/<fp>/ack",
                    why,
                )
        self._silences_trusted = trusted
        return trusted

    def _follow_alertmanager(self) -> set[str] | None:
        """The fingerprints Alertmanager holds unresolved; None when it was not asked or did not answer.

        A silenced alert is acknowledged (when the silence started, by its author).
        Alertmanager never notifies the resolution of a silenced alert, so an acknowledged
        alert it no longer holds is resolved, now.
        """
        with self._lock:
            unresolved = self._store.unresolved()
        if not unresolved:
            return None
        firing = [record.fingerprint for record in unresolved if record.state is State.FIRING]
        try:
            trusted = self._trust_silences()
            held = self._alertmanager.alerts()
            silences = {fp: self._alertmanager.silence(held[fp][0]) for fp in firing if trusted and held.get(fp)}
        except AlertmanagerError as error:
            self._alertmanager_answered(error)
            return None
        self._alertmanager_answered(None)
        now = datetime.now(UTC)
        with self._lock:
            for record in self._store.unresolved():
                if record.fingerprint in silences:
                    self._apply(self._silenced(record, silences[record.fingerprint], now))
                elif record.state is State.ACKNOWLEDGED and record.fingerprint not in held:
                    self._apply(resolve(record, now, "no longer held by Alertmanager"))
        return set(held)

    @staticmethod
    def _silenced(record: AlertRecord, silence: Silence, now: datetime) -> Transition:
        return acknowledge(record, min(silence.starts_at, now), f"{silence.created_by} (silence {silence.id})")

    def _alertmanager_answered(self, error: AlertmanagerError | None) -> None:
        if error is not None and self._alertmanager_answers is not False:
            log.warning(
                "Alertmanager does not answer (%s): until it does, silences go unseen and alerts escalate", error
            )
        elif error is None and self._alertmanager_answers is False:
            log.info("Alertmanager answers again")
        self._alertmanager_answers = error is None

    def _escalate(self, held: set[str] | None) -> None:
        """Send every escalation due; an alert Alertmanager no longer holds waits (its resolution is on the way)."""
        now = datetime.now(UTC)
        with self._lock:
            due = [
                (record, step)
                for record in self._store.unresolved()
                if (step := next_escalation(record, now, self._escalate_after, len(self._chain))) is not None
                and (held is None or record.fingerprint in held)
            ]
        for record, step in due:
            receiver = self._chain[step]
            try:
                send(receiver, escalation_message(record, step, self._chain, now))
            except DeliveryError as error:
                log.warning("%s for %s %s; trying again at the next check", error, record.alertname, record.fingerprint)
                self._metrics.escalated(record, receiver.name, error.error_type)
                continue
            self._metrics.escalated(record, receiver.name, None)
            with self._lock:
                latest = self._store.get(record.fingerprint) or record  # records are never deleted
                self._apply(escalate(latest, receiver.name, datetime.now(UTC)))

    def _apply(self, transition: Transition) -> AlertRecord:
        """Store the transition; log it and measure what it measures."""
        record = transition.record
        if transition.events:
            self._store.save(transition)
        for event in transition.events:
            level = logging.DEBUG if event.kind is EventKind.NOTIFIED else logging.INFO
            detail = f": {event.detail}" if event.detail else ""
            log.log(level, "%s %s (%s) %s%s", record.alertname, record.fingerprint, record.severity, event.kind, detail)
            seconds = (event.at - record.fired_at).total_seconds()
            if event.kind is EventKind.ACKNOWLEDGED:
                self._metrics.acknowledged(record, seconds)
            elif event.kind is EventKind.RESOLVED:
                self._metrics.resolved(record, seconds)
        return record
