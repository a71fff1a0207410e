"""Specification of the in-memory OTLP receiver used by the demo and the integration tests."""

from __future__ import annotations

import gzip
import urllib.error
import urllib.request

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from tta_otel.testing.otlp_sink import OtlpSink, attributes


def _post(url: str, body: bytes, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_spans_from_the_sdk_exporter_are_received() -> None:
    with OtlpSink() as sink:
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{sink.endpoint}/v1/traces")))
        with provider.get_tracer("t").start_as_current_span("hello", attributes={"k": "v"}):
            pass
        provider.shutdown()
        ((_, span),) = list(sink.received.spans())
    assert span.name == "hello"
    assert attributes(span.attributes) == {"k": "v"}


@pytest.mark.parametrize("gzipped", [False, True])
def test_malformed_bodies_are_rejected_with_400(gzipped: bool) -> None:
    body = b"\xff\xff not protobuf"
    headers = {"Content-Encoding": "gzip"} if gzipped else {}
    with OtlpSink() as sink:
        assert _post(f"{sink.endpoint}/v1/logs", gzip.compress(body)[:5] if gzipped else body, headers) == 400
        assert _post(f"{sink.endpoint}/v1/traces", b"", {}) == 200
        assert sink.received.rejected == 1


def test_unknown_paths_are_404() -> None:
    with OtlpSink() as sink:
        assert _post(f"{sink.endpoint}/v1/profiles", b"") == 404
