"""Carbon intensity of electricity and the arithmetic from joules to grams of CO2e.

Default: the world average of 480 gCO2e/kWh that Ember's Global Electricity Review 2024
reports for 2023 electricity generation. Operators set their region's figure (or a table
of regions) in ``monitoring.carbon``; docs/ai-and-carbon.md lists where to find them.
"""

from __future__ import annotations

from typing import Final

from tta_otel.config.schema import CarbonSettings

WORLD_AVERAGE_G_PER_KWH: Final = 480.0
JOULES_PER_KWH: Final = 3_600_000.0


class UnknownRegionError(ValueError):
    """The configured region has no entry in ``intensity_by_region``."""


def intensity_g_per_kwh(settings: CarbonSettings) -> float:
    """The explicit figure, else the region's, else the world average."""
    if settings.intensity_g_per_kwh is not None:
        return settings.intensity_g_per_kwh
    if settings.region is None:
        return WORLD_AVERAGE_G_PER_KWH
    try:
        return settings.intensity_by_region[settings.region]
    except KeyError:
        raise UnknownRegionError(
            f"carbon.region {settings.region!r} is not in carbon.intensity_by_region "
            f"({', '.join(sorted(settings.intensity_by_region)) or 'empty'})"
        ) from None


def grams_co2e(energy_j: float, g_per_kwh: float) -> float:
    """Emissions of ``energy_j`` joules drawn from a grid at ``g_per_kwh``."""
    return energy_j / JOULES_PER_KWH * g_per_kwh
