"""Property: no planted personal value leaves a TTA process, whatever field of whatever signal it is in.

Hypothesis draws a synthetic personal value (made with Faker), an encoding that a careless
service or a curious player might give it, a field of a span, a log record or a metric point,
and a key (allowed by the policy or not); the value is recorded through the real SDK and the
tta_otel exporters in strict mode, as a service runs them. Nothing of the value - raw, or in
the form it was planted in - may appear in what the wrapped exporter receives.
"""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from faker import Faker
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry._logs import LogRecord
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricExporter, MetricExportResult
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, Status, StatusCode

from tta_otel.exporters import RedactingLogRecordExporter, RedactingMetricExporter, RedactingSpanExporter
from tta_otel.privacy import Pseudonymizer, PseudonymKey, Redactor, load_policy
from tta_otel.testing.metrics import metrics, points

_FAKE = Faker(["en_US", "en_GB", "de_DE", "fr_FR"])
_FAKE.seed_instance(20261129)
_US = Faker("en_US")  # US formats: SSNs that were ever issued, North American phone numbers
_US.seed_instance(20261129)

# Personal data the scanner must find in free text, in every field.
DETECTABLE: dict[str, list[str]] = {
    "email": [_FAKE.email() for _ in range(20)],
    "phone": [_FAKE.numerify("+44 20 #### ####") for _ in range(10)] + [_US.numerify("(415) 555-####")],
    "card": [_US.credit_card_number("visa16") for _ in range(10)],
    "ssn": [_US.ssn() for _ in range(10)],
    "ip": [_FAKE.ipv4_public() for _ in range(10)],
    "api_key": ["sk-proj-" + _FAKE.pystr(min_chars=32, max_chars=32) for _ in range(5)],
}
# Content no pattern can recognise: safe only because default-deny replaces its key's value.
UNRECOGNISABLE: list[str] = [f"I never told anyone that {_FAKE.sentence(nb_words=6)}" for _ in range(10)]

ENCODINGS: dict[str, Callable[[str], str]] = {
    "raw": lambda value: value,
    "percent": lambda value: urllib.parse.quote(value, safe=""),
    "fullwidth_at": lambda value: value.replace("@", "\uff20"),
    "zero_width": "\u200b".join,
    "base64": lambda value: base64.b64encode(value.encode()).decode(),
    "at_obfuscated": lambda value: value.replace("@", " [at] ").replace(".", " (dot) "),
}
UNLISTED_KEYS = ["tta.answer", "note", "detail", "customField"]
ALLOWED_KEYS = ["http.route", "user_agent.original", "db.query.summary", "error.type"]


def _redactor() -> Redactor:
    return Redactor(load_policy(), Pseudonymizer(PseudonymKey("prop", b"a synthetic key for property tests")))


@dataclass(frozen=True)
class Plant:
    kind: str
    value: str
    encoding: str

    @property
    def planted(self) -> str:
        return ENCODINGS[self.encoding](self.value)

    def traces(self) -> set[str]:
        """What must not appear: the value itself and the form it was planted in (when long enough to mean it)."""
        forms = {self.value, self.planted}
        return {form for form in forms if len(form) >= 6}


def _detectable() -> st.SearchStrategy[Plant]:
    return st.sampled_from(sorted(DETECTABLE)).flatmap(
        lambda kind: st.builds(
            Plant, st.just(kind), st.sampled_from(DETECTABLE[kind]), st.sampled_from(sorted(ENCODINGS))
        )
    )


def _anything() -> st.SearchStrategy[Plant]:
    unrecognisable = st.builds(Plant, st.just("content"), st.sampled_from(UNRECOGNISABLE), st.just("raw"))
    return st.one_of(_detectable(), unrecognisable)


def _assert_absent(exported: str, plant: Plant) -> None:
    leaked = sorted(form for form in plant.traces() if form in exported)
    assert leaked == [], f"{plant.kind} planted as {plant.encoding} leaked: {leaked}"


def _spans(redactor: Redactor, record: Callable[[Any], None], resource: dict[str, Any] | None = None) -> str:
    inner = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource({"service.name": "tta-prop", **(resource or {})}))
    provider.add_span_processor(SimpleSpanProcessor(RedactingSpanExporter(inner, lambda: redactor)))
    record(provider.get_tracer("prop"))
    provider.shutdown()
    return repr(
        [
            (
                span.name,
                dict(span.attributes or {}),
                [(event.name, dict(event.attributes or {})) for event in span.events],
                [dict(link.attributes or {}) for link in span.links],
                span.status.description,
                dict(span.resource.attributes),
            )
            for span in inner.get_finished_spans()
        ]
    )


def _logs(redactor: Redactor, record: Callable[[Any], None]) -> str:
    inner = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=Resource({"service.name": "tta-prop"}))
    provider.add_log_record_processor(SimpleLogRecordProcessor(RedactingLogRecordExporter(inner, lambda: redactor)))
    record(provider.get_logger("prop"))
    provider.shutdown()
    return repr(
        [
            (data.log_record.body, dict(data.log_record.attributes or {}), data.log_record.event_name)
            for data in inner.get_finished_logs()
        ]
    )


def _metric_points(redactor: Redactor, record: Callable[[Any], None]) -> str:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    record(provider.get_meter("prop"))
    data = reader.get_metrics_data()
    received: list[Any] = []

    class _Sink(MetricExporter):
        def export(self, metrics_data: Any, timeout_millis: float = 10_000, **kwargs: Any) -> MetricExportResult:
            received.append(metrics_data)
            return MetricExportResult.SUCCESS

        def force_flush(self, timeout_millis: float = 10_000) -> bool:
            return True

        def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
            pass

    assert data is not None
    RedactingMetricExporter(_Sink(), lambda: redactor).export(data)
    provider.shutdown()
    (batch,) = received
    return repr(
        [
            (dict(point.attributes or {}), [dict(e.filtered_attributes or {}) for e in point.exemplars])
            for name in metrics(batch)
            for point in points(batch, name)
        ]
    )


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(plant=_anything(), key=st.sampled_from(UNLISTED_KEYS), as_list=st.booleans())
def test_span_attributes_under_unlisted_keys(plant: Plant, key: str, as_list: bool) -> None:
    value: Any = [plant.planted, "x"] if as_list else plant.planted
    _assert_absent(_spans(_redactor(), lambda tracer: tracer.start_span("s", attributes={key: value}).end()), plant)


@SETTINGS
@given(plant=_detectable(), key=st.sampled_from(ALLOWED_KEYS))
def test_span_attributes_under_allowed_keys(plant: Plant, key: str) -> None:
    _assert_absent(
        _spans(_redactor(), lambda tracer: tracer.start_span("s", attributes={key: f"at {plant.planted} ok"}).end()),
        plant,
    )


@SETTINGS
@given(plant=_detectable())
def test_span_names(plant: Plant) -> None:
    _assert_absent(_spans(_redactor(), lambda tracer: tracer.start_span(f"lookup {plant.planted}").end()), plant)


@SETTINGS
@given(plant=_anything(), key=st.sampled_from(UNLISTED_KEYS + ALLOWED_KEYS), by_name=st.booleans())
def test_span_events(plant: Plant, key: str, by_name: bool) -> None:
    def record(tracer: Any) -> None:
        span = tracer.start_span("s")
        if by_name and plant.kind != "content":
            span.add_event(f"notified {plant.planted}")
        else:
            span.add_event("notified", {key: plant.planted if key in UNLISTED_KEYS or plant.kind != "content" else "x"})
        span.end()

    _assert_absent(_spans(_redactor(), record), plant)


@SETTINGS
@given(plant=_anything(), key=st.sampled_from(UNLISTED_KEYS))
def test_span_links(plant: Plant, key: str) -> None:
    def record(tracer: Any) -> None:
        linked = tracer.start_span("linked")
        linked.end()
        tracer.start_span("s", links=[Link(linked.get_span_context(), {key: plant.planted})]).end()

    _assert_absent(_spans(_redactor(), record), plant)


@SETTINGS
@given(plant=_detectable())
def test_span_status_messages(plant: Plant) -> None:
    def record(tracer: Any) -> None:
        span = tracer.start_span("s")
        span.set_status(Status(StatusCode.ERROR, f"no answer from {plant.planted}"))
        span.end()

    _assert_absent(_spans(_redactor(), record), plant)


@SETTINGS
@given(plant=_anything(), key=st.sampled_from(UNLISTED_KEYS))
def test_resource_attributes(plant: Plant, key: str) -> None:
    _assert_absent(_spans(_redactor(), lambda tracer: tracer.start_span("s").end(), {key: plant.planted}), plant)


@SETTINGS
@given(plant=_anything())
def test_exception_messages_and_stack_traces(plant: Plant) -> None:
    def record(tracer: Any) -> None:
        span = tracer.start_span("s")
        try:
            raise ValueError(f"cannot parse answer: {plant.planted}")
        except ValueError as exc:
            span.record_exception(exc)
        span.end()

    _assert_absent(_spans(_redactor(), record), plant)


@SETTINGS
@given(plant=_detectable(), shape=st.sampled_from(["string", "map", "array", "nested"]))
def test_log_bodies_of_every_shape(plant: Plant, shape: str) -> None:
    body: Any = {
        "string": f"mail from {plant.planted}",
        "map": {"event": "choice", "detail": plant.planted},
        "array": ["choice", plant.planted],
        "nested": {"outer": {"inner": [plant.planted]}},
    }[shape]
    _assert_absent(_logs(_redactor(), lambda logger: logger.emit(LogRecord(body=body))), plant)


@SETTINGS
@given(plant=_anything(), key=st.sampled_from(UNLISTED_KEYS))
def test_log_attributes_and_map_bodies_with_unrecognisable_content(plant: Plant, key: str) -> None:
    record = LogRecord(body={key: plant.planted}, attributes={key: plant.planted})
    _assert_absent(_logs(_redactor(), lambda logger: logger.emit(record)), plant)


@SETTINGS
@given(plant=_detectable())
def test_log_event_names(plant: Plant) -> None:
    record = LogRecord(body="x", event_name=f"tta.{plant.planted}")
    _assert_absent(_logs(_redactor(), lambda logger: logger.emit(record)), plant)


@SETTINGS
@given(plant=_anything(), key=st.sampled_from([*UNLISTED_KEYS, "player_id", "userId"]))
def test_metric_point_attributes(plant: Plant, key: str) -> None:
    _assert_absent(
        _metric_points(_redactor(), lambda meter: meter.create_counter("tta.prop").add(1, {key: plant.planted})),
        plant,
    )


def test_a_planted_value_that_leaves_is_caught() -> None:
    plant = Plant("email", DETECTABLE["email"][0], "percent")
    with pytest.raises(AssertionError, match="email planted as percent leaked"):
        _assert_absent(repr({"url.query": plant.planted}), plant)
