"""Raw OTLP requests, built by hand as a client that does no redaction at all would send them."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import httpx
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

from tta_otel.ops.stack.runner import URLS

COLLECTOR_HTTP = URLS["TTA_OTLP_HTTP_ENDPOINT"]


def collector_auth() -> dict[str, Any]:
    """What a client sends the collector with: the bearer token and the CA to check its certificate
    (from the environment the stack tests' fixture sets, as `tta-otel stack env` prints it)."""
    token = Path(os.environ["TTA_OTLP_TOKEN_FILE"]).read_text(encoding="utf-8").strip()
    return {"headers": {"Authorization": f"Bearer {token}"}, "verify": os.environ["OTEL_EXPORTER_OTLP_CERTIFICATE"]}


def key_values(attributes: dict[str, Any]) -> list[KeyValue]:
    values = []
    for key, value in attributes.items():
        any_value = AnyValue(int_value=value) if isinstance(value, int) else AnyValue(string_value=str(value))
        values.append(KeyValue(key=key, value=any_value))
    return values


def resource(service: str) -> Resource:
    return Resource(attributes=key_values({"service.name": service, "tta.component": "raw-client"}))


def send(path: str, message: Any, collector: str = COLLECTOR_HTTP) -> None:
    """POST ``message`` to ``collector`` (the stack's by default) with the token, checking its certificate."""
    auth = collector_auth()
    with httpx.Client(verify=auth["verify"], timeout=10) as client:
        response = client.post(
            f"{collector}{path}",
            content=message.SerializeToString(),
            headers={"Content-Type": "application/x-protobuf", **auth["headers"]},
        )
    response.raise_for_status()


def send_span(service: str, trace_id: bytes, name: str, attributes: dict[str, Any]) -> None:
    now = time.time_ns()
    span = Span(
        trace_id=trace_id,
        span_id=trace_id[:8],
        name=name,
        kind=Span.SPAN_KIND_SERVER,
        start_time_unix_nano=now - 5_000_000,
        end_time_unix_nano=now,
        attributes=key_values(attributes),
    )
    request = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=resource(service), scope_spans=[ScopeSpans(spans=[span])])]
    )
    send("/v1/traces", request)


def send_log(service: str, trace_id: bytes, body: str, attributes: dict[str, Any]) -> None:
    record = LogRecord(
        time_unix_nano=time.time_ns(),
        severity_text="ERROR",
        body=AnyValue(string_value=body),
        attributes=key_values(attributes),
        trace_id=trace_id,
        span_id=trace_id[:8],
    )
    request = ExportLogsServiceRequest(
        resource_logs=[ResourceLogs(resource=resource(service), scope_logs=[ScopeLogs(log_records=[record])])]
    )
    send("/v1/logs", request)


def send_counter(service: str, name: str, value: int, attributes: dict[str, Any]) -> None:
    now = time.time_ns()
    point = NumberDataPoint(
        attributes=key_values(attributes),
        start_time_unix_nano=now - 60_000_000_000,
        time_unix_nano=now,
        as_int=value,
    )
    metric = Metric(
        name=name,
        unit="1",
        sum=Sum(
            data_points=[point],
            aggregation_temporality=AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE,
            is_monotonic=True,
        ),
    )
    request = ExportMetricsServiceRequest(
        resource_metrics=[ResourceMetrics(resource=resource(service), scope_metrics=[ScopeMetrics(metrics=[metric])])]
    )
    send("/v1/metrics", request)


def traces_request(service: str, trace_ids: list[bytes], spans_per_trace: int) -> ExportTraceServiceRequest:
    """One request holding ``spans_per_trace`` spans (span ids 1, 2, ...) of each trace in ``trace_ids``."""
    now = time.time_ns()
    spans = [
        Span(
            trace_id=trace_id,
            span_id=number.to_bytes(8, "big"),
            name="load probe",
            kind=Span.SPAN_KIND_SERVER,
            start_time_unix_nano=now - 5_000_000,
            end_time_unix_nano=now,
        )
        for trace_id in trace_ids
        for number in range(1, spans_per_trace + 1)
    ]
    return ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=resource(service), scope_spans=[ScopeSpans(spans=spans)])]
    )


def logs_request(service: str, trace_ids: list[bytes], records_per_trace: int) -> ExportLogsServiceRequest:
    """One request holding ``records_per_trace`` log records written inside each trace of
    ``trace_ids``, one in each of its first spans (span ids 1, 2, ...)."""
    now = time.time_ns()
    records = [
        LogRecord(
            time_unix_nano=now,
            severity_text="INFO",
            body=AnyValue(string_value="load probe"),
            trace_id=trace_id,
            span_id=number.to_bytes(8, "big"),
        )
        for trace_id in trace_ids
        for number in range(1, records_per_trace + 1)
    ]
    return ExportLogsServiceRequest(
        resource_logs=[ResourceLogs(resource=resource(service), scope_logs=[ScopeLogs(log_records=records)])]
    )
