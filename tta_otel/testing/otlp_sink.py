"""An OTLP/HTTP receiver that keeps what it receives in memory.

The demo prints what a service exports through it, and the integration tests assert on
it: it decodes the same protobuf messages as a collector (``/v1/traces``,
``/v1/metrics``, ``/v1/logs``, gzip or not) and answers a malformed body with HTTP 400
instead of failing.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.protobuf.json_format import MessageToJson
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

_REQUEST_TYPES: dict[str, type[Message]] = {
    "/v1/traces": ExportTraceServiceRequest,
    "/v1/metrics": ExportMetricsServiceRequest,
    "/v1/logs": ExportLogsServiceRequest,
}


@dataclass
class Received:
    """Everything received, per signal, as decoded requests."""

    traces: list[ExportTraceServiceRequest] = field(default_factory=list)
    metrics: list[ExportMetricsServiceRequest] = field(default_factory=list)
    logs: list[ExportLogsServiceRequest] = field(default_factory=list)
    rejected: int = 0
    headers: list[tuple[dict[str, str], Any]] = field(default_factory=list)  # each request's headers and message

    def spans(self) -> Iterator[tuple[Any, Any]]:
        """(resource, span) for every span received."""
        for request in self.traces:
            for resource_spans in request.resource_spans:
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        yield resource_spans.resource, span

    def log_records(self) -> Iterator[tuple[Any, Any]]:
        """(resource, log record) for every log record received."""
        for request in self.logs:
            for resource_logs in request.resource_logs:
                for scope_logs in resource_logs.scope_logs:
                    for record in scope_logs.log_records:
                        yield resource_logs.resource, record

    def metric_names(self) -> set[str]:
        return {
            metric.name
            for request in self.metrics
            for resource_metrics in request.resource_metrics
            for scope_metrics in resource_metrics.scope_metrics
            for metric in scope_metrics.metrics
        }

    def resources(self) -> Iterator[Any]:
        for request in self.traces:
            yield from (rs.resource for rs in request.resource_spans)
        for metrics_request in self.metrics:
            yield from (rm.resource for rm in metrics_request.resource_metrics)
        for logs_request in self.logs:
            yield from (rl.resource for rl in logs_request.resource_logs)

    def as_text(self) -> str:
        """Every received message as JSON text, to search for values that must not be there."""
        messages: list[Message] = [*self.traces, *self.metrics, *self.logs]
        return "\n".join(MessageToJson(message, ensure_ascii=False) for message in messages)


def _plain(value: Any) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_plain(element) for element in value.array_value.values]
    return getattr(value, kind) if kind else None


def attributes(proto_attributes: Any) -> dict[str, Any]:
    """OTLP KeyValue list to a dict of plain values (strings, numbers, booleans, lists of them)."""
    return {item.key: _plain(item.value) for item in proto_attributes}


class OtlpSink:
    """A running receiver: ``with OtlpSink() as sink: ...`` then read ``sink.received``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.received = Received()
        # Set to 429 or 503 to answer as a collector whose memory limiter refuses data (nothing is kept).
        self.refusing_with: int | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, name="otlp-sink", daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                request_type = _REQUEST_TYPES.get(self.path)
                if request_type is None:
                    self.send_error(404)
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if sink.refusing_with is not None:
                    self.send_error(sink.refusing_with, "data refused due to high memory usage")
                    return
                try:
                    if self.headers.get("Content-Encoding") == "gzip":
                        body = gzip.decompress(body)
                    message = request_type.FromString(body)
                except (DecodeError, OSError, EOFError):
                    with sink._lock:
                        sink.received.rejected += 1
                    self.send_error(400, "malformed OTLP request")
                    return
                with sink._lock:
                    sink.received.headers.append(({k.lower(): v for k, v in self.headers.items()}, message))
                sink._store(self.path, message)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler

    def _store(self, path: str, message: Any) -> None:
        with self._lock:
            if path == "/v1/traces":
                self.received.traces.append(message)
            elif path == "/v1/metrics":
                self.received.metrics.append(message)
            else:
                self.received.logs.append(message)

    def start(self) -> OtlpSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> OtlpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
