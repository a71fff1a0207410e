"""CPU package energy from RAPL, read from a fake ``/sys/class/powercap`` tree (no RAPL counters are
readable on these CI machines, and tests must not depend on the host's CPU)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tta_otel.carbon.rapl import RaplReader

MAX_RANGE_UJ = 262_143_328_850


def zone(root: Path, name: str, label: str, energy_uj: int) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "name").write_text(f"{label}\n")
    (folder / "energy_uj").write_text(f"{energy_uj}\n")
    (folder / "max_energy_range_uj").write_text(f"{MAX_RANGE_UJ}\n")
    return folder


@pytest.fixture
def powercap(tmp_path: Path) -> Path:
    zone(tmp_path, "intel-rapl:0", "package-0", 1_000_000)
    zone(tmp_path, "intel-rapl:0:0", "core", 500_000)
    zone(tmp_path, "intel-rapl:1", "package-1", 2_000_000)
    zone(tmp_path, "intel-rapl:2", "psys", 9_000_000)
    return tmp_path


def advance(root: Path, name: str, energy_uj: int) -> None:
    (root / name / "energy_uj").write_text(f"{energy_uj}\n")


def test_joules_since_the_last_read_are_summed_over_packages_only(powercap: Path) -> None:
    reader = RaplReader.open(powercap)
    assert reader is not None
    advance(powercap, "intel-rapl:0", 31_000_000)
    advance(powercap, "intel-rapl:1", 12_000_000)
    advance(powercap, "intel-rapl:0:0", 99_000_000)
    advance(powercap, "intel-rapl:2", 99_000_000)

    assert reader.read() == 40.0
    assert reader.read() == 0.0


def test_a_counter_that_wrapped_around_adds_the_range(powercap: Path) -> None:
    advance(powercap, "intel-rapl:0", MAX_RANGE_UJ - 1_000_000)
    reader = RaplReader.open(powercap)
    assert reader is not None
    advance(powercap, "intel-rapl:0", 4_000_000)

    assert reader.read() == 5.0


def test_unreadable_counters_leave_no_reader_and_log_once(powercap: Path, caplog: pytest.LogCaptureFixture) -> None:
    counter = powercap / "intel-rapl:1" / "energy_uj"
    counter.unlink()
    counter.mkdir()  # unreadable even for root, like a counter the kernel keeps from users
    caplog.set_level(logging.INFO, logger="tta_otel")

    assert RaplReader.open(powercap) is None
    assert len([r for r in caplog.records if "TDP model" in r.getMessage()]) == 1


def test_a_tree_without_packages_leaves_no_reader(tmp_path: Path) -> None:
    assert RaplReader.open(tmp_path) is None


def test_a_missing_powercap_folder_leaves_no_reader(tmp_path: Path) -> None:
    assert RaplReader.open(tmp_path / "absent") is None
