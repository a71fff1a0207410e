"""Wire GPU instruments and the carbon meter into a meter provider, from ``monitoring:`` settings.

Called by the configurator. Nothing here fails the service: a GPU that is absent, RAPL
counters that are unreadable or a region without an intensity each cost one log line and
the nearest documented fallback.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from opentelemetry.metrics import MeterProvider

from tta_otel import __version__
from tta_otel.carbon.intensity import WORLD_AVERAGE_G_PER_KWH, UnknownRegionError, intensity_g_per_kwh
from tta_otel.carbon.meter import CarbonMeter
from tta_otel.carbon.rapl import RaplReader
from tta_otel.carbon.sources import CpuEnergy, EnergySource, GpuEnergy, MemoryEnergy
from tta_otel.config.schema import MonitoringConfig
from tta_otel.hardware.gpu import GpuReader, instrument_gpus

_logger = logging.getLogger(__name__)


@dataclass
class EnergyTelemetry:
    """What was installed, so that shutdown can release NVML."""

    gpu_reader: GpuReader | None
    carbon_meter: CarbonMeter | None

    def close(self) -> None:
        if self.gpu_reader is not None:
            self.gpu_reader.close()


def _g_per_kwh(config: MonitoringConfig) -> float:
    try:
        return intensity_g_per_kwh(config.carbon)
    except UnknownRegionError as exc:
        _logger.error("tta_otel: %s; the world average %s gCO2e/kWh is used", exc, WORLD_AVERAGE_G_PER_KWH)
        return WORLD_AVERAGE_G_PER_KWH


def install_energy_telemetry(meter_provider: MeterProvider, config: MonitoringConfig) -> EnergyTelemetry:
    """GPU ``hw.*`` instruments where a GPU is found; ``tta.energy``/``tta.carbon.*`` unless disabled."""
    meter = meter_provider.get_meter("tta_otel.energy", __version__)
    gpu_reader = GpuReader.open() if config.hardware.gpu else None
    if gpu_reader is not None:
        instrument_gpus(meter_provider.get_meter("tta_otel.hardware", __version__), gpu_reader)
    if not config.carbon.enabled:
        return EnergyTelemetry(gpu_reader, None)
    settings = config.carbon
    sources: list[EnergySource] = [
        CpuEnergy(RaplReader.open(settings.rapl_path), settings.cpu_tdp_w),
        MemoryEnergy(settings.memory_w_per_gb),
    ]
    if gpu_reader is not None:
        sources.insert(0, GpuEnergy(gpu_reader))
    carbon_meter = CarbonMeter(
        sources,
        g_per_kwh=_g_per_kwh(config),
        pue=settings.pue,
        remote_wh_per_1k_tokens=dict(settings.model_wh_per_1k_tokens),
    )
    carbon_meter.register(meter, settings.daily_budget_g)
    return EnergyTelemetry(gpu_reader, carbon_meter)
