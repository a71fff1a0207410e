"""Keeps the native stack running: a component that exits is started again, and logs stay bounded.

``tta-otel stack up`` starts one supervisor process beside the components (``stack down`` stops
it first). Each second it looks at every component: one that was started, is not running, and
that nobody stopped on purpose (``Stack.stop`` marks it *held*), is started again after a back-off that
doubles with each failed try (1 s, 2 s, 4 s, ... up to a minute) and resets once the component
has stayed up for a minute. Each restart is counted in the component's state directory, shown by
``stack status`` and exported as ``tta.stack.component.restarts``. A component's log is rotated
when it outgrows ``LOG_LIMIT_BYTES`` (copy, then truncate: the component keeps its open file,
which it writes in append mode), keeping ``LOG_KEEP`` old copies.

With gateways (``stack up --gateways N``), each pass also compares the gateways that answer their
health check with those the agent sends to, and when they differ makes the agent send to the
answering ones only (``Stack.set_gateway_members``): a gateway that has not answered
``LEAVE_AFTER_FAILED_CHECKS`` checks in a row stops receiving its share of the trace ids, the others
take it, and it gets its share back once it answers again. The agent is told only while it answers
its own health check and was not started in the same pass: the reload is a SIGHUP, which a
collector still starting would not survive.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tta_otel.ops.stack.runner import Stack, StackError

AGENT = "otel-collector"
"""With gateways, the collector that clients talk to is their agent (``tta_otel.ops.stack.gateways``)."""

_logger = logging.getLogger(__name__)

BACKOFF_BASE_S = 1.0
BACKOFF_MAX_S = 60.0
STABLE_AFTER_S = 60.0
"""A component that has run this long has its back-off reset."""
LOG_LIMIT_BYTES = 10 * 1024 * 1024
LOG_KEEP = 3
LEAVE_AFTER_FAILED_CHECKS = 2
"""A gateway leaves the agent's ring after this many failed health checks in a row (one a pass):
one slow answer does not cost the agent a reload."""
PRUNE_INTERVAL_S = 3600.0
"""How often the retention classes that no store keeps by itself are applied: the shorter log classes
(VictoriaLogs's own retention checks hourly too) and the report files."""


def backoff(failures: int) -> float:
    """Seconds to wait before the next try after ``failures`` tries in a row (the first waits ``BACKOFF_BASE_S``)."""
    return min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2.0 ** max(failures - 1, 0))


def rotate(log: Path, limit: int = LOG_LIMIT_BYTES, keep: int = LOG_KEEP) -> bool:
    """Rotate ``log`` when it is larger than ``limit``: ``.1`` is the newest old copy, ``.<keep>``
    the oldest kept. Returns whether it rotated."""
    try:
        if log.stat().st_size <= limit:
            return False
    except FileNotFoundError:
        return False
    for index in range(keep - 1, 0, -1):
        older = log.with_name(f"{log.name}.{index}")
        if older.exists():
            older.replace(log.with_name(f"{log.name}.{index + 1}"))
    shutil.copyfile(log, log.with_name(f"{log.name}.1"))
    with open(log, "r+b") as output:
        output.truncate(0)
    return True


@dataclass
class _Watch:
    failures: int = 0
    next_try: float = 0.0
    up_since: float | None = None


class Supervisor:
    """One pass over the stack at a time (``check``), or a loop of them (``run``)."""

    def __init__(self, stack: Stack, clock: Callable[[], float] = time.monotonic) -> None:
        self._stack = stack
        self._clock = clock
        self._watches = {name: _Watch() for name in stack.native_names()}
        self._failed_checks: dict[str, int] = {}
        self._next_prune = clock() + PRUNE_INTERVAL_S  # `stack up` has just pruned

    def check(self) -> list[str]:
        """Rotate logs and start again what exited; returns the names started again."""
        now = self._clock()
        restarted = []
        for name, watch in self._watches.items():
            rotate(self._stack.log_file(name))
            if not self._stack.expected(name):
                continue
            if self._stack.is_running(name):
                watch.up_since = now if watch.up_since is None else watch.up_since
                if now - watch.up_since >= STABLE_AFTER_S:
                    watch.failures = 0
                continue
            watch.up_since = None
            if now < watch.next_try:
                continue
            watch.failures += 1
            watch.next_try = now + backoff(watch.failures)
            try:
                self._stack.start(name)
            except StackError as error:
                _logger.warning("%s could not be started again (try %d): %s", name, watch.failures, error)
                continue
            self._stack.count_restart(name)
            restarted.append(name)
            _logger.warning("%s had exited; started again (restart %d)", name, self._stack.restarts(name))
        if AGENT not in restarted:
            self._follow_gateways()
        if now >= self._next_prune:
            self._next_prune = now + PRUNE_INTERVAL_S
            self._prune()
        return restarted

    def _follow_gateways(self) -> None:
        """Send the agent's data to the gateways that answer (none answering: no change, the
        agent's queue on disk holds everything until one does)."""
        if not self._stack.gateways or not self._stack.is_ready(AGENT):
            return
        names = self._stack.gateway_names()
        for name in names:
            self._failed_checks[name] = 0 if self._stack.is_ready(name) else self._failed_checks.get(name, 0) + 1
        answering = [
            index for index, name in enumerate(names, start=1) if self._failed_checks[name] < LEAVE_AFTER_FAILED_CHECKS
        ]
        if answering and answering != self._stack.gateway_members():
            self._stack.set_gateway_members(answering)
            _logger.warning("the agent now sends to %s", ", ".join(names[index - 1] for index in answering))

    def _prune(self) -> None:
        """Apply the retention classes that no store's own flag keeps: the shorter log classes and
        the report files."""
        try:
            if removed := self._stack.prune_reports():
                _logger.info("removed %d report file(s) past the reports retention", len(removed))
        except Exception:  # a folder that cannot be read now is tried again in an hour
            _logger.exception("the report files could not be pruned")
        try:
            tasks = self._stack.prune_log_classes()
        except Exception:  # a store that does not answer now is asked again in an hour
            _logger.exception("the shorter log classes could not be pruned from VictoriaLogs")
            return
        if tasks:
            _logger.info("pruning log records past their severity class's period (tasks %s)", ", ".join(tasks))

    def run(self, stop: threading.Event, interval: float = 1.0) -> None:
        while not stop.wait(interval):
            try:
                self.check()
            except Exception:  # the supervisor outlives anything one pass meets
                _logger.exception("a supervision pass failed")


__all__ = [
    "BACKOFF_MAX_S",
    "LEAVE_AFTER_FAILED_CHECKS",
    "LOG_KEEP",
    "LOG_LIMIT_BYTES",
    "PRUNE_INTERVAL_S",
    "Supervisor",
    "backoff",
    "rotate",
]
