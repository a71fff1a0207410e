"""What the model calls of this process did, kept in memory for two readers.

The carbon meter needs to know which models were running during each collection interval,
to attribute GPU energy to them; ``rank_models`` needs each model's latency, error rate and
carbon per token. Both read this registry, so neither has to query a backend from inside
the application. It holds aggregates and a bounded list of recent call intervals, never
request content.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field, replace

_MAX_FINISHED_INTERVALS = 10_000


@dataclass(frozen=True)
class ModelStats:
    """Aggregates of one model's calls: what ``rank_models`` scores."""

    model: str
    calls: int = 0
    errors: int = 0
    duration_s: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    energy_j: float = 0.0
    emissions_g: float = 0.0

    @property
    def mean_latency_s(self) -> float | None:
        return self.duration_s / self.calls if self.calls else None

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.calls if self.calls else None

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def grams_per_1k_tokens(self) -> float | None:
        return self.emissions_g * 1000 / self.tokens if self.tokens else None


@dataclass(frozen=True)
class CallInterval:
    """When one model call ran, on the monotonic clock; ``end`` is None while it runs."""

    model: str
    start: float
    end: float | None = None
    tokens: int = 0


@dataclass
class ModelActivity:
    """Thread-safe registry of model calls: running and recently finished intervals, and aggregates."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _running: dict[int, CallInterval] = field(default_factory=dict)
    _finished: deque[CallInterval] = field(default_factory=lambda: deque(maxlen=_MAX_FINISHED_INTERVALS))
    _stats: dict[str, ModelStats] = field(default_factory=dict)
    _next_id: int = 0

    def started(self, model: str, start: float) -> int:
        """Note a call that began at ``start``; returns the handle for ``finished``."""
        with self._lock:
            self._next_id += 1
            self._running[self._next_id] = CallInterval(model, start)
            return self._next_id

    def finished(self, handle: int, end: float, *, failed: bool, input_tokens: int = 0, output_tokens: int = 0) -> None:
        with self._lock:
            interval = self._running.pop(handle, None)
            if interval is None:
                return
            self._finished.append(replace(interval, end=end, tokens=input_tokens + output_tokens))
            stats = self._stats.get(interval.model, ModelStats(interval.model))
            self._stats[interval.model] = replace(
                stats,
                calls=stats.calls + 1,
                errors=stats.errors + int(failed),
                duration_s=stats.duration_s + (end - interval.start),
                input_tokens=stats.input_tokens + input_tokens,
                output_tokens=stats.output_tokens + output_tokens,
            )

    def intervals_since(self, since: float) -> list[CallInterval]:
        """Calls that were running at any time after ``since``; forgets older finished ones."""
        with self._lock:
            while self._finished and (self._finished[0].end or 0.0) <= since:
                self._finished.popleft()
            return [*self._finished, *self._running.values()]

    def add_footprint(self, model: str, energy_j: float, emissions_g: float) -> None:
        """Credit energy and emissions that the carbon meter attributed to ``model``."""
        with self._lock:
            stats = self._stats.get(model, ModelStats(model))
            self._stats[model] = replace(
                stats, energy_j=stats.energy_j + energy_j, emissions_g=stats.emissions_g + emissions_g
            )

    def stats(self) -> dict[str, ModelStats]:
        with self._lock:
            return dict(self._stats)


model_activity = ModelActivity()
"""The process-wide registry that ``tta_otel.ai.inference`` and the carbon meter share."""
