"""Error tracking: exception events carry a fingerprint, ``tta.errors`` counts each error once, and
every error becomes a log record linked to its trace."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import Span, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tta_otel.config.schema import ErrorSettings
from tta_otel.errors import ErrorLogProcessor, ErrorTracker, fingerprint, start_error_tracking, stop_error_tracking
from tta_otel.log_privacy import install_log_privacy, uninstall_log_privacy
from tta_otel.testing.metrics import number_points


class StoryUnavailableError(RuntimeError):
    """Stands for an application error."""


def deliver_scene(player: str) -> None:
    raise StoryUnavailableError(f"no scene for {player}")


@dataclass
class Tracked:
    tracer: Any
    spans: InMemorySpanExporter
    metrics: InMemoryMetricReader
    logs: InMemoryLogRecordExporter
    logger: logging.Logger

    def error_points(self) -> list[tuple[dict[str, Any], int | float]]:
        return [
            (dict(point.attributes or {}), point.value)
            for point in number_points(self.metrics.get_metrics_data(), "tta.errors")
        ]


@pytest.fixture
def tracked() -> Iterator[Tracked]:
    spans, logs, metrics = InMemorySpanExporter(), InMemoryLogRecordExporter(), InMemoryMetricReader()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    meter_provider = MeterProvider(metric_readers=[metrics])
    logger_provider = LoggerProvider()
    tracker = ErrorTracker(
        ErrorSettings(critical_routes=["/players/{player_id}/scene"], critical_operations=["chat narrator-large"]),
        meter_provider.get_meter("test"),
        logger_provider.get_logger("tta_otel.errors"),
    )
    logger_provider.add_log_record_processor(ErrorLogProcessor(tracker))
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    app_logger = logging.getLogger("tta.test.errors")
    handler = LoggingHandler(logger_provider=logger_provider)
    app_logger.addHandler(handler)
    start_error_tracking(tracker)
    install_log_privacy()  # as the configurator does: the handler hands the exception to the tracker
    yield Tracked(tracer_provider.get_tracer("test"), spans, metrics, logs, app_logger)
    uninstall_log_privacy()
    stop_error_tracking()
    app_logger.removeHandler(handler)
    meter_provider.shutdown()


def test_an_exception_event_carries_the_fingerprint_of_its_traceback(tracked: Tracked) -> None:
    with pytest.raises(StoryUnavailableError) as raised, tracked.tracer.start_as_current_span("GET /story"):
        deliver_scene("player-7")

    (span,) = tracked.spans.get_finished_spans()
    (event,) = span.events
    attributes = dict(event.attributes or {})
    assert attributes["tta.error.fingerprint"] == fingerprint(raised.value)
    assert attributes["tta.error.critical"] is False


def test_each_error_is_counted_by_type_fingerprint_and_severity(tracked: Tracked) -> None:
    for player in ("player-7", "player-8"):
        with pytest.raises(StoryUnavailableError), tracked.tracer.start_as_current_span("GET /story"):
            deliver_scene(player)

    ((attributes, count),) = tracked.error_points()
    assert count == 2
    assert attributes == {
        "error.type": f"{__name__}.StoryUnavailableError",
        "tta.error.fingerprint": attributes["tta.error.fingerprint"],
        "tta.error.severity": "error",
        "tta.error.critical": False,
    }


def test_an_error_on_a_critical_route_is_critical(tracked: Tracked) -> None:
    with (
        pytest.raises(StoryUnavailableError),
        tracked.tracer.start_as_current_span("GET scene", attributes={"http.route": "/players/{player_id}/scene"}),
    ):
        deliver_scene("player-7")

    ((attributes, _),) = tracked.error_points()
    assert (attributes["tta.error.severity"], attributes["tta.error.critical"]) == ("critical", True)


def test_an_error_of_a_critical_operation_is_critical(tracked: Tracked) -> None:
    with pytest.raises(StoryUnavailableError), tracked.tracer.start_as_current_span("chat narrator-large"):
        deliver_scene("player-7")

    (span,) = tracked.spans.get_finished_spans()
    assert (span.events[0].attributes or {})["tta.error.critical"] is True


def test_a_recorded_exception_becomes_a_log_record_in_its_trace(tracked: Tracked) -> None:
    with pytest.raises(StoryUnavailableError), tracked.tracer.start_as_current_span("GET /story"):
        deliver_scene("player-7")

    (span,) = tracked.spans.get_finished_spans()
    (log,) = tracked.logs.get_finished_logs()
    record = log.log_record
    assert record.trace_id == span.context.trace_id
    assert record.severity_text == "ERROR"
    assert record.body == f"{__name__}.StoryUnavailableError: no scene for player-7"
    attributes = dict(record.attributes or {})
    assert attributes["exception.type"] == f"{__name__}.StoryUnavailableError"
    assert "deliver_scene" in str(attributes["exception.stacktrace"])
    assert attributes["tta.error.fingerprint"] == (span.events[0].attributes or {})["tta.error.fingerprint"]


def test_a_logged_exception_gets_the_same_fingerprint_and_counts_once(tracked: Tracked) -> None:
    with pytest.raises(StoryUnavailableError), tracked.tracer.start_as_current_span("GET /story"):
        try:
            deliver_scene("player-7")
        except StoryUnavailableError:
            tracked.logger.exception("scene delivery failed")
            raise

    (span,) = tracked.spans.get_finished_spans()
    logged = [log.log_record for log in tracked.logs.get_finished_logs()]
    assert [record.body for record in logged] == ["scene delivery failed"]
    assert (logged[0].attributes or {})["tta.error.fingerprint"] == (span.events[0].attributes or {})[
        "tta.error.fingerprint"
    ]
    assert [count for _, count in tracked.error_points()] == [1]


def test_a_logged_exception_outside_any_span_is_fingerprinted_but_not_counted(tracked: Tracked) -> None:
    try:
        deliver_scene("player-7")
    except StoryUnavailableError:
        tracked.logger.exception("scene delivery failed")

    (log,) = tracked.logs.get_finished_logs()
    assert len(str((log.log_record.attributes or {})["tta.error.fingerprint"])) == 16
    assert tracked.error_points() == []


def test_a_plain_log_record_is_left_alone(tracked: Tracked) -> None:
    tracked.logger.warning("the lake is calm")

    (log,) = tracked.logs.get_finished_logs()
    assert "tta.error.fingerprint" not in (log.log_record.attributes or {})


def test_stopping_restores_record_exception() -> None:
    original = Span.record_exception
    tracker = ErrorTracker(ErrorSettings(), MeterProvider().get_meter("t"), LoggerProvider().get_logger("t"))

    start_error_tracking(tracker)
    assert Span.record_exception is not original
    stop_error_tracking()

    assert Span.record_exception is original


def test_a_failing_tracker_never_stops_the_exception_from_being_recorded(
    tracked: Tracked, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> str:
        raise RuntimeError("bug in the tracker")

    monkeypatch.setattr(ErrorTracker, "fingerprint", broken)

    with pytest.raises(StoryUnavailableError), tracked.tracer.start_as_current_span("GET /story"):
        deliver_scene("player-7")

    (span,) = tracked.spans.get_finished_spans()
    assert [event.name for event in span.events] == ["exception"]
    assert "tta.error.fingerprint" not in (span.events[0].attributes or {})


def test_the_log_record_carries_the_message_and_stack_trace_an_instrumentation_cleaned(tracked: Tracked) -> None:
    with tracked.tracer.start_as_current_span("MATCH Player") as span:
        try:
            deliver_scene("player-7")
        except StoryUnavailableError as exc:
            span.record_exception(
                exc, {"exception.message": "no scene for ?", "exception.stacktrace": "cleaned"}, None, True
            )

    (log,) = tracked.logs.get_finished_logs()
    attributes = dict(log.log_record.attributes or {})
    assert (attributes["exception.message"], attributes["exception.stacktrace"]) == ("no scene for ?", "cleaned")
    assert log.log_record.body == f"{__name__}.StoryUnavailableError: no scene for ?"
    (finished,) = tracked.spans.get_finished_spans()
    event = dict(finished.events[0].attributes or {})
    assert (event["exception.message"], event["exception.escaped"]) == ("no scene for ?", "True")
    assert "tta.error.fingerprint" in event
