"""Cost of one GPU metric collection: the six hw.* instruments read through a recorded NVML.

NVML here is tests/fakes/nvml.py (no GPU on these machines), so the figure is the Python cost of
tta_otel and the SDK per collection, NVML's own cost excluded; ``gpu_check.py`` times the real
thing on a GPU. Every collection makes one fresh NVML pass (the clock moves 1 s between
collections, past the reader's cache), as a real export every few seconds does. Baselines in the
same run: a collection with no instruments, and one with six observable instruments that return
constants with the same attributes (the SDK's own share of the cost).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from opentelemetry.metrics import CallbackOptions, Meter, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from tests.fakes.nvml import FakeNvml
from tta_otel.hardware.gpu import GpuReader, instrument_gpus

_ATTRIBUTES: dict[str, str | int] = {
    "hw.id": "GPU-5f3c1b2a-8d4e-4c6f-9a1b-2e7d3c4b5a69",
    "hw.type": "gpu",
    "hw.name": "gpu0",
    "hw.model": "NVIDIA H100 80GB HBM3",
    "hw.vendor": "NVIDIA",
    "tta.gpu.index": 0,
}


def _per_collection_ms(register: Callable[[Meter, Callable[[], float]], None], collections: int, repeats: int) -> float:
    """Best of ``repeats`` runs of ``collections`` collections, in ms per collection.

    ``register`` adds the instruments to the meter; it gets a clock that moves 1 s per collection.
    """
    metric_reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[metric_reader], shutdown_on_exit=False)
    now = [0.0]
    register(provider.get_meter("bench"), lambda: now[0])
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(collections):
            metric_reader.get_metrics_data()
            now[0] += 1.0  # past the GPU reader's 1 s cache: the next collection reads NVML again
        best = min(best, time.perf_counter() - started)
    provider.shutdown()
    return round(best / collections * 1000, 4)


def _gpus(meter: Meter, clock: Callable[[], float]) -> None:
    nvml = FakeNvml()
    nvml.nvmlInit()
    instrument_gpus(meter, GpuReader(nvml, clock))


def _no_instruments(meter: Meter, clock: Callable[[], float]) -> None:
    pass


def _six_constants(meter: Meter, clock: Callable[[], float]) -> None:
    def constant(options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(1.0, _ATTRIBUTES)]

    for name in ("utilization", "power", "temperature"):
        meter.create_observable_gauge(f"bench.{name}", callbacks=[constant])
    for name in ("memory.usage", "memory.limit"):
        meter.create_observable_up_down_counter(f"bench.{name}", callbacks=[constant])
    meter.create_observable_counter("bench.energy", callbacks=[constant])


def measure(collections: int = 2_000, repeats: int = 5) -> dict[str, Any]:
    return {
        "gpu_collection_ms": _per_collection_ms(_gpus, collections, repeats),
        "six_constant_instruments_ms_baseline": _per_collection_ms(_six_constants, collections, repeats),
        "no_instruments_ms_baseline": _per_collection_ms(_no_instruments, collections, repeats),
        "gpus": 1,
        "nvml": "recorded fake (tests/fakes/nvml.py): NVML's own cost is not included",
    }


if __name__ == "__main__":
    import json

    print(json.dumps(measure(), indent=2))
