"""GPU telemetry: the hw.* instruments from NVML, against a recorded NVML (no GPU runs here)."""

from __future__ import annotations

import ctypes.util
import logging
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import Gauge, InMemoryMetricReader, Metric, NumberDataPoint, Sum

from tests.fakes.nvml import FakeNvml, NVMLError_GpuIsLost, load_recording
from tta_otel.hardware import GpuReader, instrument_gpus
from tta_otel.testing.metrics import metrics

H100 = load_recording()
SAMPLE = H100["samples"][0]["devices"][0]
DEVICE = H100["devices"][0]

_PER_READ_QUERIES = (
    "nvmlDeviceGetUtilizationRates",
    "nvmlDeviceGetMemoryInfo",
    "nvmlDeviceGetPowerUsage",
    "nvmlDeviceGetTotalEnergyConsumption",
    "nvmlDeviceGetTemperature",
)


@pytest.fixture
def nvml(monkeypatch: pytest.MonkeyPatch) -> FakeNvml:
    """The recorded H100, installed as ``pynvml`` for ``GpuReader.open`` to import."""
    fake = FakeNvml()
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    return fake


@pytest.fixture
def metric_reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def meter_provider(metric_reader: InMemoryMetricReader) -> Iterator[MeterProvider]:
    provider = MeterProvider(metric_readers=[metric_reader], shutdown_on_exit=False)
    yield provider
    provider.shutdown()


def _open(nvml: FakeNvml) -> GpuReader:
    reader = GpuReader.open(clock=nvml.clock, min_interval_s=0.5)
    assert reader is not None
    return reader


def _instrumented(nvml: FakeNvml, meter_provider: MeterProvider) -> GpuReader:
    reader = _open(nvml)
    instrument_gpus(meter_provider.get_meter("tta_otel.hardware"), reader)
    return reader


def _collect(metric_reader: InMemoryMetricReader) -> dict[str, Metric]:
    return metrics(metric_reader.get_metrics_data())


def _values(metrics: dict[str, Metric]) -> dict[str, list[float | int]]:
    values: dict[str, list[float | int]] = {}
    for name, metric in metrics.items():
        for point in metric.data.data_points:
            assert isinstance(point, NumberDataPoint)
            values.setdefault(name, []).append(point.value)
    return values


def _one_gpu(*rows: tuple[float, int | None, int | None]) -> dict[str, Any]:
    """A recording of one GPU from (t, power mW, energy mJ) rows; the other values stay put."""
    return {
        "format": "tta_otel NVML recording 1",
        "devices": [{"name": "NVIDIA A100-SXM4-40GB", "uuid": "GPU-test", "memory_total": 1000}],
        "samples": [
            {
                "t": t,
                "devices": [
                    {
                        "utilization_gpu": 50,
                        "memory_used": 100,
                        "power_mw": power_mw,
                        "energy_mj": energy_mj,
                        "temperature_c": 40,
                    }
                ],
            }
            for t, power_mw, energy_mj in rows
        ],
    }


def _energies(nvml: FakeNvml, reader: GpuReader, reads: int) -> list[tuple[float | None, bool]]:
    energies = []
    for _ in range(reads):
        (sample,) = reader.read()
        energies.append((sample.energy_j, sample.energy_measured))
        nvml.advance()
    return energies


def test_each_instrument_has_its_semantic_convention_name_kind_and_unit(
    nvml: FakeNvml, meter_provider: MeterProvider, metric_reader: InMemoryMetricReader
) -> None:
    _instrumented(nvml, meter_provider)

    def kind(metric: Metric) -> str:
        if isinstance(metric.data, Gauge):
            return "gauge"
        assert isinstance(metric.data, Sum)
        return "counter" if metric.data.is_monotonic else "updowncounter"

    assert {name: (kind(metric), metric.unit) for name, metric in _collect(metric_reader).items()} == {
        "hw.gpu.utilization": ("gauge", "1"),
        "hw.gpu.memory.usage": ("updowncounter", "By"),
        "hw.gpu.memory.limit": ("updowncounter", "By"),
        "hw.power": ("gauge", "W"),
        "hw.energy": ("counter", "J"),
        "hw.temperature": ("gauge", "Cel"),
    }


def test_every_instrument_has_a_description(
    nvml: FakeNvml, meter_provider: MeterProvider, metric_reader: InMemoryMetricReader
) -> None:
    _instrumented(nvml, meter_provider)

    assert all(metric.description for metric in _collect(metric_reader).values())


def test_every_observation_carries_the_gpu_attributes(
    nvml: FakeNvml, meter_provider: MeterProvider, metric_reader: InMemoryMetricReader
) -> None:
    _instrumented(nvml, meter_provider)

    attributes = [
        dict(point.attributes or {}) for metric in _collect(metric_reader).values() for point in metric.data.data_points
    ]

    assert attributes == 6 * [
        {
            "hw.id": DEVICE["uuid"],
            "hw.type": "gpu",
            "hw.name": "gpu0",
            "hw.model": "NVIDIA H100 80GB HBM3",
            "hw.vendor": "NVIDIA",
            "tta.gpu.index": 0,
        }
    ]


def test_values_are_the_nvml_readings_in_the_conventions_units(
    nvml: FakeNvml, meter_provider: MeterProvider, metric_reader: InMemoryMetricReader
) -> None:
    _instrumented(nvml, meter_provider)

    assert _values(_collect(metric_reader)) == {
        "hw.gpu.utilization": [SAMPLE["utilization_gpu"] / 100],
        "hw.gpu.memory.usage": [SAMPLE["memory_used"]],
        "hw.gpu.memory.limit": [DEVICE["memory_total"]],
        "hw.power": [SAMPLE["power_mw"] / 1000],
        "hw.energy": [SAMPLE["energy_mj"] / 1000],
        "hw.temperature": [SAMPLE["temperature_c"]],
    }


def test_energy_is_nvml_energy_counter_in_joules(monkeypatch: pytest.MonkeyPatch) -> None:
    nvml = FakeNvml(_one_gpu((0.0, 100_000, 1_234_567), (2.0, 300_000, 1_634_567)))
    monkeypatch.setitem(sys.modules, "pynvml", nvml)

    assert _energies(nvml, _open(nvml), 2) == [(1234.567, True), (1634.567, True)]


def test_without_energy_counter_energy_is_integrated_from_power_from_0_at_first_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    nvml = FakeNvml(_one_gpu((10.0, 100_000, None), (12.0, 300_000, None), (13.0, 200_000, None)))
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    reader = _open(nvml)

    # (100 W + 300 W) / 2 * 2 s = 400 J, then (300 W + 200 W) / 2 * 1 s = 250 J more.
    assert _energies(nvml, reader, 3) == [(0.0, False), (400.0, False), (650.0, False)]


def test_integrated_energy_bridges_a_missing_power_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    nvml = FakeNvml(_one_gpu((0.0, 100_000, None), (1.0, None, None), (2.0, 300_000, None)), energy_supported=False)
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    reader = _open(nvml)

    assert _energies(nvml, reader, 3) == [(0.0, False), (None, False), (400.0, False)]


def test_integrated_energy_is_reported_by_the_energy_counter(
    monkeypatch: pytest.MonkeyPatch, meter_provider: MeterProvider, metric_reader: InMemoryMetricReader
) -> None:
    nvml = FakeNvml(_one_gpu((0.0, 100_000, 5), (2.0, 300_000, 5)), energy_supported=False)
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    _instrumented(nvml, meter_provider)
    _collect(metric_reader)
    nvml.advance()

    assert _values(_collect(metric_reader))["hw.energy"] == [400.0]


def test_one_collection_makes_one_nvml_pass(
    nvml: FakeNvml, meter_provider: MeterProvider, metric_reader: InMemoryMetricReader
) -> None:
    _instrumented(nvml, meter_provider)
    nvml.calls.clear()

    _collect(metric_reader)

    assert {name: nvml.calls[name] for name in _PER_READ_QUERIES} == dict.fromkeys(_PER_READ_QUERIES, 1)


def test_a_collection_after_min_interval_makes_a_new_pass(
    nvml: FakeNvml, meter_provider: MeterProvider, metric_reader: InMemoryMetricReader
) -> None:
    _instrumented(nvml, meter_provider)
    _collect(metric_reader)
    nvml.advance()  # recorded samples are about 1 s apart, the reader caches for 0.5 s

    second = _values(_collect(metric_reader))

    assert nvml.calls["nvmlDeviceGetPowerUsage"] == 2
    assert second["hw.power"] == [H100["samples"][1]["devices"][0]["power_mw"] / 1000]


def test_a_failing_field_is_absent_and_the_others_remain(
    nvml: FakeNvml, meter_provider: MeterProvider, metric_reader: InMemoryMetricReader
) -> None:
    nvml.fail("nvmlDeviceGetTemperature")
    _instrumented(nvml, meter_provider)

    assert sorted(_collect(metric_reader)) == [
        "hw.energy",
        "hw.gpu.memory.limit",
        "hw.gpu.memory.usage",
        "hw.gpu.utilization",
        "hw.power",
    ]


def test_a_transient_energy_failure_at_open_keeps_the_measured_counter(nvml: FakeNvml) -> None:
    nvml.fail("nvmlDeviceGetTotalEnergyConsumption")
    reader = _open(nvml)

    (sample,) = reader.read()

    assert (sample.energy_j, sample.energy_measured, sample.power_w) == (None, True, SAMPLE["power_mw"] / 1000)


def test_nothing_escapes_when_nvml_starts_failing_mid_run(
    nvml: FakeNvml, meter_provider: MeterProvider, metric_reader: InMemoryMetricReader
) -> None:
    reader = _instrumented(nvml, meter_provider)
    _collect(metric_reader)
    for name in _PER_READ_QUERIES:
        nvml.fail(name, NVMLError_GpuIsLost)
    nvml.advance()

    metrics = _collect(metric_reader)
    (sample,) = reader.read()

    assert _values(metrics) == {}
    assert (sample.utilization, sample.memory_used, sample.power_w, sample.energy_j, sample.temperature_c) == (
        None,
        None,
        None,
        None,
        None,
    )


def test_an_unexpected_error_in_a_read_leaves_no_samples_and_logs_at_debug(
    nvml: FakeNvml, caplog: pytest.LogCaptureFixture
) -> None:
    reader = _open(nvml)
    nvml.fail("nvmlDeviceGetPowerUsage", OSError)

    with caplog.at_level(logging.DEBUG, logger="tta_otel.hardware"):
        samples = reader.read()

    assert samples == []
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [("DEBUG", "tta_otel: reading the GPUs failed")]


def test_open_on_this_machine_without_a_gpu_returns_none_logs_once_and_registers_nothing(
    caplog: pytest.LogCaptureFixture, meter_provider: MeterProvider, metric_reader: InMemoryMetricReader
) -> None:
    pytest.importorskip("pynvml")
    if ctypes.util.find_library("nvidia-ml"):
        pytest.skip("this machine has libnvidia-ml")

    with caplog.at_level(logging.DEBUG, logger="tta_otel.hardware"):
        reader = GpuReader.open()
        if reader is not None:
            instrument_gpus(meter_provider.get_meter("tta_otel.hardware"), reader)

    assert reader is None
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "tta_otel.hardware",
            "INFO",
            "tta_otel: no NVIDIA GPU telemetry: NVML did not start: NVML Shared Library Not Found "
            "(is the NVIDIA driver installed?); the hw.gpu instruments are not registered",
        )
    ]
    assert metric_reader.get_metrics_data() is None


def test_open_without_pynvml_returns_none_and_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import pynvml now raises ImportError

    with caplog.at_level(logging.DEBUG, logger="tta_otel.hardware"):
        reader = GpuReader.open()

    assert reader is None
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "INFO",
            "tta_otel: no NVIDIA GPU telemetry: pynvml is not installed (pip install 'tta-otel[gpu]' to add it); "
            "the hw.gpu instruments are not registered",
        )
    ]


def test_open_without_the_nvml_library_returns_none(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    nvml = FakeNvml(library_found=False)
    monkeypatch.setitem(sys.modules, "pynvml", nvml)

    with caplog.at_level(logging.DEBUG, logger="tta_otel.hardware"):
        reader = GpuReader.open()

    assert reader is None
    assert [r.getMessage() for r in caplog.records] == [
        "tta_otel: no NVIDIA GPU telemetry: NVML did not start: NVML Shared Library Not Found "
        "(is the NVIDIA driver installed?); the hw.gpu instruments are not registered"
    ]
    assert nvml.calls["nvmlShutdown"] == 0


def test_open_with_no_gpu_returns_none_and_shuts_nvml_down(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    nvml = FakeNvml({**H100, "devices": [], "samples": []})
    monkeypatch.setitem(sys.modules, "pynvml", nvml)

    with caplog.at_level(logging.DEBUG, logger="tta_otel.hardware"):
        reader = GpuReader.open()

    assert reader is None
    assert [r.getMessage() for r in caplog.records] == [
        "tta_otel: no NVIDIA GPU telemetry: NVML found no GPU; the hw.gpu instruments are not registered"
    ]
    assert nvml.calls["nvmlShutdown"] == 1


def test_open_when_the_gpus_cannot_be_listed_returns_none_and_shuts_nvml_down(
    nvml: FakeNvml, caplog: pytest.LogCaptureFixture
) -> None:
    nvml.fail("nvmlDeviceGetUUID", NVMLError_GpuIsLost)

    with caplog.at_level(logging.DEBUG, logger="tta_otel.hardware"):
        reader = GpuReader.open()

    assert reader is None
    assert [r.getMessage() for r in caplog.records] == [
        "tta_otel: no NVIDIA GPU telemetry: NVML could not list the GPUs: GPU is lost; "
        "the hw.gpu instruments are not registered"
    ]
    assert nvml.calls["nvmlShutdown"] == 1


def test_open_does_not_raise_when_nvml_also_fails_to_shut_down(
    nvml: FakeNvml, caplog: pytest.LogCaptureFixture
) -> None:
    nvml.fail("nvmlDeviceGetCount", NVMLError_GpuIsLost)
    nvml.fail("nvmlShutdown", NVMLError_GpuIsLost)

    with caplog.at_level(logging.INFO, logger="tta_otel.hardware"):
        reader = GpuReader.open()

    assert reader is None
    assert [r.getMessage() for r in caplog.records] == [
        "tta_otel: no NVIDIA GPU telemetry: NVML could not list the GPUs: GPU is lost; "
        "the hw.gpu instruments are not registered"
    ]


def test_close_shuts_nvml_down_once(nvml: FakeNvml) -> None:
    reader = _open(nvml)

    reader.close()
    reader.close()

    assert nvml.calls["nvmlShutdown"] == 1


def test_close_does_not_raise_when_nvml_fails_to_shut_down(nvml: FakeNvml) -> None:
    reader = _open(nvml)
    nvml.fail("nvmlShutdown")

    reader.close()

    assert nvml.calls["nvmlShutdown"] == 1


def test_importing_the_module_imports_neither_pynvml_nor_the_rest_of_tta_otel() -> None:
    code = (
        "import sys, tta_otel.hardware.gpu\n"
        "print(sorted(m for m in sys.modules if m.startswith(('tta_otel', 'pynvml'))))"
    )

    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    # the names (tta_otel.semconv) and the factory that makes instruments of them
    assert imported.strip() == str(
        ["tta_otel", "tta_otel.hardware", "tta_otel.hardware.gpu", "tta_otel.instruments", "tta_otel.semconv"]
    )
