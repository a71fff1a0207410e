"""Sessions in progress, held in a bounded table so that memory stays bounded whatever TTA sends.

The table is keyed by the session's pseudonym, never by its raw id, and holds only what the
metrics need at the session's end: when it started, how many interactions it had, its
latest progress and its allow-listed attributes.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from opentelemetry.util.types import AttributeValue


@dataclass
class SessionState:
    attributes: dict[str, AttributeValue]
    started: float
    last_seen: float
    interactions: int = 0
    progress: float | None = None
    completed: bool = False


class SessionTable:
    """Least recently active first; at most ``max_sessions`` entries, none idle for over ``timeout_s``.

    Not thread-safe: the caller holds a lock.
    """

    def __init__(self, max_sessions: int, timeout_s: float) -> None:
        self._max_sessions = max_sessions
        self._timeout_s = timeout_s
        self._sessions: OrderedDict[str, SessionState] = OrderedDict()

    def __contains__(self, key: str) -> bool:
        return key in self._sessions

    def keys(self) -> tuple[str, ...]:
        return tuple(self._sessions)

    def start(self, key: str, state: SessionState) -> list[SessionState]:
        """Add a session; returns the least recently active ones pushed out to make room."""
        self._sessions[key] = state
        evicted = []
        while len(self._sessions) > self._max_sessions:
            evicted.append(self._sessions.popitem(last=False)[1])
        return evicted

    def touch(self, key: str, now: float) -> SessionState | None:
        """The session, marked active at ``now``; None when it is not held."""
        state = self._sessions.get(key)
        if state is not None:
            state.last_seen = now
            self._sessions.move_to_end(key)
        return state

    def pop(self, key: str) -> SessionState | None:
        return self._sessions.pop(key, None)

    def expire(self, now: float) -> list[SessionState]:
        """Remove and return the sessions idle for longer than the timeout."""
        expired = []
        while self._sessions:
            key, state = next(iter(self._sessions.items()))
            if now - state.last_seen <= self._timeout_s:
                break
            expired.append(state)
            del self._sessions[key]
        return expired
