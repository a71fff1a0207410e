"""Energy and carbon of a TTA process: GPU, CPU and memory energy, PUE, intensity, emissions.

See docs/ai-and-carbon.md for every model and constant, and how this compares with CodeCarbon.
"""

from tta_otel.carbon.install import EnergyTelemetry, install_energy_telemetry
from tta_otel.carbon.intensity import WORLD_AVERAGE_G_PER_KWH, grams_co2e, intensity_g_per_kwh
from tta_otel.carbon.meter import CarbonMeter, attribute_to_models

__all__ = [
    "WORLD_AVERAGE_G_PER_KWH",
    "CarbonMeter",
    "EnergyTelemetry",
    "attribute_to_models",
    "grams_co2e",
    "install_energy_telemetry",
    "intensity_g_per_kwh",
]
