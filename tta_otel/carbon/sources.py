"""Where a process's energy comes from: GPU, CPU and memory, each in joules per interval.

Every source answers one question - joules used since the previous sample - so the meter
can add them, apply the PUE and split them between models the same way. The models are
documented in docs/ai-and-carbon.md; each has a measured and an estimated path.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from tta_otel.carbon.rapl import RaplReader
from tta_otel.hardware.gpu import GpuReader

_PROC_STAT = Path("/proc/stat")
_PROC_STATM = Path("/proc/self/statm")
BYTES_PER_GB = 1_000_000_000


class EnergySource(Protocol):
    name: str

    def sample(self, interval_s: float) -> float:
        """Joules used since the previous sample, ``interval_s`` seconds ago."""


def process_cpu_seconds() -> float:
    """CPU time of every thread of this process."""
    return time.process_time()


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent not idle, from ``/proc/stat``."""
    fields = [int(value) for value in _PROC_STAT.read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def resident_bytes() -> int:
    """Resident memory of this process, from ``/proc/self/statm``."""
    return int(_PROC_STATM.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class GpuEnergy:
    """The GPUs' energy counters (measured, or power integrated by the reader), all devices together.

    A GPU's counter covers the whole device: on TTA's inference hosts one process owns a GPU,
    so the whole delta is this process's.
    """

    name = "gpu"

    def __init__(self, reader: GpuReader) -> None:
        self._reader = reader
        self._last: dict[str, float] = {
            gpu.uuid: gpu.energy_j for gpu in reader.read() if gpu.energy_j is not None
        }  # the baseline, so that the first interval counts too

    def sample(self, interval_s: float) -> float:
        total = 0.0
        for gpu in self._reader.read():
            if gpu.energy_j is None:
                continue
            previous = self._last.get(gpu.uuid)
            self._last[gpu.uuid] = gpu.energy_j
            if previous is not None and gpu.energy_j >= previous:
                total += gpu.energy_j - previous
        return total


class CpuEnergy:
    """RAPL package energy times this process's share of busy CPU time; else TDP per CPU times CPU time."""

    name = "cpu"

    def __init__(
        self,
        rapl: RaplReader | None,
        tdp_w: float,
        cpu_seconds: Callable[[], float] = process_cpu_seconds,
        busy_seconds: Callable[[], float] = machine_busy_seconds,
        cpu_count: int | None = None,
    ) -> None:
        self._rapl = rapl
        self._watts_per_cpu = tdp_w / (cpu_count or os.cpu_count() or 1)
        self._cpu_seconds = cpu_seconds
        self._busy_seconds = busy_seconds
        self._last_cpu = cpu_seconds()
        self._last_busy = busy_seconds() if rapl is not None else 0.0

    @property
    def measured(self) -> bool:
        return self._rapl is not None

    def sample(self, interval_s: float) -> float:
        cpu = self._cpu_seconds()
        used, self._last_cpu = cpu - self._last_cpu, cpu
        if self._rapl is None:
            return self._watts_per_cpu * used
        busy = self._busy_seconds()
        machine, self._last_busy = busy - self._last_busy, busy
        package_j = self._rapl.read()
        if machine <= 0 or used <= 0:
            return 0.0
        return package_j * min(1.0, used / machine)


class MemoryEnergy:
    """A per-GB power model over resident memory: memory draws power whether or not it is busy."""

    name = "memory"

    def __init__(self, watts_per_gb: float, rss: Callable[[], int] = resident_bytes) -> None:
        self._watts_per_gb = watts_per_gb
        self._rss = rss

    def sample(self, interval_s: float) -> float:
        return self._watts_per_gb * self._rss() / BYTES_PER_GB * interval_s
