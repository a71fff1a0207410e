"""A metric exporter that redacts data point attributes before export.

Redaction can make two series identical (two e-mail addresses both become
``[REDACTED:email]``). Exporting both would give a backend two values for one series,
so points that collapse onto the same attributes are merged: sums are added, histograms
are added bucket by bucket, gauges keep the latest value. Exponential histograms are
kept as they are (merging needs a common scale); they are not used by tta_otel.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from opentelemetry.sdk.metrics.export import (
    Gauge,
    Histogram,
    HistogramDataPoint,
    Metric,
    MetricExporter,
    MetricExportResult,
    MetricsData,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)

from tta_otel.exporters._shared import (
    DropCounter,
    RedactorSource,
    ResourceRedactor,
    abandon,
    active_redactor,
    send_counted,
)
from tta_otel.exporters.sdk_hooks import watch_export_outcomes
from tta_otel.privacy import Redactor


def _metric_count(metrics_data: MetricsData) -> int:
    return sum(len(sm.metrics) for rm in metrics_data.resource_metrics for sm in rm.scope_metrics)


def _series_key(attributes: dict[str, Any]) -> frozenset[tuple[str, Any]]:
    return frozenset(attributes.items())


def _merge_number(first: NumberDataPoint, second: NumberDataPoint, add: bool) -> NumberDataPoint:
    if not add:
        return second if second.time_unix_nano >= first.time_unix_nano else first
    return dataclasses.replace(
        first,
        value=first.value + second.value,
        start_time_unix_nano=min(first.start_time_unix_nano, second.start_time_unix_nano),
        time_unix_nano=max(first.time_unix_nano, second.time_unix_nano),
        exemplars=[*first.exemplars, *second.exemplars],
    )


def _merge_histogram(first: HistogramDataPoint, second: HistogramDataPoint) -> HistogramDataPoint:
    if list(first.explicit_bounds) != list(second.explicit_bounds):
        return second
    return dataclasses.replace(
        first,
        count=first.count + second.count,
        sum=first.sum + second.sum,
        bucket_counts=[a + b for a, b in zip(first.bucket_counts, second.bucket_counts, strict=True)],
        min=min(first.min, second.min),
        max=max(first.max, second.max),
        start_time_unix_nano=min(first.start_time_unix_nano, second.start_time_unix_nano),
        time_unix_nano=max(first.time_unix_nano, second.time_unix_nano),
        exemplars=[*first.exemplars, *second.exemplars],
    )


class RedactingMetricExporter(MetricExporter):
    """Applies the privacy policy to data point and exemplar attributes and to the resource."""

    def __init__(self, exporter: MetricExporter, redactor: RedactorSource = active_redactor) -> None:
        super().__init__(
            preferred_temporality=exporter._preferred_temporality,
            preferred_aggregation=exporter._preferred_aggregation,
        )
        self.exporter = exporter
        self._redactor = redactor
        self._resources = ResourceRedactor()
        self.drops = DropCounter("metrics")
        watch_export_outcomes(exporter, self.drops.export_outcome)

    def _attributes(self, redactor: Redactor, attributes: Any) -> dict[str, Any]:
        """Identifiers never become metric attributes: removed, not pseudonymised, and counted."""
        redacted, removed = redactor.redact_metric_attributes(attributes)
        if removed:
            self.drops.identifiers_removed(removed)
        return redacted

    def _redact_point(self, redactor: Redactor, point: Any) -> Any:
        exemplars = [
            dataclasses.replace(e, filtered_attributes=self._attributes(redactor, e.filtered_attributes))
            for e in point.exemplars
        ]
        return dataclasses.replace(point, attributes=self._attributes(redactor, point.attributes), exemplars=exemplars)

    def _redact_data(self, redactor: Redactor, data: Any) -> Any:
        points = [self._redact_point(redactor, point) for point in data.data_points]
        if not isinstance(data, (Sum, Gauge, Histogram)):
            return dataclasses.replace(data, data_points=points)
        merged: dict[frozenset[tuple[str, Any]], Any] = {}
        for point in points:
            key = _series_key(point.attributes)
            previous = merged.get(key)
            if previous is None:
                merged[key] = point
            elif isinstance(data, Histogram):
                merged[key] = _merge_histogram(previous, point)
            else:
                merged[key] = _merge_number(previous, point, add=isinstance(data, Sum))
        return dataclasses.replace(data, data_points=list(merged.values()))  # type: ignore[arg-type]

    def _redact(self, redactor: Redactor, metrics_data: MetricsData) -> MetricsData:
        return MetricsData(
            resource_metrics=[
                ResourceMetrics(
                    resource=self._resources(redactor, rm.resource),
                    scope_metrics=[
                        ScopeMetrics(
                            scope=sm.scope,
                            metrics=[
                                Metric(m.name, m.description, m.unit, self._redact_data(redactor, m.data))
                                for m in sm.metrics
                            ],
                            schema_url=sm.schema_url,
                        )
                        for sm in rm.scope_metrics
                    ],
                    schema_url=rm.schema_url,
                )
                for rm in metrics_data.resource_metrics
            ]
        )

    def export(self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any) -> MetricExportResult:
        try:
            redacted = self._redact(self._redactor(), metrics_data)
        except Exception:
            self.drops.redaction_failed(_metric_count(metrics_data))
            return MetricExportResult.FAILURE
        return send_counted(
            self.drops,
            _metric_count(metrics_data),
            lambda: self.exporter.export(redacted, timeout_millis=timeout_millis, **kwargs),
            MetricExportResult.FAILURE,
        )

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self.exporter.force_flush(timeout_millis)

    def abandon(self) -> None:
        """Shutdown's deadline has passed: drop what is left, counted, and stop retrying."""
        abandon(self.drops, self.exporter)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        if not self.drops.abandoned:  # abandoning shut the exporter down already
            self.exporter.shutdown(timeout_millis=timeout_millis, **kwargs)
