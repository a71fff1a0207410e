"""The lifecycle records on disk: one SQLite database in the state directory.

Each ``Transition`` is written in one transaction (the record's row and the events it
added), so a restart, a crash or a power cut finds every record as it was after its last
complete step. One ``tta-otel alerts serve`` at a time may use a state directory: two
would both escalate every alert; a lock file refuses the second.

Every query reads through an index and binds a fixed number of parameters, however many
records there are; records with no event for the retention period are pruned
(``prune``), so the database does not grow without end.

A ``Store`` is not thread-safe: ``AlertService`` serialises its calls.
"""

from __future__ import annotations

import fcntl
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from tta_otel.ops.alerts.lifecycle import AlertRecord, Event, EventKind, State, Transition

DATABASE = "alerts.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    fingerprint TEXT PRIMARY KEY,
    labels TEXT NOT NULL,
    annotations TEXT NOT NULL,
    state TEXT NOT NULL,
    fired_at TEXT NOT NULL,
    notifications INTEGER NOT NULL,
    acknowledged_at TEXT,
    acknowledged_by TEXT,
    escalations INTEGER NOT NULL,
    last_escalated_at TEXT,
    resolved_at TEXT,
    updated_at TEXT
);
CREATE TABLE IF NOT EXISTS events (
    fingerprint TEXT NOT NULL REFERENCES alerts (fingerprint),
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_alert ON events (fingerprint);
"""
_INDEXES = """
CREATE INDEX IF NOT EXISTS alerts_by_fired_at ON alerts (fired_at);
CREATE INDEX IF NOT EXISTS alerts_by_state ON alerts (state, fired_at);
CREATE INDEX IF NOT EXISTS alerts_by_updated_at ON alerts (updated_at);
"""
_ADD_UPDATED_AT = """
ALTER TABLE alerts ADD COLUMN updated_at TEXT;
UPDATE alerts SET updated_at = (SELECT max(at) FROM events WHERE events.fingerprint = alerts.fingerprint);
"""
"""A database of an earlier version gets the time of each record's latest event."""
_COLUMNS = (
    "fingerprint, labels, annotations, state, fired_at, notifications, acknowledged_at, acknowledged_by, "
    "escalations, last_escalated_at, resolved_at"
)


class StoreError(RuntimeError):
    """The state directory cannot be used; the message says what to do."""


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _text(value: datetime | None) -> str | None:
    """UTC, so that the text sorts as the times do."""
    return None if value is None else value.astimezone(UTC).isoformat()


class Store:
    def __init__(self, connection: sqlite3.Connection, lock: IO[str]) -> None:
        self._db = connection
        self._lock = lock

    @classmethod
    def open(cls, directory: Path) -> Store:
        """The store in ``directory`` (created if need be), locked for this process until ``close``."""
        try:
            directory.mkdir(parents=True, exist_ok=True)
            lock = (directory / "lock").open("w")
        except OSError as exc:
            raise StoreError(f"cannot use the state directory {directory}: {exc}") from exc
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise StoreError(
                f"another `tta-otel alerts serve` uses {directory}: stop it, or give this one another --state-dir"
            ) from None
        connection = sqlite3.connect(directory / DATABASE, check_same_thread=False)
        with connection:
            connection.executescript(_SCHEMA)
            columns = {row[1] for row in connection.execute("PRAGMA table_info(alerts)")}
            if "updated_at" not in columns:
                connection.executescript(_ADD_UPDATED_AT)
            connection.executescript(_INDEXES)
        return cls(connection, lock)

    def close(self) -> None:
        self._db.close()
        self._lock.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def save(self, transition: Transition) -> None:
        """Write the record and the events the transition added; its ``updated_at`` is the latest event's time."""
        record = transition.record
        updated_at = max((event.at for event in record.events), default=record.fired_at)
        with self._db:
            self._db.execute(
                f"INSERT OR REPLACE INTO alerts ({_COLUMNS}, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.fingerprint,
                    json.dumps(dict(record.labels), sort_keys=True),
                    json.dumps(dict(record.annotations), sort_keys=True),
                    record.state.value,
                    _text(record.fired_at),
                    record.notifications,
                    _text(record.acknowledged_at),
                    record.acknowledged_by,
                    record.escalations,
                    _text(record.last_escalated_at),
                    _text(record.resolved_at),
                    _text(updated_at),
                ),
            )
            self._db.executemany(
                "INSERT INTO events (fingerprint, at, kind, detail) VALUES (?, ?, ?, ?)",
                [(record.fingerprint, _text(e.at), e.kind.value, e.detail) for e in transition.events],
            )

    def get(self, fingerprint: str) -> AlertRecord | None:
        records = self._select("WHERE fingerprint = ?", "", (fingerprint,))
        return records[0] if records else None

    def records(self, limit: int | None = None) -> list[AlertRecord]:
        """Every record (the latest ``limit`` with one), the latest fired first."""
        if limit is None:
            return self._select("", "ORDER BY fired_at DESC", ())
        return self._select(
            "WHERE fingerprint IN (SELECT fingerprint FROM alerts ORDER BY fired_at DESC LIMIT ?)",
            "ORDER BY fired_at DESC",
            (limit,),
        )

    def unresolved(self) -> list[AlertRecord]:
        """The firing and acknowledged records, the earliest fired first."""
        return self._select(
            "WHERE state IN (?, ?)", "ORDER BY fired_at", (State.FIRING.value, State.ACKNOWLEDGED.value)
        )

    def count_unresolved(self) -> int:
        row = self._db.execute(
            "SELECT count(*) FROM alerts WHERE state IN (?, ?)", (State.FIRING.value, State.ACKNOWLEDGED.value)
        ).fetchone()
        return int(row[0])

    def prune(self, before: datetime) -> int:
        """Delete every record whose latest event is older than ``before`` (with its events); how many went.

        Alertmanager notifies a firing alert again every ``repeat_interval``, so only a record
        it has long stopped telling about goes, whatever its state.
        """
        cutoff = _text(before)
        with self._db:
            self._db.execute(
                "DELETE FROM events WHERE fingerprint IN (SELECT fingerprint FROM alerts WHERE updated_at < ?)",
                (cutoff,),
            )
            return self._db.execute("DELETE FROM alerts WHERE updated_at < ?", (cutoff,)).rowcount

    def _select(self, condition: str, order: str, parameters: tuple[str | int, ...]) -> list[AlertRecord]:
        """The records that ``condition`` (on ``alerts``, with ``parameters``) picks, and their events:
        two statements with a fixed number of parameters, whatever the number of records."""
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM alerts {condition} {order}", parameters).fetchall()
        events: dict[str, list[Event]] = {row[0]: [] for row in rows}
        if not rows:
            return []
        for fingerprint, at, kind, detail in self._db.execute(
            "SELECT fingerprint, at, kind, detail FROM events "
            f"WHERE fingerprint IN (SELECT fingerprint FROM alerts {condition}) ORDER BY rowid",
            parameters,
        ):
            if fingerprint in events:
                events[fingerprint].append(Event(datetime.fromisoformat(at), EventKind(kind), detail))
        return [
            AlertRecord(
                fingerprint=row[0],
                labels=json.loads(row[1]),
                annotations=json.loads(row[2]),
                state=State(row[3]),
                fired_at=datetime.fromisoformat(row[4]),
                notifications=row[5],
                acknowledged_at=_time(row[6]),
                acknowledged_by=row[7],
                escalations=row[8],
                last_escalated_at=_time(row[9]),
                resolved_at=_time(row[10]),
                events=tuple(events[row[0]]),
            )
            for row in rows
        ]
