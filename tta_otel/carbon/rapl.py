"""CPU package energy from Intel RAPL counters in ``/sys/class/powercap``.

RAPL counts the energy of each CPU package in microjoules and wraps around at
``max_energy_range_uj``. Since 2020 most kernels make ``energy_uj`` readable by root only,
so on many hosts this reader is unavailable and the TDP model is used instead.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

_logger = logging.getLogger(__name__)
_PACKAGE_ZONE = re.compile(r"^intel-rapl:\d+$")


@dataclass
class _Zone:
    energy_file: Path
    max_range_uj: int
    last_uj: int


class RaplReader:
    """Joules used by all CPU packages since the previous ``read``."""

    def __init__(self, zones: list[_Zone]) -> None:
        self._zones = zones

    @classmethod
    def open(cls, root: Path) -> RaplReader | None:
        """The package zones under ``root``; None when there are none or they cannot be read."""
        zones: list[_Zone] = []
        try:
            for zone in sorted(root.iterdir()):
                if not _PACKAGE_ZONE.match(zone.name):
                    continue
                if not (zone / "name").read_text().strip().startswith("package"):
                    continue
                energy_file = zone / "energy_uj"
                zones.append(
                    _Zone(energy_file, int((zone / "max_energy_range_uj").read_text()), int(energy_file.read_text()))
                )
        except (OSError, ValueError) as exc:
            _logger.info(
                "tta_otel: RAPL counters under %s are not readable (%s); CPU energy uses the TDP model", root, exc
            )
            return None
        if not zones:
            _logger.info("tta_otel: no RAPL package counters under %s; CPU energy uses the TDP model", root)
            return None
        return cls(zones)

    def read(self) -> float:
        """Energy in joules since the last read, across packages, allowing for counter wrap-around."""
        total_uj = 0
        for zone in self._zones:
            now = int(zone.energy_file.read_text())
            delta = now - zone.last_uj
            if delta < 0:
                delta += zone.max_range_uj
            zone.last_uj = now
            total_uj += delta
        return total_uj / 1_000_000
