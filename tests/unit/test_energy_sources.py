"""Energy per source: GPU counters, RAPL or TDP for the CPU, the per-GB memory model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tta_otel.carbon.rapl import RaplReader
from tta_otel.carbon.sources import CpuEnergy, GpuEnergy, MemoryEnergy, machine_busy_seconds, resident_bytes
from tta_otel.hardware.gpu import GpuSample


def counter(*values: float) -> Callable[[], float]:
    readings = iter(values)
    return lambda: next(readings)


def gpu(uuid: str, energy_j: float | None) -> GpuSample:
    return GpuSample(
        index=0,
        uuid=uuid,
        model="NVIDIA H100 80GB HBM3",
        utilization=0.5,
        memory_used=1,
        memory_limit=2,
        power_w=300.0,
        energy_j=energy_j,
        energy_measured=True,
        temperature_c=40.0,
    )


class RecordedGpus:
    """Replays GPU samples, standing in for a GpuReader (no GPU on these machines)."""

    def __init__(self, *reads: list[GpuSample]) -> None:
        self._reads = iter(reads)

    def read(self) -> list[GpuSample]:
        return next(self._reads)


def test_gpu_energy_is_the_counter_delta_summed_over_devices() -> None:
    source = GpuEnergy(
        RecordedGpus(  # type: ignore[arg-type]
            [gpu("GPU-a", 1000.0), gpu("GPU-b", 50.0)],
            [gpu("GPU-a", 1300.0), gpu("GPU-b", 75.0)],
        )
    )

    assert source.sample(5.0) == 325.0  # against the baseline read when the source was made


def test_a_gpu_counter_that_went_backwards_adds_nothing() -> None:
    source = GpuEnergy(RecordedGpus([gpu("GPU-a", 1000.0)], [gpu("GPU-a", 10.0)], [gpu("GPU-a", 30.0)]))  # type: ignore[arg-type]

    assert [source.sample(1.0) for _ in range(2)] == [0.0, 20.0]


def test_a_gpu_without_energy_adds_nothing() -> None:
    source = GpuEnergy(RecordedGpus([gpu("GPU-a", None)], [gpu("GPU-a", None)]))  # type: ignore[arg-type]

    assert source.sample(1.0) == 0.0


def test_cpu_energy_without_rapl_is_tdp_per_cpu_times_cpu_time() -> None:
    # 80 W over 4 CPUs is 20 W per CPU; 2 CPU-seconds -> 40 J.
    source = CpuEnergy(None, tdp_w=80.0, cpu_seconds=counter(10.0, 12.0), cpu_count=4)

    assert not source.measured
    assert source.sample(5.0) == 40.0


def test_cpu_energy_with_rapl_is_the_process_share_of_package_energy(tmp_path: Path) -> None:
    package = tmp_path / "intel-rapl:0"
    package.mkdir()
    (package / "name").write_text("package-0\n")
    (package / "max_energy_range_uj").write_text("262143328850\n")
    (package / "energy_uj").write_text("0\n")
    rapl = RaplReader.open(tmp_path)
    # the process used 1 CPU-second while the machine was busy for 4: a quarter of 100 J.
    source = CpuEnergy(rapl, tdp_w=80.0, cpu_seconds=counter(3.0, 4.0), busy_seconds=counter(10.0, 14.0))
    (package / "energy_uj").write_text("100000000\n")

    assert source.measured
    assert source.sample(5.0) == 25.0


def test_cpu_energy_with_rapl_and_an_idle_machine_is_zero(tmp_path: Path) -> None:
    package = tmp_path / "intel-rapl:0"
    package.mkdir()
    (package / "name").write_text("package-0\n")
    (package / "max_energy_range_uj").write_text("262143328850\n")
    (package / "energy_uj").write_text("0\n")
    source = CpuEnergy(RaplReader.open(tmp_path), 80.0, cpu_seconds=counter(3.0, 3.0), busy_seconds=counter(1.0, 1.0))

    assert source.sample(5.0) == 0.0


def test_memory_energy_is_watts_per_gb_times_resident_gb_times_seconds() -> None:
    # 0.375 W/GB x 2 GB x 10 s = 7.5 J
    source = MemoryEnergy(0.375, rss=lambda: 2_000_000_000)

    assert source.sample(10.0) == 7.5


def test_this_machine_reports_its_busy_time_and_resident_memory() -> None:
    assert machine_busy_seconds() > 0
    assert resident_bytes() > 1_000_000


@pytest.mark.parametrize("name", ["gpu", "cpu", "memory"])
def test_each_source_names_its_energy_source_label(name: str) -> None:
    assert {"gpu": GpuEnergy, "cpu": CpuEnergy, "memory": MemoryEnergy}[name].name == name
