"""A recorded stand-in for ``pynvml``, because no GPU (and no libnvidia-ml) runs where the tests run.

:class:`FakeNvml` exposes the pynvml functions, constants and error classes that
``tta_otel.hardware.gpu`` uses, with pynvml's names and units (mW, mJ, percent, bytes), and
replays a recording of a real GPU one sample at a time. ``nvml_h100_recording.json`` is meant
to be recorded on an H100 by ``benchmarks/gpu_check.py --record``, which writes this exact
format; until that run, it holds plausible H100 values written by hand (its ``source`` says which).

Recording format::

    {"format": "tta_otel NVML recording 1", "source": ..., "driver_version": ..., "nvml_version": ...,
     "devices": [{"name": ..., "uuid": ..., "memory_total": <bytes>}],
     "samples": [{"t": <monotonic s, any origin>,
                  "devices": [{"utilization_gpu": <%>, "memory_used": <bytes>, "power_mw": <mW>,
                               "energy_mj": <mJ>, "temperature_c": <Cel>}]}]}

A ``null`` value is a query that NVML answered with ``NotSupported``.

Beyond replaying, it simulates what a real machine can do: no NVML library
(``library_found=False``), a GPU without an energy counter (``energy_supported=False``), and a
query that fails from now on (:meth:`FakeNvml.fail`). It also counts the calls, so that tests
can see how many NVML passes a collection made.
"""

# pynvml's names are kept as pynvml spells them.
# ruff: noqa: N801, N802, N818

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

H100_RECORDING = Path(__file__).with_name("nvml_h100_recording.json")


class NVMLError(Exception):
    """pynvml's base error: ``value`` is the NVML return code, ``str()`` its message."""

    value = 999
    message = "Unknown Error"

    def __str__(self) -> str:
        return self.message


class NVMLError_Uninitialized(NVMLError):
    value = 1
    message = "Uninitialized"


class NVMLError_NotSupported(NVMLError):
    value = 3
    message = "Not Supported"


class NVMLError_LibraryNotFound(NVMLError):
    value = 12
    message = "NVML Shared Library Not Found"


class NVMLError_GpuIsLost(NVMLError):
    value = 15
    message = "GPU is lost"


class NVMLError_Unknown(NVMLError):
    pass


@dataclass(frozen=True)
class _Handle:
    index: int


def load_recording(path: Path = H100_RECORDING) -> dict[str, Any]:
    recording: dict[str, Any] = json.loads(path.read_text())
    return recording


class FakeNvml:
    """Stands in for the ``pynvml`` module: pass it where the module goes, or put it in ``sys.modules``."""

    NVML_TEMPERATURE_GPU = 0
    NVMLError = NVMLError
    NVMLError_Uninitialized = NVMLError_Uninitialized
    NVMLError_NotSupported = NVMLError_NotSupported
    NVMLError_LibraryNotFound = NVMLError_LibraryNotFound
    NVMLError_GpuIsLost = NVMLError_GpuIsLost
    NVMLError_Unknown = NVMLError_Unknown

    def __init__(
        self, recording: dict[str, Any] | None = None, *, library_found: bool = True, energy_supported: bool = True
    ) -> None:
        self.recording = load_recording() if recording is None else recording
        self.library_found = library_found
        self.energy_supported = energy_supported
        self.calls: Counter[str] = Counter()
        self.step = 0
        self._initialised = 0
        self._failing: dict[str, type[Exception]] = {}

    # Test controls.

    def advance(self) -> None:
        """Move to the next recorded sample (staying on the last one at the end)."""
        self.step = min(self.step + 1, len(self.recording["samples"]) - 1)

    def clock(self) -> float:
        """The recorded time of the current sample: a monotonic clock for the reader under test."""
        return float(self.recording["samples"][self.step]["t"])

    def fail(self, name: str, error: type[Exception] = NVMLError_Unknown) -> None:
        """Make the pynvml function ``name`` raise ``error`` (an NVML error, or anything else) from now on."""
        self._failing[name] = error

    def sample(self, index: int = 0) -> dict[str, Any]:
        """The raw values of GPU ``index`` at the current step."""
        values: dict[str, Any] = self.recording["samples"][self.step]["devices"][index]
        return values

    # pynvml.

    def nvmlInit(self) -> None:
        self._call("nvmlInit")
        if not self.library_found:
            raise NVMLError_LibraryNotFound()
        self._initialised += 1

    def nvmlShutdown(self) -> None:
        self._query("nvmlShutdown")
        self._initialised -= 1

    def nvmlDeviceGetCount(self) -> int:
        self._query("nvmlDeviceGetCount")
        return len(self.recording["devices"])

    def nvmlDeviceGetHandleByIndex(self, index: int) -> _Handle:
        self._query("nvmlDeviceGetHandleByIndex")
        return _Handle(index)

    def nvmlDeviceGetName(self, handle: _Handle) -> str:
        self._query("nvmlDeviceGetName")
        return str(self.recording["devices"][handle.index]["name"])

    def nvmlDeviceGetUUID(self, handle: _Handle) -> str:
        self._query("nvmlDeviceGetUUID")
        return str(self.recording["devices"][handle.index]["uuid"])

    def nvmlDeviceGetUtilizationRates(self, handle: _Handle) -> SimpleNamespace:
        gpu = self._recorded("nvmlDeviceGetUtilizationRates", handle, "utilization_gpu")
        return SimpleNamespace(gpu=gpu, memory=0)

    def nvmlDeviceGetMemoryInfo(self, handle: _Handle) -> SimpleNamespace:
        used = self._recorded("nvmlDeviceGetMemoryInfo", handle, "memory_used")
        total = self.recording["devices"][handle.index]["memory_total"]
        return SimpleNamespace(total=total, free=total - used, used=used)

    def nvmlDeviceGetPowerUsage(self, handle: _Handle) -> int:
        return int(self._recorded("nvmlDeviceGetPowerUsage", handle, "power_mw"))

    def nvmlDeviceGetTotalEnergyConsumption(self, handle: _Handle) -> int:
        if not self.energy_supported:
            self._query("nvmlDeviceGetTotalEnergyConsumption")
            raise NVMLError_NotSupported()
        return int(self._recorded("nvmlDeviceGetTotalEnergyConsumption", handle, "energy_mj"))

    def nvmlDeviceGetTemperature(self, handle: _Handle, sensor: int) -> int:
        assert sensor == self.NVML_TEMPERATURE_GPU, sensor
        return int(self._recorded("nvmlDeviceGetTemperature", handle, "temperature_c"))

    def _call(self, name: str) -> None:
        self.calls[name] += 1
        if name in self._failing:
            raise self._failing[name]()

    def _query(self, name: str) -> None:
        self._call(name)
        if self._initialised <= 0:
            raise NVMLError_Uninitialized()

    def _recorded(self, name: str, handle: _Handle, key: str) -> Any:
        self._query(name)
        value = self.sample(handle.index)[key]
        if value is None:
            raise NVMLError_NotSupported()
        return value
