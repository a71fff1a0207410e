"""GPU telemetry on a real NVIDIA GPU: the hw.* instruments under a matrix-multiply load.

Run once on a machine with a GPU (tests run against a recorded NVML, see tests/fakes/nvml.py)::

    PYTHONPATH=. python3 benchmarks/gpu_check.py --seconds 20 --record nvml_h100_recording.json

It opens :class:`tta_otel.hardware.gpu.GpuReader`, collects the six instruments through a real
``MeterProvider`` and ``InMemoryMetricReader`` once before the load, once a second while a
bf16 (fp16 without bf16) matrix multiply keeps GPU 0 busy for ``--seconds``, and once after;
it prints one JSON line per collection, then a JSON summary: min, max and mean per instrument,
the energy used over the run against the integral of the power readings, whether the energy was
measured or integrated, and the cost of one collection in ms. ``--record`` writes the raw NVML
values of every collection in the format of tests/fakes/nvml_h100_recording.json, so that the
tests can replay a real GPU.

Needs only this module's imports, ``tta_otel.hardware.gpu``, the OpenTelemetry SDK, ``pynvml``
(nvidia-ml-py) and ``torch``. Exit status: 0 done, 2 no GPU, 3 past the wall limit.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
INSTRUMENTS = (
    "hw.gpu.utilization",
    "hw.gpu.memory.usage",
    "hw.gpu.memory.limit",
    "hw.power",
    "hw.energy",
    "hw.temperature",
)
MATRIX = 8192


def _emit(document: dict[str, Any]) -> None:
    print(json.dumps(document), flush=True)


def _abort_after(seconds: float) -> None:
    """A hard wall limit, even when a CUDA or NVML call never returns (ctypes releases the GIL)."""

    def abort() -> None:
        _emit({"event": "error", "error": f"wall limit of {seconds:.0f} s reached"})
        os._exit(3)

    timer = threading.Timer(seconds, abort)
    timer.daemon = True
    timer.start()


def _no_gpu(reason: str) -> int:
    _emit({"event": "error", "error": f"no GPU to check: {reason}"})
    print(f"gpu_check: no GPU to check: {reason}", file=sys.stderr)
    return 2


def _package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _nvml_value(nvml: Any, query: Any) -> Any:
    """A raw NVML value, or None when NVML refuses it (the recording format's null)."""
    try:
        return query()
    except nvml.NVMLError:
        return None


def _raw_sample(nvml: Any, handles: list[Any], t: float) -> dict[str, Any]:
    devices = []
    for handle in handles:
        memory = _nvml_value(nvml, lambda h=handle: nvml.nvmlDeviceGetMemoryInfo(h))
        devices.append(
            {
                "utilization_gpu": _nvml_value(nvml, lambda h=handle: nvml.nvmlDeviceGetUtilizationRates(h).gpu),
                "memory_used": None if memory is None else memory.used,
                "power_mw": _nvml_value(nvml, lambda h=handle: nvml.nvmlDeviceGetPowerUsage(h)),
                "energy_mj": _nvml_value(nvml, lambda h=handle: nvml.nvmlDeviceGetTotalEnergyConsumption(h)),
                "temperature_c": _nvml_value(
                    nvml, lambda h=handle: nvml.nvmlDeviceGetTemperature(h, nvml.NVML_TEMPERATURE_GPU)
                ),
            }
        )
    return {"t": round(t, 4), "devices": devices}


def _matmul_load(torch: Any, stop: threading.Event, done: dict[str, Any]) -> None:
    """Square matrix multiplies on GPU 0 until ``stop``; counts them so the summary can give TFLOP/s."""
    try:
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        done["dtype"] = str(dtype)
        a = torch.randn(MATRIX, MATRIX, device="cuda:0", dtype=dtype)
        b = torch.randn(MATRIX, MATRIX, device="cuda:0", dtype=dtype)
        torch.cuda.synchronize()
        started = time.perf_counter()
        while not stop.is_set():
            for _ in range(20):
                torch.matmul(a, b)
            torch.cuda.synchronize()  # keeps the queue short, so that stop is prompt
            done["matmuls"] += 20
        done["seconds"] = time.perf_counter() - started
    except Exception as error:  # reported in the summary; the telemetry check goes on
        done["error"] = repr(error)


def _points(metric_reader: Any) -> dict[str, dict[str, float]]:
    """{instrument: {hw.name: value}} from one collection."""
    values: dict[str, dict[str, float]] = defaultdict(dict)
    data = metric_reader.get_metrics_data()
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    values[metric.name][str(point.attributes["hw.name"])] = point.value
    return dict(values)


def _trapezoid(times: list[float], watts: list[float]) -> float:
    return sum((watts[i] + watts[i + 1]) / 2 * (times[i + 1] - times[i]) for i in range(len(times) - 1))


def _summary(collections: list[dict[str, Any]]) -> dict[str, Any]:
    per_instrument: dict[str, dict[str, dict[str, float]]] = {}
    for name in INSTRUMENTS:
        by_gpu: dict[str, list[float]] = defaultdict(list)
        for collection in collections:
            for gpu, value in collection["values"].get(name, {}).items():
                by_gpu[gpu].append(value)
        per_instrument[name] = {
            gpu: {
                "min": min(values),
                "max": max(values),
                "mean": round(statistics.fmean(values), 3),
                "observations": len(values),
            }
            for gpu, values in by_gpu.items()
        }
    energy: dict[str, Any] = {}
    for gpu in per_instrument["hw.power"]:
        powered = [
            (c["t"], c["values"]["hw.power"][gpu]) for c in collections if gpu in c["values"].get("hw.power", {})
        ]
        joules = [c["values"]["hw.energy"][gpu] for c in collections if gpu in c["values"].get("hw.energy", {})]
        times = [t for t, _ in powered]
        power_integral_j = _trapezoid(times, [w for _, w in powered])
        delta_j = joules[-1] - joules[0] if len(joules) > 1 else None
        energy[gpu] = {
            "energy_delta_j": None if delta_j is None else round(delta_j, 3),
            "power_integral_j": round(power_integral_j, 3),
            "energy_over_power_integral": None
            if not delta_j or not power_integral_j
            else round(delta_j / power_integral_j, 3),
            "seconds": round(times[-1] - times[0], 3) if times else None,
            "mean_power_w": round(statistics.fmean(w for _, w in powered), 3) if powered else None,
        }
    collect_ms = [c["collect_ms"] for c in collections]
    return {
        "instruments": per_instrument,
        "energy": energy,
        "collection_ms": {
            "first": collect_ms[0],
            "median": round(statistics.median(collect_ms), 3),
            "max": max(collect_ms),
            "collections": len(collect_ms),
        },
    }


class _Probe:
    """Collections through the SDK, each followed by the raw NVML values of the same moment."""

    def __init__(self, nvml: Any, metric_reader: Any) -> None:
        self.nvml = nvml
        self.metric_reader = metric_reader
        self.handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(nvml.nvmlDeviceGetCount())]
        self.collections: list[dict[str, Any]] = []
        self.raw: list[dict[str, Any]] = []
        self.t0 = time.monotonic()

    def collect(self, phase: str) -> None:
        started = time.perf_counter()
        values = _points(self.metric_reader)
        collect_ms = round((time.perf_counter() - started) * 1000, 3)
        t = time.monotonic() - self.t0
        self.raw.append(_raw_sample(self.nvml, self.handles, t))
        self.collections.append({"t": round(t, 4), "phase": phase, "collect_ms": collect_ms, "values": values})
        _emit({"event": "collection", **self.collections[-1]})


def _under_load(probe: _Probe, torch: Any, seconds: float) -> dict[str, Any]:
    """One collection idle, one a second while GPU 0 multiplies matrices, one idle after; returns the load's counts."""
    probe.collect("idle before")
    stop = threading.Event()
    load: dict[str, Any] = {"matrix": MATRIX, "matmuls": 0}
    worker = threading.Thread(target=_matmul_load, args=(torch, stop, load), daemon=True)
    worker.start()
    started = time.monotonic()
    second = 1
    while time.monotonic() - started < seconds:
        time.sleep(max(0.0, started + second - time.monotonic()))
        probe.collect("load")
        second += 1
    stop.set()
    worker.join(timeout=30)
    time.sleep(1.0)
    probe.collect("idle after")
    if load.get("seconds"):
        load["tflops"] = round(load["matmuls"] * 2 * MATRIX**3 / load["seconds"] / 1e12, 1)
    return load


def _recording_header(nvml: Any, first: list[Any], handles: list[Any]) -> dict[str, Any]:
    return {
        "format": "tta_otel NVML recording 1",
        "source": f"benchmarks/gpu_check.py on {first[0].model}, {datetime.now(UTC).date().isoformat()}",
        "driver_version": nvml.nvmlSystemGetDriverVersion(),
        "nvml_version": nvml.nvmlSystemGetNVMLVersion(),
        "devices": [
            {"name": s.model, "uuid": s.uuid, "memory_total": nvml.nvmlDeviceGetMemoryInfo(h).total}
            for s, h in zip(first, handles, strict=True)
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the load runs (default 20)")
    parser.add_argument("--record", type=Path, help="write the raw NVML values here, in the tests' recording format")
    parser.add_argument("--wall-limit", type=float, help="abort after this many seconds (default: --seconds + 120)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    _abort_after(args.wall_limit or args.seconds + 120)
    sys.path.insert(0, str(REPO))  # run as a script from anywhere, PYTHONPATH or not

    from tta_otel.hardware.gpu import GpuReader, instrument_gpus

    # Collections are 1 s apart: a shorter cache than the default 1 s makes every one a fresh NVML pass.
    reader = GpuReader.open(min_interval_s=0.5)
    if reader is None:
        return _no_gpu("GpuReader.open() found no NVIDIA GPU (see the log line above)")
    import pynvml
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    tta_otel_modules = sorted(m for m in sys.modules if m.startswith("tta_otel"))
    try:
        import torch
    except ImportError as error:
        reader.close()
        return _no_gpu(f"torch is not importable ({error})")
    if not torch.cuda.is_available():
        reader.close()
        return _no_gpu("torch sees no CUDA device")

    metric_reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[metric_reader], shutdown_on_exit=False)
    instrument_gpus(provider.get_meter("tta_otel.hardware"), reader)
    probe = _Probe(pynvml, metric_reader)
    first = reader.read()
    recording = _recording_header(pynvml, first, probe.handles)
    _emit(
        {
            "event": "start",
            "gpus": [{"index": s.index, "uuid": s.uuid, "model": s.model} for s in first],
            "energy_measured": [s.energy_measured for s in first],
            "tta_otel_modules_imported": tta_otel_modules,
        }
    )
    time.sleep(0.6)  # past the reader's cache, so that the first collection times a fresh NVML pass too
    load = _under_load(probe, torch, args.seconds)
    collections, raw = probe.collections, probe.raw

    summary = _summary(collections)
    last = reader.read()
    provider.shutdown()
    reader.close()
    _emit(
        {
            "event": "summary",
            **summary,
            "energy_measured": {f"gpu{s.index}": s.energy_measured for s in last},
            "load": load,
            "versions": {
                "python": platform.python_version(),
                "torch": torch.__version__,
                "nvidia-ml-py": _package_version("nvidia-ml-py"),
                "opentelemetry-sdk": _package_version("opentelemetry-sdk"),
            },
        }
    )
    if args.record:
        args.record.write_text(json.dumps({**recording, "samples": raw}, indent=2) + "\n")
        _emit({"event": "recorded", "path": str(args.record), "samples": len(raw)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
