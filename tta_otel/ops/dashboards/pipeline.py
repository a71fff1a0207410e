"""TTA pipeline health: what the collector accepts, refuses, drops, queues and fails to export,
what services drop before it, and the health of the backends behind it. The collector and the
backends serve the whole stack, so only the services' panel applies the filters."""

from __future__ import annotations

from typing import Final

from grafana_foundation_sdk.models import dashboard as model

from tta_otel import semconv
from tta_otel.ops.dashboards.common import Look, Panel, Query, dashboard, graph, rate, single, thresholds
from tta_otel.ops.dashboards.overview import UP_MAPPINGS

UID: Final = "tta-pipeline"
_SIGNALS: Final = semconv.OTELCOL_SIGNAL_ITEMS
_DROPPING = 'processor!~"batch|memory_limiter"'


def _per_signal(counter: str, by: str = "") -> list[Query]:
    """``counter`` (e.g. ``otelcol_receiver_accepted``) for each signal, in either spelling: the
    collector serves its counters without ``_total``, OTLP-exported ones would have it."""
    grouping = f"sum by ({by}) " if by else "sum "
    legend = f"{{{{{by}}}}} " if by else ""
    return [
        Query(
            f'{grouping}(rate({{__name__=~"{counter}_{item}(_total)?"}}[$__rate_interval]))',
            f"{legend}{signal}",
        )
        for item, signal in _SIGNALS.items()
    ]


def _processor(counter: str) -> str:
    selector = f'{{__name__=~"{counter}(_total)?", {_DROPPING}}}'
    return f"sum by (processor, otel_signal) (rate({selector}[$__rate_interval]))"


def _collector() -> list[Panel]:
    return [
        graph(
            "Accepted",
            Look("Items per second the collector's receivers accepted, by signal.", "suffix: items/s", width=8, min=0),
            *_per_signal(semconv.OTELCOL_RECEIVER_ACCEPTED),
        ),
        graph(
            "Refused",
            Look(
                "Items per second the receivers refused (memory_limiter above its limit, or a pipeline error); "
                "services retry, then drop.",
                "suffix: items/s",
                thresholds("green", (0.001, "red")),
                width=8,
                min=0,
            ),
            *_per_signal(semconv.OTELCOL_RECEIVER_REFUSED),
        ),
        graph(
            "Dropped by processors",
            Look(
                "Items per second that entered a processor and did not leave it (batch and memory_limiter "
                "excluded: batch buffers, memory_limiter refuses).",
                "suffix: items/s",
                thresholds("green", (0.001, "red")),
                width=8,
            ),
            Query(
                f"{_processor(semconv.OTELCOL_PROCESSOR_INCOMING_ITEMS)} - "
                f"{_processor(semconv.OTELCOL_PROCESSOR_OUTGOING_ITEMS)}",
                "{{processor}} {{otel_signal}}",
            ),
        ),
        graph(
            "Queue usage",
            Look(
                "Each exporter's persistent sending queue over its capacity; it fills while a backend is down.",
                "percentunit",
                thresholds("green", (0.5, "orange"), (0.8, "red")),
                width=8,
                min=0,
                max=1,
            ),
            Query(
                "max by (exporter, data_type) "
                f"({semconv.OTELCOL_EXPORTER_QUEUE_SIZE} / {semconv.OTELCOL_EXPORTER_QUEUE_CAPACITY})",
                "{{exporter}} {{data_type}}",
            ),
        ),
        graph(
            "Sent by exporter",
            Look("Items per second each exporter delivered to its backend.", "suffix: items/s", width=8, min=0),
            *_per_signal(semconv.OTELCOL_EXPORTER_SENT, by="exporter"),
        ),
        graph(
            "Export failures",
            Look(
                "Items per second lost at an exporter: rejected for good by the backend (send_failed) or "
                "dropped by a full queue (enqueue_failed).",
                "suffix: items/s",
                thresholds("green", (0.001, "red")),
                width=8,
            ),
            *_per_signal(semconv.OTELCOL_EXPORTER_SEND_FAILED, by="exporter"),
            *(
                Query(query.expr, query.legend + " (queue full)")
                for query in _per_signal(semconv.OTELCOL_EXPORTER_ENQUEUE_FAILED, by="exporter")
            ),
        ),
        graph(
            "Dropped in services",
            Look(
                "Items the services' exporters gave up (tta.telemetry.dropped: redaction failed, export failed "
                "after retries), by signal and reason; filtered like the rest of TTA.",
                "suffix: items/s",
                thresholds("green", (0.001, "red")),
                width=24,
            ),
            Query(
                rate(
                    semconv.TTA_TELEMETRY_DROPPED.prometheus,
                    by="tta_component, tta_telemetry_signal, tta_telemetry_reason",
                ),
                "{{tta_component}} {{tta_telemetry_signal}} {{tta_telemetry_reason}}",
            ),
        ),
    ]


def _backends() -> list[Panel]:
    return [
        single(
            "Up",
            Look(
                "Whether Prometheus scrapes each part of the stack.",
                "none",
                thresholds("red", (1, "green")),
                width=8,
                mappings=UP_MAPPINGS,
            ),
            Query('up{job=~"otel-collector|prometheus|alertmanager"}', "{{job}}"),
        ),
        graph(
            "Prometheus head series",
            Look("Series in Prometheus's in-memory head block.", "short", width=8, min=0),
            Query('sum(prometheus_tsdb_head_series{job="prometheus"})', "series"),
        ),
        graph(
            "Prometheus samples appended",
            Look(
                "Samples per second written to the TSDB (OTLP ingestion and scrapes).",
                "suffix: samples/s",
                width=8,
                min=0,
            ),
            Query(
                'sum(rate(prometheus_tsdb_head_samples_appended_total{job="prometheus"}[$__rate_interval]))', "samples"
            ),
        ),
        single(
            "Prometheus failures",
            Look(
                "Over the dashboard's time range: failed compactions, WAL corruptions, failed head truncations "
                "and failed rule evaluations (the last ones keep alerts from firing).",
                "short",
                thresholds("green", (1, "red")),
                width=12,
            ),
            *(
                Query(f'sum(increase({counter}{{job="prometheus"}}[$__range]))', legend, instant=True)
                for counter, legend in (
                    ("prometheus_tsdb_compactions_failed_total", "compactions"),
                    ("prometheus_tsdb_wal_corruptions_total", "WAL corruptions"),
                    ("prometheus_tsdb_head_truncations_failed_total", "truncations"),
                    ("prometheus_rule_evaluation_failures_total", "rule evaluations"),
                )
            ),
        ),
        graph(
            "Alertmanager",
            Look(
                "Alerts Alertmanager holds by state, and notifications per second that failed or that Prometheus "
                "could not deliver to it.",
                "short",
                width=12,
                min=0,
            ),
            Query('sum by (state) (alertmanager_alerts{job="alertmanager"})', "alerts {{state}}"),
            Query(
                "sum by (integration) "
                '(rate(alertmanager_notifications_failed_total{job="alertmanager"}[$__rate_interval]))',
                "failed {{integration}}",
            ),
            Query(
                'sum(rate(prometheus_notifications_dropped_total{job="prometheus"}[$__rate_interval]))',
                "dropped by Prometheus",
            ),
        ),
    ]


def build() -> model.Dashboard:
    return dashboard(
        UID,
        "TTA pipeline health",
        "The collector's accepted, refused, dropped and queued data, export failures, and the backends' health.",
        [("Collector", _collector()), ("Backends", _backends())],
    )
