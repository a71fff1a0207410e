"""Specification: an exporter that raises is counted and logged, once per signal and interval."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pytest
from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from tta_otel.exporters import RedactingLogRecordExporter, RedactingSpanExporter
from tta_otel.exporters._shared import RAISED_LOG_INTERVAL_S, DropCounter
from tta_otel.privacy import Redactor


class _RaisingSpans(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        raise ConnectionError("collector gone")


class _RaisingLogs(LogRecordExporter):
    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        raise ConnectionError("collector gone")

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _span() -> ReadableSpan:
    span = TracerProvider().get_tracer("t").start_span("s")
    span.end()
    return span  # type: ignore[return-value]


def _raised_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "tta_otel.exporters" and "raised" in record.message]


@pytest.fixture
def spans(redactor: Redactor) -> tuple[RedactingSpanExporter, _Clock]:
    clock = _Clock()
    exporter = RedactingSpanExporter(_RaisingSpans(), lambda: redactor)
    exporter.drops = DropCounter("spans", clock=clock)
    return exporter, clock


def test_the_first_exception_is_logged_with_its_traceback(
    spans: tuple[RedactingSpanExporter, _Clock], caplog: pytest.LogCaptureFixture
) -> None:
    exporter, _ = spans
    with caplog.at_level(logging.WARNING, logger="tta_otel.exporters"):
        assert exporter.export([_span(), _span()]) is SpanExportResult.FAILURE
    (line,) = _raised_lines(caplog)
    assert line.levelno == logging.WARNING
    assert line.getMessage() == "The spans exporter raised; 2 items dropped (logged at most once every 60 s)"
    assert line.exc_info is not None and isinstance(line.exc_info[1], ConnectionError)


def test_every_raised_batch_is_counted(spans: tuple[RedactingSpanExporter, _Clock]) -> None:
    exporter, _ = spans
    exporter.export([_span()])
    exporter.export([_span(), _span()])
    assert exporter.drops.counts == {"redaction_failed": 0, "export_failed": 3}


def test_a_second_exception_within_the_interval_is_not_logged(
    spans: tuple[RedactingSpanExporter, _Clock], caplog: pytest.LogCaptureFixture
) -> None:
    exporter, clock = spans
    with caplog.at_level(logging.WARNING, logger="tta_otel.exporters"):
        exporter.export([_span()])
        clock.now += RAISED_LOG_INTERVAL_S - 1
        exporter.export([_span()])
    assert len(_raised_lines(caplog)) == 1


def test_an_exception_after_the_interval_is_logged_again(
    spans: tuple[RedactingSpanExporter, _Clock], caplog: pytest.LogCaptureFixture
) -> None:
    exporter, clock = spans
    with caplog.at_level(logging.WARNING, logger="tta_otel.exporters"):
        exporter.export([_span()])
        clock.now += RAISED_LOG_INTERVAL_S
        exporter.export([_span()])
    assert len(_raised_lines(caplog)) == 2


def test_each_signal_is_logged_on_its_own(
    spans: tuple[RedactingSpanExporter, _Clock], redactor: Redactor, caplog: pytest.LogCaptureFixture
) -> None:
    span_exporter, _ = spans
    log_exporter = RedactingLogRecordExporter(_RaisingLogs(), lambda: redactor)
    with caplog.at_level(logging.WARNING, logger="tta_otel.exporters"):
        span_exporter.export([_span()])
        assert log_exporter.export([]) is LogRecordExportResult.FAILURE
    assert [line.getMessage().split(" exporter")[0] for line in _raised_lines(caplog)] == ["The spans", "The logs"]
