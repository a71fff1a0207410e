"""The dependencies a service checks, and what their last check said.

A registry is the one place the periodic checker writes results to and the readiness endpoint
reads them from, so neither knows about the other. Two ways in:

- ``register(name, type, check)``: a callable the application owns (a model provider's
  status call); the registry holds it, and whatever it closes over, until ``unregister``.
- ``watch(target, name, type, probe)``: a client an instrumentation saw being created (a
  redis-py pool, a Neo4j driver). The registry holds the client by weak reference only, so a
  health check never keeps a client alive; when every client watched under one name has been
  collected, the dependency disappears from the registry.

A dependency is identified by its name and type; registering the same pair again replaces its
check and keeps its last result.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_logger = logging.getLogger(__name__)

Check = Callable[[], object]
"""Returns (or, for a coroutine function, awaits to) anything but ``False`` when the dependency is up."""
Key = tuple[str, str]
"""(name, type) of a dependency."""


@dataclass(frozen=True)
class Status:
    """What the readiness endpoint and the ``tta.dependency.up`` gauge report for one dependency."""

    name: str
    type: str
    up: bool | None
    """``None`` until its first check has finished."""
    checked_at: float | None
    """Unix time at which the last check finished (or timed out)."""


class _Watched:
    """The check of clients held by weak reference: it probes whichever of them is still alive."""

    def __init__(self, probe: Callable[[Any], object]) -> None:
        self._probe = probe
        self._targets: weakref.WeakSet[Any] = weakref.WeakSet()

    def add(self, target: Any) -> None:
        self._targets.add(target)

    @property
    def alive(self) -> bool:
        return len(self._targets) > 0

    def __call__(self) -> object:
        for target in list(self._targets):
            return self._probe(target)
        raise LookupError("every client of this dependency has been collected")


@dataclass
class _Entry:
    check: Check
    up: bool | None = None
    checked_at: float | None = None
    in_flight: bool = False

    @property
    def gone(self) -> bool:
        return isinstance(self.check, _Watched) and not self.check.alive


def _valid(name: object, type_: object) -> bool:
    return isinstance(name, str) and bool(name) and isinstance(type_, str) and bool(type_)


class Registry:
    """Thread-safe: instrumentations register from the application's threads, the checker records
    from its own, and the readiness endpoint reads from the server's."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Key, _Entry] = {}
        self._listeners: list[Callable[[], object]] = []

    def on_added(self, listener: Callable[[], object]) -> None:
        """Call ``listener()`` whenever a new dependency is added: the checker checks it at once, so
        that ``/readyz`` need not wait a whole interval for a client made after start-up."""
        with self._lock:
            self._listeners.append(listener)

    def off_added(self, listener: Callable[[], object]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _added(self) -> None:
        for listener in list(self._listeners):
            listener()

    def register(self, name: str, type: str, check: Check) -> bool:
        """Check ``check`` periodically as dependency ``name`` of kind ``type`` (``redis``, ``llm``, ...).

        Returns whether it was registered; an invalid argument is logged, never raised, so that a
        mistake here cannot stop the service.
        """
        if not _valid(name, type) or not callable(check):
            _logger.error(
                "tta_otel: health check %r of type %r not registered: it needs a name, a type and a callable",
                name,
                type,
            )
            return False
        with self._lock:
            entry = self._entries.get((name, type))
            if entry is None:
                self._entries[(name, type)] = _Entry(check)
            else:
                entry.check = check
        if entry is None:
            self._added()
        return True

    def watch(self, target: Any, name: str, type: str, probe: Callable[[Any], object]) -> None:
        """Check ``target`` with ``probe(target)`` while it lives; it is held by weak reference only."""
        with self._lock:
            entry = self._entries.get((name, type))
            if entry is None or not isinstance(entry.check, _Watched):
                watched = _Watched(probe)
                if entry is None:
                    self._entries[(name, type)] = _Entry(watched)
                else:
                    entry.check = watched
            else:
                watched = entry.check
            watched.add(target)
        if entry is None:
            self._added()

    def unregister(self, name: str, type: str) -> None:
        with self._lock:
            self._entries.pop((name, type), None)

    def due(self) -> list[tuple[Key, Check]]:
        """The checks to run now: every dependency whose previous check is not still running. Forgets
        the dependencies whose watched clients have all been collected."""
        with self._lock:
            self._forget_gone()
            due = [(key, entry.check) for key, entry in self._entries.items() if not entry.in_flight]
            for key, _ in due:
                self._entries[key].in_flight = True
            return due

    def record(self, key: Key, up: bool, checked_at: float) -> None:
        """The result of a check; a dependency unregistered meanwhile stays unregistered."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                entry.up = up
                entry.checked_at = checked_at

    def finished(self, key: Key) -> None:
        """The check of ``key`` returned (possibly long after it was recorded as timed out)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                entry.in_flight = False

    def statuses(self) -> list[Status]:
        """Every dependency's last result, by type then name."""
        with self._lock:
            self._forget_gone()
            return [
                Status(name, type_, entry.up, entry.checked_at)
                for (name, type_), entry in sorted(self._entries.items(), key=lambda item: (item[0][1], item[0][0]))
            ]

    def _forget_gone(self) -> None:
        for key in [key for key, entry in self._entries.items() if entry.gone]:
            del self._entries[key]


__all__ = ["Check", "Key", "Registry", "Status"]
