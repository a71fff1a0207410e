"""Carbon arithmetic against hand-computed values: intensity, emissions, attribution to models."""

from __future__ import annotations

import re

import pytest

from tta_otel.ai.activity import CallInterval
from tta_otel.carbon import WORLD_AVERAGE_G_PER_KWH, attribute_to_models, grams_co2e, intensity_g_per_kwh
from tta_otel.carbon.intensity import UnknownRegionError
from tta_otel.config.schema import CarbonSettings


def test_one_kilowatt_hour_at_the_world_average_emits_480_grams() -> None:
    assert WORLD_AVERAGE_G_PER_KWH == 480.0
    assert grams_co2e(3_600_000.0, WORLD_AVERAGE_G_PER_KWH) == 480.0


def test_one_watt_for_an_hour_in_a_30_gram_grid_emits_three_hundredths_of_a_gram() -> None:
    assert grams_co2e(3600.0, 30.0) == pytest.approx(0.03)


def test_without_settings_the_world_average_is_used() -> None:
    assert intensity_g_per_kwh(CarbonSettings()) == 480.0


def test_the_region_selects_its_intensity_from_the_table() -> None:
    settings = CarbonSettings(region="eu-north-1", intensity_by_region={"eu-north-1": 31.0, "us-east-1": 390.0})

    assert intensity_g_per_kwh(settings) == 31.0


def test_an_explicit_intensity_wins_over_the_region() -> None:
    settings = CarbonSettings(region="eu-north-1", intensity_by_region={"eu-north-1": 31.0}, intensity_g_per_kwh=120.0)

    assert intensity_g_per_kwh(settings) == 120.0


def test_a_region_missing_from_the_table_is_an_error_naming_it() -> None:
    with pytest.raises(
        UnknownRegionError, match=re.escape("'mars-1' is not in carbon.intensity_by_region (eu-north-1)")
    ):
        intensity_g_per_kwh(CarbonSettings(region="mars-1", intensity_by_region={"eu-north-1": 31.0}))


def test_energy_with_no_model_call_in_the_interval_is_idle() -> None:
    assert attribute_to_models(100.0, [], 0.0, 10.0) == {None: 100.0}


def test_energy_is_split_by_busy_time_and_each_models_run_time() -> None:
    # 0-10 s, 100 J. "large" ran 2-6 s, "small" 4-8 s: busy 2-8 s = 6 s -> 60 J to models, 40 J idle.
    # Run times 4 s and 4 s -> 30 J each.
    calls = [CallInterval("large", 2.0, 6.0), CallInterval("small", 4.0, 8.0)]

    assert attribute_to_models(100.0, calls, 0.0, 10.0) == pytest.approx({"large": 30.0, "small": 30.0, None: 40.0})


def test_a_call_still_running_counts_up_to_the_end_of_the_interval() -> None:
    # "large" started at 5 s and still runs at 10 s: 5 s of 10 s -> 50 J, 50 J idle.
    assert attribute_to_models(100.0, [CallInterval("large", 5.0)], 0.0, 10.0) == pytest.approx(
        {"large": 50.0, None: 50.0}
    )


def test_two_calls_of_one_model_are_added() -> None:
    calls = [CallInterval("large", 0.0, 2.0), CallInterval("large", 5.0, 7.0), CallInterval("small", 20.0, 30.0)]

    assert attribute_to_models(100.0, calls, 0.0, 10.0) == pytest.approx({"large": 40.0, None: 60.0})
