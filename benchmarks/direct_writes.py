"""Writes straight into each store of the native stack over OTLP/HTTP, skipping the SDK and the
collector: the baseline of freshness.py. What a store needs from a write until a query finds
it is then measured apart from what the SDK's batching and the collector add.

Each write carries a marker where the store's query finds it: the span's trace id (Jaeger),
the log record's body (VictoriaLogs), the counter's ``probe`` label (Prometheus).
"""

from __future__ import annotations

import time

import httpx
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.metrics.v1.metrics_pb2 import (
    AggregationTemporality,
    Metric,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from tta_otel.ops.client_credentials import jaeger_auth, prometheus_auth, victorialogs_auth
from tta_otel.ops.stack.runner import URLS, table_entry

SERVICE = "freshness-baseline"
_RESOURCE = Resource(attributes=[KeyValue(key="service.name", value=AnyValue(string_value=SERVICE))])
JAEGER_OTLP_HTTP = f"http://127.0.0.1:{table_entry('jaeger').extra_ports[3]}/v1/traces"
VICTORIALOGS_OTLP = f"{URLS['TTA_VICTORIALOGS_URL']}/insert/opentelemetry/v1/logs"
PROMETHEUS_OTLP = f"{URLS['TTA_PROMETHEUS_URL']}/api/v1/otlp/v1/metrics"


def _post(url: str, message: Message, auth: tuple[str, str] | None) -> None:
    response = httpx.post(
        url,
        content=message.SerializeToString(),
        headers={"Content-Type": "application/x-protobuf"},
        auth=auth,
        timeout=10,
    )
    response.raise_for_status()


def span_to_jaeger(trace_id: str) -> None:
    """One span of the trace ``trace_id`` (32 hex digits)."""
    now = time.time_ns()
    span = Span(
        trace_id=bytes.fromhex(trace_id),
        span_id=bytes.fromhex(trace_id)[:8],
        name="freshness baseline",
        start_time_unix_nano=now - 1_000_000,
        end_time_unix_nano=now,
    )
    request = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=_RESOURCE, scope_spans=[ScopeSpans(spans=[span])])]
    )
    _post(JAEGER_OTLP_HTTP, request, jaeger_auth())


def log_to_victorialogs(marker: str) -> None:
    """One log record whose body is ``probe <marker>``."""
    record = LogRecord(time_unix_nano=time.time_ns(), body=AnyValue(string_value=f"probe {marker}"))
    request = ExportLogsServiceRequest(
        resource_logs=[ResourceLogs(resource=_RESOURCE, scope_logs=[ScopeLogs(log_records=[record])])]
    )
    _post(VICTORIALOGS_OTLP, request, victorialogs_auth())


def counter_to_prometheus(probe: int) -> None:
    """One point of the counter ``tta.freshness.baseline`` with ``probe=<probe>``."""
    now = time.time_ns()
    point = NumberDataPoint(
        attributes=[KeyValue(key="probe", value=AnyValue(int_value=probe))],
        start_time_unix_nano=now - 1_000_000_000,
        time_unix_nano=now,
        as_int=1,
    )
    metric = Metric(
        name="tta.freshness.baseline",
        sum=Sum(
            data_points=[point],
            aggregation_temporality=AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE,
            is_monotonic=True,
        ),
    )
    request = ExportMetricsServiceRequest(
        resource_metrics=[ResourceMetrics(resource=_RESOURCE, scope_metrics=[ScopeMetrics(metrics=[metric])])]
    )
    _post(PROMETHEUS_OTLP, request, prometheus_auth())
