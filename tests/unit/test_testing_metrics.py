"""Specification of ``tta_otel.testing.metrics`` where the tests that use it do not reach:
a metric name in two scopes, two points of one series, and points of another kind."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricsData

from tta_otel.testing.metrics import histogram_points, metrics, number_points, values


def _counted_in_two_scopes(first: dict[str, str], second: dict[str, str]) -> MetricsData | None:
    """``tta.c`` from two meters: 1 with the ``first`` attributes, 2 with the ``second``."""
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    provider.get_meter("first").create_counter("tta.c").add(1, first)
    provider.get_meter("second").create_counter("tta.c").add(2, second)
    return reader.get_metrics_data()


def test_the_points_of_a_name_are_gathered_from_every_scope() -> None:
    data = _counted_in_two_scopes({"meter": "first"}, {"meter": "second"})

    assert values(data, "tta.c") == {frozenset({("meter", "first")}): 1, frozenset({("meter", "second")}): 2}


def test_a_name_in_two_scopes_is_not_looked_up_as_one_metric() -> None:
    data = _counted_in_two_scopes({"meter": "first"}, {"meter": "second"})

    with pytest.raises(ValueError, match=r"^metric 'tta.c' appears in more than one scope or resource$"):
        metrics(data)


def test_two_points_of_one_series_are_not_merged_into_one_value() -> None:
    data = _counted_in_two_scopes({"route": "/scene"}, {"route": "/scene"})

    with pytest.raises(ValueError, match=r"^metric 'tta.c' has two points of the series \{'route': '/scene'\}$"):
        values(data, "tta.c")


def test_a_counter_is_not_read_as_a_histogram() -> None:
    data = _counted_in_two_scopes({}, {})

    with pytest.raises(TypeError, match=r"^metric 'tta.c' has a NumberDataPoint, not a HistogramDataPoint$"):
        histogram_points(data, "tta.c")


def test_a_histogram_is_not_read_as_a_counter() -> None:
    reader = InMemoryMetricReader()
    MeterProvider(metric_readers=[reader]).get_meter("test").create_histogram("tta.h").record(1.0)

    with pytest.raises(TypeError, match=r"^metric 'tta.h' has a HistogramDataPoint, not a NumberDataPoint$"):
        number_points(reader.get_metrics_data(), "tta.h")
