"""``tta.energy`` and ``tta.carbon.emissions``: PUE, intensity, attribution, and the exported instruments."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, Metric

from tta_otel.ai.activity import ModelActivity
from tta_otel.carbon import CarbonMeter, install_energy_telemetry
from tta_otel.config.schema import CarbonSettings, HardwareSettings, MonitoringConfig
from tta_otel.testing.metrics import metrics, values


class ManualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FixedSource:
    """A source that used ``joules`` in every interval."""

    def __init__(self, name: str, joules: float) -> None:
        self.name = name
        self.joules = joules

    def sample(self, interval_s: float) -> float:
        return self.joules


class BrokenSource:
    name = "cpu"

    def sample(self, interval_s: float) -> float:
        raise OSError("counter vanished")


def metrics_by_name(reader: InMemoryMetricReader) -> dict[str, Metric]:
    return metrics(reader.get_metrics_data())


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def activity() -> ModelActivity:
    return ModelActivity()


def test_energy_is_multiplied_by_the_pue_and_emissions_by_the_intensity(clock: ManualClock) -> None:
    # 3,600,000 J of CPU x PUE 1.5 = 5,400,000 J = 1.5 kWh; at 400 g/kWh -> 600 g.
    meter = CarbonMeter([FixedSource("cpu", 3_600_000.0)], g_per_kwh=400.0, pue=1.5, clock=clock)
    clock.now = 10.0

    meter.sample()

    assert meter.energy_j == {("cpu", None): 5_400_000.0}
    assert meter.emissions_g == {("cpu", None): pytest.approx(600.0)}


def test_gpu_energy_is_attributed_to_the_models_that_ran(clock: ManualClock, activity: ModelActivity) -> None:
    meter = CarbonMeter([FixedSource("gpu", 100.0)], g_per_kwh=360.0, pue=1.0, activity=activity, clock=clock)
    handle = activity.started("llama-3.1-8b", 2.0)
    activity.finished(handle, 6.0, failed=False, output_tokens=500)
    clock.now = 10.0

    meter.sample()

    # 4 s of 10 s busy -> 40 J to the model, 60 J idle; 360 g/kWh = 0.0001 g/J
    assert meter.energy_j == pytest.approx({("gpu", "llama-3.1-8b"): 40.0, ("gpu", None): 60.0})
    assert meter.emissions_g == pytest.approx({("gpu", "llama-3.1-8b"): 0.004, ("gpu", None): 0.006})
    stats = activity.stats()["llama-3.1-8b"]
    assert (stats.energy_j, stats.emissions_g) == pytest.approx((40.0, 0.004))
    assert stats.grams_per_1k_tokens == pytest.approx(0.008)


def test_cpu_and_memory_energy_are_not_attributed_to_models(clock: ManualClock, activity: ModelActivity) -> None:
    meter = CarbonMeter([FixedSource("memory", 10.0)], g_per_kwh=360.0, pue=1.0, activity=activity, clock=clock)
    activity.started("llama-3.1-8b", 0.0)
    clock.now = 10.0

    meter.sample()

    assert meter.energy_j == {("memory", None): 10.0}


def test_a_remote_model_adds_its_estimate_per_token_once(clock: ManualClock, activity: ModelActivity) -> None:
    # 0.5 Wh per 1,000 tokens x 2,000 tokens = 1 Wh = 3,600 J; x PUE 1.2 = 4,320 J; at 500 g/kWh -> 0.6 g
    meter = CarbonMeter(
        [],
        g_per_kwh=500.0,
        pue=1.2,
        remote_wh_per_1k_tokens={"gpt-4o-mini": 0.5},
        activity=activity,
        clock=clock,
    )
    handle = activity.started("gpt-4o-mini", 1.0)
    activity.finished(handle, 2.0, failed=False, input_tokens=1500, output_tokens=500)
    clock.now = 5.0
    meter.sample()
    clock.now = 10.0
    meter.sample()

    assert meter.energy_j == pytest.approx({("remote", "gpt-4o-mini"): 4320.0})
    assert meter.emissions_g == pytest.approx({("remote", "gpt-4o-mini"): 0.6})


def test_samples_closer_than_the_minimum_interval_are_shared(clock: ManualClock) -> None:
    meter = CarbonMeter([FixedSource("cpu", 1.0)], g_per_kwh=480.0, pue=1.0, clock=clock, min_interval_s=1.0)
    clock.now = 5.0
    meter.sample()
    clock.now = 5.5
    meter.sample()

    assert meter.energy_j == {("cpu", None): 1.0}


def test_a_failing_source_does_not_hide_the_others(clock: ManualClock) -> None:
    meter = CarbonMeter([BrokenSource(), FixedSource("memory", 2.0)], g_per_kwh=480.0, pue=1.0, clock=clock)
    clock.now = 5.0

    meter.sample()

    assert meter.energy_j == {("memory", None): 2.0}


@pytest.fixture
def provider() -> Iterator[tuple[MeterProvider, InMemoryMetricReader]]:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    yield provider, reader
    provider.shutdown()


def test_the_instruments_have_semantic_names_units_and_attributes(
    provider: tuple[MeterProvider, InMemoryMetricReader], clock: ManualClock, activity: ModelActivity
) -> None:
    meter_provider, reader = provider
    meter = CarbonMeter([FixedSource("gpu", 100.0)], g_per_kwh=360.0, pue=1.0, activity=activity, clock=clock)
    meter.register(meter_provider.get_meter("test"), daily_budget_g=500.0)
    handle = activity.started("llama-3.1-8b", 0.0)
    activity.finished(handle, 5.0, failed=False)
    clock.now = 10.0

    data = reader.get_metrics_data()
    gpu = frozenset({("tta.energy.source", "gpu")})
    gpu_for_the_model = gpu | {("gen_ai.request.model", "llama-3.1-8b")}

    assert {name: m.unit for name, m in metrics(data).items()} == {
        "tta.energy": "J",
        "tta.carbon.emissions": "g",
        "tta.carbon.intensity": "g/kWh",
        "tta.carbon.budget": "g",
    }
    assert values(data, "tta.energy") == {gpu_for_the_model: 50.0, gpu: 50.0}
    assert values(data, "tta.carbon.emissions") == {
        gpu_for_the_model: pytest.approx(0.005),
        gpu: pytest.approx(0.005),
    }
    assert values(data, "tta.carbon.intensity") == {frozenset(): 360.0}
    assert values(data, "tta.carbon.budget") == {frozenset(): 500.0}
    assert metrics(data)["tta.energy"].data.is_monotonic  # type: ignore[union-attr]


def test_without_a_budget_there_is_no_budget_gauge(provider: tuple[MeterProvider, InMemoryMetricReader]) -> None:
    meter_provider, reader = provider
    CarbonMeter([], g_per_kwh=480.0, pue=1.0).register(meter_provider.get_meter("test"))

    assert "tta.carbon.budget" not in metrics_by_name(reader)


def test_on_this_machine_without_a_gpu_only_the_carbon_instruments_appear(
    provider: tuple[MeterProvider, InMemoryMetricReader], caplog: pytest.LogCaptureFixture
) -> None:
    meter_provider, reader = provider
    caplog.set_level("INFO", logger="tta_otel")

    energy = install_energy_telemetry(meter_provider, MonitoringConfig())

    assert energy.gpu_reader is None
    assert sorted(metrics_by_name(reader)) == ["tta.carbon.emissions", "tta.carbon.intensity", "tta.energy"]
    assert len([r for r in caplog.records if "GPU" in r.getMessage()]) == 1
    energy.close()


def test_carbon_and_gpu_telemetry_can_be_switched_off(provider: tuple[MeterProvider, InMemoryMetricReader]) -> None:
    meter_provider, reader = provider
    config = MonitoringConfig(carbon=CarbonSettings(enabled=False), hardware=HardwareSettings(gpu=False))

    energy = install_energy_telemetry(meter_provider, config)

    assert (energy.gpu_reader, energy.carbon_meter) == (None, None)
    assert metrics_by_name(reader) == {}


def test_an_unknown_region_falls_back_to_the_world_average(
    provider: tuple[MeterProvider, InMemoryMetricReader], caplog: pytest.LogCaptureFixture
) -> None:
    meter_provider, _ = provider
    config = MonitoringConfig(carbon=CarbonSettings(region="mars-1"), hardware=HardwareSettings(gpu=False))

    energy = install_energy_telemetry(meter_provider, config)

    assert energy.carbon_meter is not None
    assert energy.carbon_meter.g_per_kwh == 480.0
    assert "'mars-1' is not in carbon.intensity_by_region" in caplog.text
