"""The operator's own tools report metrics like any service: over OTLP/HTTP to the stack's
collector, with its bearer token and CA (``otlp_exporter_arguments``). The alerts service and the
stack supervisor build their meter provider here; the SDK is imported only when one is built."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tta_otel import semconv
from tta_otel.ops.client_credentials import otlp_exporter_arguments

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics import MeterProvider

EXPORT_TIMEOUT_S = 5
"""So that a stop with the collector down takes seconds, not the exporter's default 10 s per try."""


def collector_meter_provider(endpoint: str, service_name: str, interval_ms: float | None) -> MeterProvider:
    """A meter provider exporting every ``interval_ms`` (None: ``OTEL_METRIC_EXPORT_INTERVAL``) to
    the collector's OTLP/HTTP ``endpoint``; shut it down to flush the last points."""
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource

    exporter = OTLPMetricExporter(
        endpoint=f"{endpoint.rstrip('/')}/v1/metrics", timeout=EXPORT_TIMEOUT_S, **otlp_exporter_arguments()
    )
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=interval_ms)
    return MeterProvider(resource=Resource.create({semconv.SERVICE_NAME: service_name}), metric_readers=[reader])


__all__ = ["EXPORT_TIMEOUT_S", "collector_meter_provider"]
