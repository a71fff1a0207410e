"""The service's metrics, for the on-call dashboards.

- ``tta.alert.time_to_acknowledge`` (histogram, s): firing to acknowledgement, once per episode.
- ``tta.alert.time_to_resolve`` (histogram, s): firing to resolution, once per episode.
- ``tta.alert.escalations`` (counter): escalations sent, with ``tta.alert.receiver`` and,
  when the receiver did not take it, ``error.type``.

Every point carries the alert's ``alertname``, ``severity`` and ``component`` (its
``tta_component`` label). They go to the collector over OTLP/HTTP like any service's;
the SDK is imported only when the service starts.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from opentelemetry.metrics import Meter

from tta_otel import instruments, semconv
from tta_otel.ops.alerts.lifecycle import AlertRecord
from tta_otel.ops.collector_metrics import collector_meter_provider

SERVICE_NAME = "tta-otel-alerts"
EXPORT_INTERVAL_MS = 5_000
"""A point every 5 s, as the services export theirs, unless ``OTEL_METRIC_EXPORT_INTERVAL`` (ms) says
otherwise; the last points are flushed on shutdown."""
INTERVAL_ENV = "OTEL_METRIC_EXPORT_INTERVAL"


def _attributes(record: AlertRecord) -> dict[str, str]:
    return {
        semconv.ALERT_NAME: record.alertname,
        semconv.ALERT_SEVERITY: record.severity,
        semconv.ALERT_COMPONENT: record.component,
    }


class AlertMetrics:
    def __init__(self, meter: Meter) -> None:
        self._time_to_acknowledge = instruments.histogram(meter, semconv.TTA_ALERT_TIME_TO_ACKNOWLEDGE)
        self._time_to_resolve = instruments.histogram(meter, semconv.TTA_ALERT_TIME_TO_RESOLVE)
        self._escalations = instruments.counter(meter, semconv.TTA_ALERT_ESCALATIONS)

    def acknowledged(self, record: AlertRecord, seconds: float) -> None:
        self._time_to_acknowledge.record(seconds, _attributes(record))

    def resolved(self, record: AlertRecord, seconds: float) -> None:
        self._time_to_resolve.record(seconds, _attributes(record))

    def escalated(self, record: AlertRecord, receiver: str, error_type: str | None) -> None:
        attributes = {**_attributes(record), semconv.TTA_ALERT_RECEIVER: receiver}
        if error_type is not None:
            attributes[semconv.ERROR_TYPE] = error_type
        self._escalations.add(1, attributes)


def export_to_collector(endpoint: str, service_name: str = SERVICE_NAME) -> tuple[AlertMetrics, Callable[[], None]]:
    """Metrics sent to ``endpoint`` (OTLP/HTTP), and the function that flushes and stops them."""
    interval = None if INTERVAL_ENV in os.environ else EXPORT_INTERVAL_MS
    provider = collector_meter_provider(endpoint, service_name, interval)
    return AlertMetrics(provider.get_meter("tta_otel.ops.alerts")), provider.shutdown
