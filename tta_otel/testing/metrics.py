"""Reading an SDK ``MetricsData`` in tests: the metrics, points and values of one name.

``InMemoryMetricReader.get_metrics_data()`` (or a batch an exporter received) nests data points
four deep: resource, scope, metric, data. These functions walk it once, across every resource
and scope, and select by metric name. ``None``, what the reader returns before anything was
recorded, reads as no metrics at all.

Values are keyed by *series*, the frozen set of a point's attribute items, so a test states
what it expects as ``{frozenset({("http.route", "/stream")}): 1}``; ``frozenset()`` is the
series without attributes. Nothing is merged or dropped silently: a name found in two scopes
or two points of one series raise ``ValueError``, a point of another kind ``TypeError``.

In the spirit of ``opentelemetry-test-utils``: for tests and demos only, never imported by an
instrumented service, and independent of the operator's tools (``tta_otel.ops``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from opentelemetry.sdk.metrics.export import DataPointT, HistogramDataPoint, Metric, MetricsData, NumberDataPoint
from opentelemetry.util.types import Attributes, AttributeValue

DataPoint = DataPointT
"""A point of any kind: ``NumberDataPoint``, ``HistogramDataPoint`` or ``ExponentialHistogramDataPoint``."""
Series = frozenset[tuple[str, AttributeValue]]
"""One series of a metric: the items of its points' attributes."""

_Point = TypeVar("_Point", NumberDataPoint, HistogramDataPoint)
_Value = TypeVar("_Value")


def _walk(data: MetricsData | None) -> Iterator[Metric]:
    if data is None:
        return
    for resource_metrics in data.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            yield from scope_metrics.metrics


def metrics(data: MetricsData | None) -> dict[str, Metric]:
    """Every metric by name, in the order collected; ``{}`` for ``None``.

    Raises ``ValueError`` when a name appears in more than one scope or resource: a test that
    looks a metric up by name would otherwise see only one of them.
    """
    found: dict[str, Metric] = {}
    for metric in _walk(data):
        if metric.name in found:
            raise ValueError(f"metric {metric.name!r} appears in more than one scope or resource")
        found[metric.name] = metric
    return found


def points(data: MetricsData | None, name: str) -> list[DataPoint]:
    """The data points of every metric called ``name``, in the order collected; ``[]`` when there is none."""
    return [point for metric in _walk(data) if metric.name == name for point in metric.data.data_points]


def _of_kind(found: list[DataPoint], kind: type[_Point], name: str) -> list[_Point]:
    selected = [point for point in found if isinstance(point, kind)]
    if len(selected) != len(found):
        other = next(point for point in found if not isinstance(point, kind))
        raise TypeError(f"metric {name!r} has a {type(other).__name__}, not a {kind.__name__}")
    return selected


def number_points(data: MetricsData | None, name: str) -> list[NumberDataPoint]:
    """The points of a counter, up-down counter or gauge called ``name``.

    Raises ``TypeError`` when the metric has points of another kind (a histogram's).
    """
    return _of_kind(points(data, name), NumberDataPoint, name)


def histogram_points(data: MetricsData | None, name: str) -> list[HistogramDataPoint]:
    """The points of an explicit-bucket histogram called ``name``.

    Raises ``TypeError`` when the metric has points of another kind (a counter's).
    """
    return _of_kind(points(data, name), HistogramDataPoint, name)


def series(attributes: Attributes) -> Series:
    """The series of a point with these attributes; ``frozenset()`` for none."""
    return frozenset((attributes or {}).items())


def _by_series(name: str, pairs: Iterable[tuple[Attributes, _Value]]) -> dict[Series, _Value]:
    found: dict[Series, _Value] = {}
    for attributes, value in pairs:
        key = series(attributes)
        if key in found:
            raise ValueError(f"metric {name!r} has two points of the series {dict(key)}")
        found[key] = value
    return found


def values(data: MetricsData | None, name: str) -> dict[Series, int | float]:
    """The value of each series of a counter, up-down counter or gauge called ``name``."""
    return _by_series(name, ((point.attributes, point.value) for point in number_points(data, name)))


def sums(data: MetricsData | None, name: str) -> dict[Series, int | float]:
    """The sum of the values each series of the histogram called ``name`` received."""
    return _by_series(name, ((point.attributes, point.sum) for point in histogram_points(data, name)))


def counts(data: MetricsData | None, name: str) -> dict[Series, int]:
    """How many values each series of the histogram called ``name`` received."""
    return _by_series(name, ((point.attributes, point.count) for point in histogram_points(data, name)))


__all__ = [
    "DataPoint",
    "Series",
    "counts",
    "histogram_points",
    "metrics",
    "number_points",
    "points",
    "series",
    "sums",
    "values",
]
