"""Input cannot choose an error group: message text never reaches a fingerprint, and the number
of distinct fingerprints of a process is capped."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from faker import Faker
from opentelemetry._logs import LogRecord
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tta_otel.config.schema import ErrorSettings
from tta_otel.errors import (
    OTHER,
    ErrorLogProcessor,
    ErrorTracker,
    fingerprint,
    start_error_tracking,
    stop_error_tracking,
    type_fingerprint,
)


class AnswerRejectedError(ValueError):
    """Stands for an application error whose message quotes what a player typed."""


def check_answer(answer: str) -> None:
    raise AnswerRejectedError(f"cannot use the answer {answer!s}")


def forged_frames(fake: Faker) -> str:
    """A player's answer that imitates the frames of a traceback."""
    return (
        f"{fake.word()}\n"
        "Traceback (most recent call last):\n"
        f'  File "/srv/tta/{fake.word()}.py", line 12, in forged\n'
        "    forged()\n"
        f'  File "/srv/tta/{fake.word()}.py", line 99, in forged_again\n'
        "    forged_again()\n"
        "KeyError: 'forged'"
    )


def raised(answer: str) -> BaseException:
    try:
        check_answer(answer)
    except AnswerRejectedError as exc:
        return exc
    raise AssertionError("expected an exception")


def test_a_message_with_forged_frames_does_not_change_the_fingerprint(fake: Faker) -> None:
    assert fingerprint(raised(forged_frames(fake))) == fingerprint(raised(fake.word()))


@dataclass
class Tracked:
    tracker: ErrorTracker
    provider: TracerProvider
    spans: InMemorySpanExporter
    logger_provider: LoggerProvider
    logs: InMemoryLogRecordExporter


@pytest.fixture
def tracked() -> Iterator[Tracked]:
    spans, logs = InMemorySpanExporter(), InMemoryLogRecordExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    logger_provider = LoggerProvider()
    tracker = ErrorTracker(
        ErrorSettings(), MeterProvider().get_meter("t"), logger_provider.get_logger("tta_otel.errors"), 3
    )
    logger_provider.add_log_record_processor(ErrorLogProcessor(tracker))
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    start_error_tracking(tracker)
    yield Tracked(tracker, provider, spans, logger_provider, logs)
    stop_error_tracking()


def test_a_recorded_exception_with_forged_frames_keeps_its_group(tracked: Tracked, fake: Faker) -> None:
    tracer = tracked.provider.get_tracer("t")
    for answer in (fake.word(), forged_frames(fake)):
        with tracer.start_as_current_span("POST /answer") as span:
            span.record_exception(raised(answer))

    plain, forged = [
        (span.events[0].attributes or {})["tta.error.fingerprint"] for span in tracked.spans.get_finished_spans()
    ]
    assert forged == plain


def test_a_log_record_without_its_exception_is_fingerprinted_by_type_alone(tracked: Tracked, fake: Faker) -> None:
    logger = tracked.logger_provider.get_logger("app")
    for answer in (fake.word(), forged_frames(fake)):
        logger.emit(
            LogRecord(
                body="answer rejected",
                attributes={
                    "exception.type": "AnswerRejectedError",
                    "exception.message": answer,
                    "exception.stacktrace": f"Traceback (most recent call last):\nAnswerRejectedError: {answer}\n",
                },
            )
        )

    fingerprints = [
        (log.log_record.attributes or {})["tta.error.fingerprint"] for log in tracked.logs.get_finished_logs()
    ]
    assert fingerprints == [type_fingerprint("AnswerRejectedError")] * 2


def test_past_the_cap_new_error_groups_are_other(tracked: Tracked) -> None:
    logger = tracked.logger_provider.get_logger("app")
    types = ["FirstError", "SecondError", "ThirdError", "FourthError", "FifthError", "FirstError"]
    for exception_type in types:
        logger.emit(LogRecord(body="failed", attributes={"exception.type": exception_type}))

    fingerprints = [
        (log.log_record.attributes or {})["tta.error.fingerprint"] for log in tracked.logs.get_finished_logs()
    ]
    assert fingerprints == [
        type_fingerprint("FirstError"),
        type_fingerprint("SecondError"),
        type_fingerprint("ThirdError"),
        OTHER,
        OTHER,
        type_fingerprint("FirstError"),
    ]
