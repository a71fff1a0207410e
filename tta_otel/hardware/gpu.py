"""NVIDIA GPU metrics under the OpenTelemetry hardware semantic conventions.

TTA's narrative models run on GPUs, and the GPU is where most of the energy, and so most
of the carbon, of a session goes. This module reads NVML (through ``pynvml``, from the
``nvidia-ml-py`` package: ``pip install 'tta-otel[gpu]'``) and reports, per GPU, the
instruments the conventions name: ``hw.gpu.utilization``, ``hw.gpu.memory.usage``,
``hw.gpu.memory.limit``, ``hw.power``, ``hw.energy`` and ``hw.temperature``.

Usage::

    reader = GpuReader.open()
    if reader is not None:
        instrument_gpus(meter_provider.get_meter("tta_otel.hardware"), reader)
    ...
    meter_provider.shutdown()
    if reader is not None:
        reader.close()

Design choices:

- ``pynvml`` is imported inside :meth:`GpuReader.open`, so that a service which does not
  ask for GPU telemetry never pays for the import, and one without the package still starts.
- A machine without a GPU, a driver or the NVML library is a normal case (laptops, CI,
  CPU-only services): :meth:`GpuReader.open` says so in one INFO line and returns ``None``.
- The six instruments are observed by six callbacks during one collection; :meth:`GpuReader.read`
  caches one NVML pass for ``min_interval_s`` so that they share it, which keeps the NVML cost
  per collection constant and the six values of one collection consistent with each other.
- Every NVML query may fail on its own (``NotSupported`` on some boards, a GPU lost mid-run):
  the field is then ``None`` and not observed, and the other fields still are. Telemetry must
  never break the service, so nothing raises out of a read or a callback.
- ``hw.energy`` comes from NVML's energy counter (Volta and newer). Older GPUs have none; there
  the energy is integrated from the power readings (trapezoids between successive reads, from
  0 J at the first read), so that energy dashboards still work, and :attr:`GpuSample.energy_measured`
  says which one it is.
"""

# The protocol below spells pynvml's function names as pynvml does.
# ruff: noqa: N802

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from opentelemetry.metrics import CallbackOptions, Meter, Observation

from tta_otel import instruments, semconv

_logger = logging.getLogger("tta_otel.hardware")

_VENDOR = "NVIDIA"

_T = TypeVar("_T")


NvmlHandle = Any
"""A device handle: an opaque ctypes pointer in pynvml, whatever a stand-in likes."""


class NvmlUtilization(Protocol):
    """What ``nvmlDeviceGetUtilizationRates`` returns: percentages over the last sample period."""

    @property
    def gpu(self) -> int: ...


class NvmlMemory(Protocol):
    """What ``nvmlDeviceGetMemoryInfo`` returns, in bytes."""

    @property
    def total(self) -> int: ...

    @property
    def used(self) -> int: ...


class Nvml(Protocol):
    """The part of the ``pynvml`` module this module uses (``pynvml`` itself has no type hints).

    Stated as a protocol so that tests can pass a recorded stand-in: no GPU runs in CI.
    """

    @property
    def NVML_TEMPERATURE_GPU(self) -> int: ...

    @property
    def NVMLError(self) -> type[Exception]: ...

    @property
    def NVMLError_NotSupported(self) -> type[Exception]: ...

    def nvmlInit(self) -> None: ...

    def nvmlShutdown(self) -> None: ...

    def nvmlDeviceGetCount(self) -> int: ...

    def nvmlDeviceGetHandleByIndex(self, index: int) -> NvmlHandle: ...

    def nvmlDeviceGetName(self, handle: NvmlHandle) -> str: ...

    def nvmlDeviceGetUUID(self, handle: NvmlHandle) -> str: ...

    def nvmlDeviceGetUtilizationRates(self, handle: NvmlHandle) -> NvmlUtilization: ...

    def nvmlDeviceGetMemoryInfo(self, handle: NvmlHandle) -> NvmlMemory: ...

    def nvmlDeviceGetPowerUsage(self, handle: NvmlHandle) -> int: ...

    def nvmlDeviceGetTotalEnergyConsumption(self, handle: NvmlHandle) -> int: ...

    def nvmlDeviceGetTemperature(self, handle: NvmlHandle, sensor: int) -> int: ...


@dataclass(frozen=True)
class GpuSample:
    """One GPU at one NVML read. ``None`` means that NVML could not give that value this time."""

    index: int
    uuid: str
    model: str
    utilization: float | None
    """Fraction of the last sample period in which a kernel ran, 0..1."""
    memory_used: int | None
    """Bytes."""
    memory_limit: int | None
    """Bytes."""
    power_w: float | None
    energy_j: float | None
    """Cumulative joules: since the driver loaded when measured, since the first read when integrated."""
    energy_measured: bool
    """True when ``energy_j`` is NVML's energy counter, False when it is integrated from ``power_w``."""
    temperature_c: float | None


class _Integral:
    """Energy integrated from power, for GPUs without an energy counter (older than Volta).

    Trapezoids between successive reads: a read without power is skipped, and the next one
    bridges the gap, which is closer to the truth than counting the gap as 0 W.
    """

    def __init__(self) -> None:
        self.joules = 0.0
        self._last: tuple[float, float] | None = None

    def add(self, now: float, watts: float) -> float:
        if self._last is not None:
            then, before = self._last
            self.joules += (before + watts) / 2 * (now - then)
        self._last = (now, watts)
        return self.joules


@dataclass(frozen=True)
class _Device:
    index: int
    handle: NvmlHandle
    uuid: str
    model: str
    integral: _Integral | None
    """Set when the GPU has no energy counter."""


class GpuReader:
    """Reads every NVIDIA GPU of the machine through NVML, one pass at a time.

    ``nvml`` is an initialised ``pynvml`` module (or a stand-in); the constructor lists the
    GPUs and raises NVML's error when it cannot. :meth:`open` is the forgiving entry point.
    """

    def __init__(self, nvml: Nvml, clock: Callable[[], float] = time.monotonic, *, min_interval_s: float = 1.0) -> None:
        self._nvml = nvml
        self._clock = clock
        self._min_interval_s = min_interval_s
        self._devices = [self._device(index) for index in range(nvml.nvmlDeviceGetCount())]
        # Callbacks of several metric readers may run at once, each on its own thread.
        self._lock = threading.Lock()
        self._samples: list[GpuSample] | None = None
        self._read_at = 0.0
        self._closed = False

    @classmethod
    def open(cls, *, clock: Callable[[], float] = time.monotonic, min_interval_s: float = 1.0) -> GpuReader | None:
        """Start NVML and list the GPUs; ``None``, after one INFO line saying why, when there are none to read.

        Never raises: no package, no library, no driver and no GPU are all normal on machines
        that serve TTA without a GPU.
        """
        try:
            nvml: Nvml = importlib.import_module("pynvml")
        except ImportError:
            _no_gpu_telemetry("pynvml is not installed (pip install 'tta-otel[gpu]' to add it)")
            return None
        try:
            nvml.nvmlInit()
        except nvml.NVMLError as error:
            _no_gpu_telemetry(f"NVML did not start: {error} (is the NVIDIA driver installed?)")
            return None
        try:
            reader = cls(nvml, clock, min_interval_s=min_interval_s)
        except nvml.NVMLError as error:
            _shutdown(nvml)
            _no_gpu_telemetry(f"NVML could not list the GPUs: {error}")
            return None
        if not reader._devices:
            reader.close()
            _no_gpu_telemetry("NVML found no GPU")
            return None
        _logger.debug("tta_otel: GPU telemetry for %s", ", ".join(f"gpu{d.index} {d.model}" for d in reader._devices))
        return reader

    def read(self) -> list[GpuSample]:
        """Every GPU now, or the previous pass when it is younger than ``min_interval_s``.

        The cache lets the six callbacks of one collection share a single NVML pass.
        Never raises: a query that fails leaves its field ``None``; anything else leaves no samples.
        """
        with self._lock:
            now = self._clock()
            if self._samples is not None and now - self._read_at < self._min_interval_s:
                return self._samples
            try:
                self._samples = [self._sample(device, now) for device in self._devices]
            except Exception:
                _logger.debug("tta_otel: reading the GPUs failed", exc_info=True)
                self._samples = []
            self._read_at = now
            return self._samples

    def close(self) -> None:
        """Shut NVML down (once: NVML counts its starts and stops)."""
        if self._closed:
            return
        self._closed = True
        _shutdown(self._nvml)

    def _device(self, index: int) -> _Device:
        nvml = self._nvml
        handle = nvml.nvmlDeviceGetHandleByIndex(index)
        try:
            nvml.nvmlDeviceGetTotalEnergyConsumption(handle)
            integral = None
        except nvml.NVMLError_NotSupported:
            integral = _Integral()
        except nvml.NVMLError:  # a passing failure: the counter exists, later reads will get it
            integral = None
        return _Device(index, handle, nvml.nvmlDeviceGetUUID(handle), nvml.nvmlDeviceGetName(handle), integral)

    def _sample(self, device: _Device, now: float) -> GpuSample:
        nvml, handle = self._nvml, device.handle
        utilization = self._query(device, "utilization", lambda: nvml.nvmlDeviceGetUtilizationRates(handle).gpu / 100)
        memory = self._query(device, "memory", lambda: nvml.nvmlDeviceGetMemoryInfo(handle))
        power_w = self._query(device, "power", lambda: nvml.nvmlDeviceGetPowerUsage(handle) / 1000)
        temperature = self._query(
            device, "temperature", lambda: float(nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU))
        )
        if device.integral is None:
            energy_j = self._query(device, "energy", lambda: nvml.nvmlDeviceGetTotalEnergyConsumption(handle) / 1000)
        else:
            energy_j = None if power_w is None else device.integral.add(now, power_w)
        return GpuSample(
            index=device.index,
            uuid=device.uuid,
            model=device.model,
            utilization=utilization,
            memory_used=None if memory is None else memory.used,
            memory_limit=None if memory is None else memory.total,
            power_w=power_w,
            energy_j=energy_j,
            energy_measured=device.integral is None,
            temperature_c=temperature,
        )

    def _query(self, device: _Device, field: str, query: Callable[[], _T]) -> _T | None:
        try:
            return query()
        except self._nvml.NVMLError as error:
            _logger.debug("tta_otel: gpu%d %s: %s", device.index, field, error)
            return None


def _shutdown(nvml: Nvml) -> None:
    """Stop NVML; a failure here (a GPU lost on the way out) is only worth a debug line."""
    try:
        nvml.nvmlShutdown()
    except nvml.NVMLError as error:
        _logger.debug("tta_otel: NVML did not shut down cleanly: %s", error)


def _no_gpu_telemetry(reason: str) -> None:
    _logger.info("tta_otel: no NVIDIA GPU telemetry: %s; the hw.gpu instruments are not registered", reason)


def _attributes(sample: GpuSample) -> dict[str, str | int]:
    return {
        semconv.HW_ID: sample.uuid,
        semconv.HW_TYPE: "gpu",
        semconv.HW_NAME: f"gpu{sample.index}",
        semconv.HW_MODEL: sample.model,
        semconv.HW_VENDOR: _VENDOR,
        semconv.TTA_GPU_INDEX: sample.index,
    }


def _callback(
    reader: GpuReader, value: Callable[[GpuSample], float | None]
) -> Callable[[CallbackOptions], Iterable[Observation]]:
    """A callback observing ``value`` of every GPU that has it; ``read`` never raises, so neither does this."""

    def observe(options: CallbackOptions) -> Iterable[Observation]:
        return [
            Observation(observed, _attributes(sample))
            for sample in reader.read()
            if (observed := value(sample)) is not None
        ]

    return observe


def instrument_gpus(meter: Meter, reader: GpuReader) -> None:
    """Register the six observable GPU instruments of the hardware semantic conventions on ``meter``.

    Every observation carries ``hw.id`` (the GPU UUID, stable across reboots and slot changes),
    ``hw.type`` ``gpu``, ``hw.name`` ``gpu<index>``, ``hw.model``, ``hw.vendor`` and ``tta.gpu.index``
    (NVML's index, the one ``nvidia-smi`` shows).
    """
    values: tuple[tuple[semconv.Instrument, Callable[[GpuSample], float | None]], ...] = (
        (semconv.HW_GPU_UTILIZATION, lambda s: s.utilization),
        (semconv.HW_GPU_MEMORY_USAGE, lambda s: s.memory_used),
        (semconv.HW_GPU_MEMORY_LIMIT, lambda s: s.memory_limit),
        (semconv.HW_POWER, lambda s: s.power_w),
        (semconv.HW_ENERGY, lambda s: s.energy_j),
        (semconv.HW_TEMPERATURE, lambda s: s.temperature_c),
    )
    for instrument, value in values:
        instruments.observe(meter, instrument, [_callback(reader, value)])
