"""Specification of ``tta.telemetry.dropped``'s reasons: a refusing collector, a dead one, a full
queue, each counted as what it is. The collector is the project's in-memory OTLP receiver, which
answers as a collector whose memory limiter refuses data, on demand; the real collector's
memory limiter refusing is tests/stack/test_collector_refusal.py."""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from tta_otel.exporters import RedactingSpanExporter
from tta_otel.exporters.sdk_hooks import is_refusal, watch_queue_drops
from tta_otel.privacy import Redactor
from tta_otel.testing.otlp_sink import OtlpSink


def _spans(count: int) -> list[Any]:
    tracer = TracerProvider().get_tracer("test")
    spans = []
    for index in range(count):
        span = tracer.start_span(f"span {index}")
        span.end()
        spans.append(span)
    return spans


def _http_exporter(endpoint: str, redactor: Redactor) -> RedactingSpanExporter:
    return RedactingSpanExporter(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces", timeout=1), lambda: redactor)


@pytest.mark.parametrize("status", [429, 503])
def test_a_refusing_collector_counts_as_refused(status: int, redactor: Redactor) -> None:
    with OtlpSink() as sink:
        sink.refusing_with = status
        exporter = _http_exporter(sink.endpoint, redactor)
        exporter.export(_spans(3))
    assert exporter.drops.counts == {"redaction_failed": 0, "export_failed": 0, "refused": 3}


def test_an_unreachable_collector_counts_as_export_failed(redactor: Redactor) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    exporter = _http_exporter(f"http://127.0.0.1:{port}", redactor)
    exporter.export(_spans(2))
    assert exporter.drops.counts == {"redaction_failed": 0, "export_failed": 2}


def test_an_export_after_a_refusal_that_succeeds_is_not_counted(redactor: Redactor) -> None:
    with OtlpSink() as sink:
        exporter = _http_exporter(sink.endpoint, redactor)
        sink.refusing_with = 503
        exporter.export(_spans(1))
        sink.refusing_with = None
        result = exporter.export(_spans(1))
    assert (result, exporter.drops.counts) == (
        SpanExportResult.SUCCESS,
        {"redaction_failed": 0, "export_failed": 0, "refused": 1},
    )


def test_each_export_outcome_reaches_the_listener(redactor: Redactor) -> None:
    outcomes: list[bool] = []
    with OtlpSink() as sink:
        exporter = _http_exporter(sink.endpoint, redactor)
        exporter.drops.on_export = outcomes.append
        sink.refusing_with = 503
        exporter.export(_spans(1))
        sink.refusing_with = None
        exporter.export(_spans(1))
    assert outcomes == [False, True]


class _Blocked(SpanExporter):
    """An exporter that holds its first batch until released, so that the queue behind it fills."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def export(self, spans: Any) -> SpanExportResult:
        self.entered.set()
        self.release.wait(5)
        return SpanExportResult.SUCCESS


def test_spans_that_find_the_queue_full_count_as_queue_full(redactor: Redactor) -> None:
    blocked = _Blocked()
    exporter = RedactingSpanExporter(blocked, lambda: redactor)
    processor = BatchSpanProcessor(exporter, max_queue_size=2, max_export_batch_size=2, schedule_delay_millis=60_000)
    assert watch_queue_drops(processor, exporter.drops.queue_full)
    provider = TracerProvider()
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("test")
    for index in range(2):
        tracer.start_span(f"first batch {index}").end()
    assert blocked.entered.wait(5)
    for index in range(5):
        tracer.start_span(f"behind it {index}").end()
    blocked.release.set()
    provider.shutdown()
    assert exporter.drops.counts["queue_full"] == 3


@pytest.mark.parametrize(
    ("attributes", "refused"),
    [
        ({"http.response.status_code": 503}, True),
        ({"http.response.status_code": 429}, True),
        ({"http.response.status_code": 400}, False),
        ({"rpc.response.status_code": "RESOURCE_EXHAUSTED"}, True),
        ({"rpc.response.status_code": "UNAVAILABLE"}, False),
        (None, False),
    ],
)
def test_which_answers_mean_refused(attributes: dict[str, Any] | None, refused: bool) -> None:
    assert is_refusal(attributes) is refused
