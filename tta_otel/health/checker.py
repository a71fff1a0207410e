"""Runs every registered health check periodically, on a daemon thread, off the request path.

A request to ``/readyz`` only reads the last results: a slow or hanging dependency never makes
a probe or a player wait. Each check runs on a daemon thread of its own and is given
``timeout_s``; one that raises, returns ``False`` or does not finish in time counts as down,
and nothing it raises reaches the application. A check still running after its timeout is not
started again until it returns, so a hanging dependency holds one thread, not one per round.
Checks run inside ``suppress_instrumentation()``: a PING every 15 s is not a span of the
service's, nor a ``db.client.operation.duration`` point that would dilute its real traffic.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.instrumentation.utils import suppress_instrumentation

from tta_otel.health.metrics import HealthMetrics
from tta_otel.health.registry import Check, Key, Registry

_logger = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 15.0
"""Often enough for a readiness probe (Kubernetes's default period is 10 s), cheap for the dependency."""
DEFAULT_TIMEOUT_S = 5.0
"""A PING or ``RETURN 1`` takes milliseconds; five seconds without an answer is down."""


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def run_check(check: Check) -> bool:
    """Run one check where instrumentation is suppressed: up unless it raised or returned ``False``.
    A coroutine function's check is awaited on an event loop of this thread's own, never the
    application's."""
    with suppress_instrumentation():
        try:
            result = check()
            if inspect.isawaitable(result):
                result = asyncio.run(_awaited(result))
        except Exception:
            _logger.debug("tta_otel: a health check failed", exc_info=True)
            return False
    return result is not False


@dataclass
class _Run:
    key: Key
    started: float
    up: bool = False
    duration_s: float = 0.0
    done: threading.Event = field(default_factory=threading.Event)


class HealthChecker:
    """One round of every due check each ``interval_s`` seconds, and one as soon as a dependency is
    added, until ``stop``."""

    def __init__(
        self,
        registry: Registry,
        metrics: HealthMetrics | None = None,
        interval_s: float = DEFAULT_INTERVAL_S,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if interval_s <= 0 or timeout_s <= 0:
            raise ValueError(f"interval_s and timeout_s must be positive (got {interval_s}, {timeout_s})")
        self.registry = registry
        self.metrics = metrics
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self._clock = clock
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the periodic checks (the first round at once); a second call does nothing."""
        if self.running:
            return
        self._stopping.clear()
        self.registry.on_added(self._wake.set)
        self._thread = threading.Thread(target=self._loop, name="tta-otel-health", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float | None = None) -> None:
        """Stop after the round in progress, waiting for it at most ``timeout_s`` (default: the check timeout)."""
        self._stopping.set()
        self._wake.set()
        self.registry.off_added(self._wake.set)
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(self.timeout_s if timeout_s is None else timeout_s)

    def check_now(self) -> None:
        """One round: start every due check, then record each result, or down for those past the timeout."""
        runs = [self._start(key, check) for key, check in self.registry.due()]
        deadline = time.monotonic() + self.timeout_s
        for run in runs:
            finished = run.done.wait(max(0.0, deadline - time.monotonic()))
            up, duration_s = (run.up, run.duration_s) if finished else (False, self.timeout_s)
            self.registry.record(run.key, up, self._clock())
            if self.metrics is not None:
                self.metrics.record_duration(run.key, duration_s)

    def _start(self, key: Key, check: Check) -> _Run:
        run = _Run(key, time.monotonic())

        def target() -> None:
            try:
                run.up = run_check(check)
                run.duration_s = time.monotonic() - run.started
                run.done.set()
            finally:
                self.registry.finished(key)

        try:
            threading.Thread(target=target, name=f"tta-otel-health-{key[1]}", daemon=True).start()
        except RuntimeError:  # no thread to spare: down this round, due again the next
            _logger.warning("tta_otel: a health check could not start a thread", exc_info=True)
            self.registry.finished(key)
            run.done.set()
        return run

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self.check_now()
            except Exception:  # the checks must go on, and never stop the service
                _logger.exception("tta_otel: a round of health checks failed")
            self._wake.wait(self.interval_s)  # a new dependency, or stop, ends the wait early


__all__ = ["DEFAULT_INTERVAL_S", "DEFAULT_TIMEOUT_S", "HealthChecker", "run_check"]
