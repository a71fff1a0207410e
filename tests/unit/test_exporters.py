"""Specification of the redacting exporters: what reaches the wrapped exporter for each signal."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import pytest
from faker import Faker
from opentelemetry.metrics import Meter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import Counter, MeterProvider
from opentelemetry.sdk.metrics import Histogram as HistogramInstrument
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    ConsoleMetricExporter,
    Gauge,
    InMemoryMetricReader,
    Metric,
    MetricExportResult,
    MetricsData,
    NumberDataPoint,
    PeriodicExportingMetricReader,
    ResourceMetrics,
    ScopeMetrics,
)
from opentelemetry.sdk.metrics.view import Aggregation, ExplicitBucketHistogramAggregation
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, Status, StatusCode

from tta_otel.exporters import RedactingLogRecordExporter, RedactingMetricExporter, RedactingSpanExporter
from tta_otel.privacy import Pseudonymizer, Redactor
from tta_otel.testing.metrics import DataPoint, histogram_points, metrics, number_points, points


def test_spans_are_redacted_everywhere(redactor: Redactor, pseudonymizer: Pseudonymizer, fake: Faker) -> None:
    email, phone, ip = fake.email(), fake.numerify("(415) 555-####"), fake.ipv4_public()
    inner = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource({"service.name": "tta-test", "host.ip": ip}))
    provider.add_span_processor(SimpleSpanProcessor(RedactingSpanExporter(inner, lambda: redactor)))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("linked") as linked:
        pass
    with tracer.start_as_current_span(
        f"lookup {email}",
        attributes={"player.id": "player-7", "gen_ai.prompt": fake.sentence(), "http.route": "/scene"},
        links=[Link(linked.get_span_context(), {"note": phone})],
    ) as span:
        span.add_event("retry", {"reason": f"called {phone}"})
        span.add_event(f"notified {email}")
        span.set_status(Status(StatusCode.ERROR, f"no answer from {email}"))
        try:
            raise ValueError(f"bad input from {ip}")
        except ValueError as exc:
            span.record_exception(exc)
    exported = inner.get_finished_spans()[-1]
    assert exported.name == "lookup [REDACTED:email]"
    assert dict(exported.attributes or {}) == {
        "player.id": pseudonymizer.pseudonymize("player-7"),
        "http.route": "/scene",
    }
    assert dict(exported.events[0].attributes or {}) == {"reason": "called [REDACTED:phone]"}
    assert exported.events[1].name == "notified [REDACTED:email]"
    assert exported.events[2].attributes["exception.message"] == "bad input from [REDACTED:ipv4]"  # type: ignore[index]
    assert ip not in exported.events[2].attributes["exception.stacktrace"]  # type: ignore[index]
    assert dict(exported.links[0].attributes or {}) == {"note": "[REDACTED:phone]"}
    assert exported.status.description == "no answer from [REDACTED:email]"
    assert exported.resource.attributes["host.ip"] == "[REDACTED:ipv4]"
    assert exported.resource.attributes["service.name"] == "tta-test"
    assert exported.context == span.get_span_context()


def test_a_redaction_failure_drops_the_batch_and_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> Redactor:
        raise RuntimeError("policy unavailable")

    inner = InMemorySpanExporter()
    exporter = RedactingSpanExporter(inner, broken)
    provider = TracerProvider()
    span = provider.get_tracer("t").start_span("s")
    span.end()
    assert exporter.export([span]) is SpanExportResult.FAILURE  # type: ignore[list-item]
    assert exporter.export([span]) is SpanExportResult.FAILURE  # type: ignore[list-item]
    assert inner.get_finished_spans() == ()
    assert exporter.drops.counts == {"redaction_failed": 2, "export_failed": 0}
    assert caplog.text.count("Redaction of spans failed") == 1


class _Failing(InMemorySpanExporter):
    def export(self, spans: object) -> SpanExportResult:  # type: ignore[override]
        return SpanExportResult.FAILURE


def test_items_of_a_failed_export_are_counted(redactor: Redactor) -> None:
    exporter = RedactingSpanExporter(_Failing(), lambda: redactor)
    span = TracerProvider().get_tracer("t").start_span("s")
    span.end()
    assert exporter.export([span, span]) is SpanExportResult.FAILURE  # type: ignore[list-item]
    assert exporter.drops.counts == {"redaction_failed": 0, "export_failed": 2}
    assert exporter.drops.dropped == 2


class _Raising(InMemorySpanExporter):
    def export(self, spans: object) -> SpanExportResult:  # type: ignore[override]
        raise ConnectionError("collector gone")


def test_an_exporter_that_raises_is_counted_and_never_raises(redactor: Redactor) -> None:
    exporter = RedactingSpanExporter(_Raising(), lambda: redactor)
    span = TracerProvider().get_tracer("t").start_span("s")
    span.end()
    assert exporter.export([span]) is SpanExportResult.FAILURE  # type: ignore[list-item]
    assert exporter.drops.counts == {"redaction_failed": 0, "export_failed": 1}


def test_span_exporter_delegates_flush_and_shutdown(redactor: Redactor) -> None:
    inner = InMemorySpanExporter()
    exporter = RedactingSpanExporter(inner, lambda: redactor)
    assert exporter.force_flush() is True
    exporter.shutdown()
    assert inner._stopped


def test_log_records_are_redacted(redactor: Redactor, fake: Faker) -> None:
    email, card = fake.email(), fake.credit_card_number("visa16")
    inner = InMemoryLogRecordExporter()
    exporter = RedactingLogRecordExporter(inner, lambda: redactor)
    provider = LoggerProvider(resource=Resource({"service.name": "tta-test"}))
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    from opentelemetry.instrumentation.logging.handler import LoggingHandler

    logger = logging.getLogger("test.redacting.logs")
    logger.propagate = False
    handler = LoggingHandler(logger_provider=provider)
    logger.addHandler(handler)
    try:
        logger.warning(
            "payment by %s failed", email, extra={"card": card, "player.input": "I feel alone", "otelSpanID": "0"}
        )
    finally:
        logger.removeHandler(handler)
    record = inner.get_finished_logs()[0].log_record
    assert record.body == "payment by [REDACTED:email] failed"
    assert record.attributes is not None
    assert record.attributes["card"] == "[REDACTED:payment_card]"
    assert "player.input" not in record.attributes
    assert "otelSpanID" not in record.attributes
    assert exporter.force_flush() is True
    exporter.shutdown()


def test_structured_log_bodies_are_redacted(redactor: Redactor, fake: Faker) -> None:
    inner = InMemoryLogRecordExporter()
    provider = LoggerProvider()
    provider.add_log_record_processor(SimpleLogRecordProcessor(RedactingLogRecordExporter(inner, lambda: redactor)))
    from opentelemetry._logs import LogRecord

    provider.get_logger("t").emit(LogRecord(body={"contact": fake.email(), "tta.narrative": "a story"}))
    assert inner.get_finished_logs()[0].log_record.body == {"contact": "[REDACTED:email]"}


def test_a_log_redaction_failure_drops_the_batch(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> Redactor:
        raise RuntimeError("policy unavailable")

    inner = InMemoryLogRecordExporter()
    provider = LoggerProvider()
    exporter = RedactingLogRecordExporter(inner, broken)
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    from opentelemetry._logs import LogRecord

    provider.get_logger("t").emit(LogRecord(body="hello"))
    assert inner.get_finished_logs() == ()
    assert exporter.drops.counts == {"redaction_failed": 1, "export_failed": 0}


class _Capture(ConsoleMetricExporter):
    """Keeps every batch; ``force_flush`` answers ``flush_result`` and ``shutdown`` is remembered."""

    def __init__(
        self,
        preferred_temporality: dict[type, AggregationTemporality] | None = None,
        preferred_aggregation: dict[type, Aggregation] | None = None,
        flush_result: bool = True,
    ) -> None:
        super().__init__(preferred_temporality=preferred_temporality, preferred_aggregation=preferred_aggregation)
        self.batches: list[MetricsData] = []
        self.flush_result = flush_result
        self.shut_down = False

    def export(self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: object) -> MetricExportResult:
        self.batches.append(metrics_data)
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self.flush_result

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: object) -> None:
        self.shut_down = True


def _collect(redactor: Redactor, record: object) -> dict[str, list[DataPoint]]:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader], resource=Resource({"service.name": "tta-test"}))
    record(provider.get_meter("test"))  # type: ignore[operator]
    data = reader.get_metrics_data()
    assert data is not None
    capture = _Capture()
    assert RedactingMetricExporter(capture, lambda: redactor).export(data) is MetricExportResult.SUCCESS
    (batch,) = capture.batches
    return {name: points(batch, name) for name in metrics(batch)}


def test_counter_series_that_collapse_are_added(redactor: Redactor, fake: Faker) -> None:
    def record(meter: object) -> None:
        counter = meter.create_counter("tta.logins")  # type: ignore[attr-defined]
        counter.add(2, {"contact": fake.email(), "route": "/login"})
        counter.add(3, {"contact": fake.email(), "route": "/login"})
        counter.add(1, {"contact": "none", "route": "/login"})

    points = _collect(redactor, record)["tta.logins"]
    assert sorted((p.attributes["contact"], p.value) for p in points) == [  # type: ignore[attr-defined]
        ("[REDACTED:email]", 5),
        ("none", 1),
    ]


def test_histogram_series_that_collapse_are_added_bucket_by_bucket(redactor: Redactor, fake: Faker) -> None:
    def record(meter: object) -> None:
        histogram = meter.create_histogram("tta.latency", explicit_bucket_boundaries_advisory=[1.0, 10.0])  # type: ignore[attr-defined]
        histogram.record(0.5, {"client": fake.ipv4_public()})
        histogram.record(5.0, {"client": fake.ipv4_public()})

    (point,) = _collect(redactor, record)["tta.latency"]
    assert dict(point.attributes) == {"client": "[REDACTED:ipv4]"}  # type: ignore[attr-defined]
    assert point.count == 2  # type: ignore[attr-defined]
    assert list(point.bucket_counts) == [1, 1, 0]  # type: ignore[attr-defined]
    assert point.sum == 5.5  # type: ignore[attr-defined]
    assert (point.min, point.max) == (0.5, 5.0)  # type: ignore[attr-defined]


def _gauge_batch(*rows: tuple[str, int, int]) -> MetricsData:
    """One batch of the gauge ``tta.queue``, a point per ``(owner, time_unix_nano, value)``, in that order."""
    gauge = Gauge(
        data_points=[
            NumberDataPoint({"owner": owner}, 0, time_unix_nano, value) for owner, time_unix_nano, value in rows
        ]
    )
    metric = Metric(name="tta.queue", description="", unit="", data=gauge)
    scope = ScopeMetrics(scope=InstrumentationScope("test"), metrics=[metric], schema_url="")
    return MetricsData(resource_metrics=[ResourceMetrics(resource=Resource({}), scope_metrics=[scope], schema_url="")])


@pytest.mark.parametrize("later_first", [False, True], ids=["later-point-last", "later-point-first"])
def test_gauge_series_that_collapse_keep_the_value_with_the_latest_timestamp(
    redactor: Redactor, fake: Faker, later_first: bool
) -> None:
    earlier, later = (fake.email(), 1_000, 4), (fake.email(), 2_000, 9)
    capture = _Capture()
    batch = _gauge_batch(*((later, earlier) if later_first else (earlier, later)))

    assert RedactingMetricExporter(capture, lambda: redactor).export(batch) is MetricExportResult.SUCCESS

    (point,) = number_points(capture.batches[0], "tta.queue")
    assert (dict(point.attributes or {}), point.time_unix_nano, point.value) == (
        {"owner": "[REDACTED:email]"},
        2_000,
        9,
    )


def test_metric_identifiers_are_removed_and_content_dropped(redactor: Redactor) -> None:
    def record(meter: object) -> None:
        meter.create_up_down_counter("tta.sessions").add(1, {"session.id": "s-1", "tta.prompt": "x"})  # type: ignore[attr-defined]

    (point,) = _collect(redactor, record)["tta.sessions"]
    assert dict(point.attributes) == {}  # type: ignore[attr-defined]


def _export_through_a_reader(inner: _Capture, redactor: Redactor, record: Callable[[Meter], None]) -> MetricsData:
    """The batch ``inner`` receives when a periodic reader exports through the wrapper, as the configurator sets up."""
    exporter = RedactingMetricExporter(inner, lambda: redactor)
    provider = MeterProvider(metric_readers=[PeriodicExportingMetricReader(exporter, export_interval_millis=math.inf)])
    record(provider.get_meter("test"))
    assert provider.force_flush()
    (batch,) = inner.batches
    provider.shutdown()
    return batch


def test_the_metric_exporter_keeps_the_wrapped_exporters_temporality(redactor: Redactor) -> None:
    inner = _Capture(preferred_temporality={Counter: AggregationTemporality.DELTA})  # the default is CUMULATIVE

    batch = _export_through_a_reader(inner, redactor, lambda meter: meter.create_counter("tta.c").add(1))

    assert metrics(batch)["tta.c"].data.aggregation_temporality is AggregationTemporality.DELTA  # type: ignore[union-attr]


def test_the_metric_exporter_keeps_the_wrapped_exporters_aggregation(redactor: Redactor) -> None:
    buckets = ExplicitBucketHistogramAggregation([1.0, 2.0])  # the default bounds are 0, 5, 10, 25, ...
    inner = _Capture(preferred_aggregation={HistogramInstrument: buckets})

    batch = _export_through_a_reader(inner, redactor, lambda meter: meter.create_histogram("tta.h").record(1.5))

    (point,) = histogram_points(batch, "tta.h")
    assert (tuple(point.explicit_bounds), tuple(point.bucket_counts)) == ((1.0, 2.0), (0, 1, 0))


def test_the_metric_exporter_returns_the_wrapped_exporters_flush_result(redactor: Redactor) -> None:
    exporter = RedactingMetricExporter(_Capture(flush_result=False), lambda: redactor)

    assert exporter.force_flush() is False


def test_the_metric_exporter_shuts_the_wrapped_exporter_down(redactor: Redactor) -> None:
    inner = _Capture()

    RedactingMetricExporter(inner, lambda: redactor).shutdown()

    assert inner.shut_down


def test_a_metric_redaction_failure_drops_the_batch(redactor: Redactor) -> None:
    def record(meter: object) -> None:
        meter.create_counter("tta.c").add(1)  # type: ignore[attr-defined]

    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    record(provider.get_meter("t"))
    data = reader.get_metrics_data()

    def broken() -> Redactor:
        raise RuntimeError("policy unavailable")

    capture = _Capture()
    exporter = RedactingMetricExporter(capture, broken)
    assert exporter.export(data) is MetricExportResult.FAILURE  # type: ignore[arg-type]
    assert capture.batches == []
    assert exporter.drops.counts == {"redaction_failed": 1, "export_failed": 0}
