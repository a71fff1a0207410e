"""``tta.energy`` and ``tta.carbon.emissions``: the process's energy and carbon, by source and model.

Observable counters, sampled when the metric reader collects (every export interval), so
there is no thread of our own. Each sample takes the joules of every source since the last
one, multiplies them by the PUE (the grid energy drawn on the process's behalf) and by the
carbon intensity. GPU energy is split between the models that ran in the interval, in
proportion to how long each ran; the part of the interval with no model call is idle and
carries no model. Remote models with a configured Wh per 1,000 tokens add an estimate under
the source ``remote``. Emissions therefore equal energy times intensity, series by series,
and gCO2e per 1,000 tokens of a model is one PromQL division.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from opentelemetry.metrics import CallbackOptions, Meter, Observation

from tta_otel import instruments, semconv
from tta_otel.ai.activity import CallInterval, ModelActivity, model_activity
from tta_otel.carbon.intensity import grams_co2e
from tta_otel.carbon.sources import EnergySource

_logger = logging.getLogger(__name__)

SOURCE: str = semconv.TTA_ENERGY_SOURCE
_Key = tuple[str, str | None]


def _overlap(interval: CallInterval, start: float, end: float) -> float:
    return max(0.0, min(interval.end if interval.end is not None else end, end) - max(interval.start, start))


def _busy_time(intervals: Sequence[CallInterval], start: float, end: float) -> float:
    """Length of the union of the calls within [start, end]: the time the GPU had work."""
    spans = sorted(
        (max(i.start, start), min(i.end if i.end is not None else end, end))
        for i in intervals
        if _overlap(i, start, end)
    )
    busy, reach = 0.0, start
    for begin, finish in spans:
        if finish > reach:
            busy += finish - max(begin, reach)
            reach = finish
    return busy


def attribute_to_models(
    energy_j: float, intervals: Sequence[CallInterval], start: float, end: float
) -> dict[str | None, float]:
    """Split ``energy_j`` used in [start, end]: the busy share to the models by their run time, the rest idle (None)."""
    length = end - start
    overlaps: dict[str, float] = defaultdict(float)
    for interval in intervals:
        if (seconds := _overlap(interval, start, end)) > 0:
            overlaps[interval.model] += seconds
    if length <= 0 or not overlaps:
        return {None: energy_j}
    busy_j = energy_j * _busy_time(intervals, start, end) / length
    total = sum(overlaps.values())
    shares: dict[str | None, float] = {model: busy_j * seconds / total for model, seconds in overlaps.items()}
    shares[None] = energy_j - busy_j
    return shares


class CarbonMeter:
    """Cumulative joules and grams per (source, model), sampled at most once per ``min_interval_s``."""

    def __init__(
        self,
        sources: Iterable[EnergySource],
        *,
        g_per_kwh: float,
        pue: float,
        remote_wh_per_1k_tokens: dict[str, float] | None = None,
        activity: ModelActivity = model_activity,
        clock: Callable[[], float] = time.monotonic,
        min_interval_s: float = 1.0,
    ) -> None:
        self._sources = list(sources)
        self.g_per_kwh = g_per_kwh
        self._pue = pue
        self._remote = remote_wh_per_1k_tokens or {}
        self._activity = activity
        self._clock = clock
        self._min_interval_s = min_interval_s
        self._lock = threading.Lock()
        self._last = clock()
        self.energy_j: dict[_Key, float] = defaultdict(float)
        self.emissions_g: dict[_Key, float] = defaultdict(float)

    def _add(self, source: str, model: str | None, energy_j: float) -> None:
        grid_j = energy_j * self._pue
        grams = grams_co2e(grid_j, self.g_per_kwh)
        self.energy_j[source, model] += grid_j
        self.emissions_g[source, model] += grams
        if model is not None:
            self._activity.add_footprint(model, grid_j, grams)

    def sample(self) -> None:
        """Take every source's joules since the last sample and account for them."""
        with self._lock:
            now = self._clock()
            start, interval = self._last, now - self._last
            if interval < self._min_interval_s and self.energy_j:
                return
            self._last = now
            intervals = self._activity.intervals_since(start)
            for source in self._sources:
                try:
                    joules = source.sample(interval)
                except Exception:  # one broken source must not hide the others
                    _logger.debug("tta_otel: energy source %s failed", source.name, exc_info=True)
                    continue
                shares = attribute_to_models(joules, intervals, start, now) if source.name == "gpu" else {None: joules}
                for model, share in shares.items():
                    self._add(source.name, model, share)
            for call in intervals:
                wh = self._remote.get(call.model)
                if wh is not None and call.end is not None and start < call.end <= now:
                    self._add("remote", call.model, wh * 3600 * call.tokens / 1000)

    def _observations(self, totals: dict[_Key, float]) -> Iterable[Observation]:
        for (source, model), value in list(totals.items()):
            attributes = {SOURCE: source} if model is None else {SOURCE: source, semconv.GEN_AI_REQUEST_MODEL: model}
            yield Observation(value, attributes)

    def observe_energy(self, options: CallbackOptions) -> Iterable[Observation]:
        try:
            self.sample()
        except Exception:
            _logger.debug("tta_otel: energy sampling failed", exc_info=True)
        return self._observations(self.energy_j)

    def observe_emissions(self, options: CallbackOptions) -> Iterable[Observation]:
        try:
            self.sample()
        except Exception:
            _logger.debug("tta_otel: energy sampling failed", exc_info=True)
        return self._observations(self.emissions_g)

    def register(self, meter: Meter, daily_budget_g: float | None = None) -> None:
        """Create the observable instruments that report this meter."""
        instruments.observe(meter, semconv.TTA_ENERGY, [self.observe_energy])
        instruments.observe(meter, semconv.TTA_CARBON_EMISSIONS, [self.observe_emissions])
        g_per_kwh = self.g_per_kwh
        instruments.observe(meter, semconv.TTA_CARBON_INTENSITY, [lambda options: [Observation(g_per_kwh)]])
        if daily_budget_g is not None:
            instruments.observe(meter, semconv.TTA_CARBON_BUDGET, [lambda options: [Observation(daily_budget_g)]])
