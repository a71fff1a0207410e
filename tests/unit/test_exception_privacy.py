"""Exception messages are data: in strict mode they leave as ``[REDACTED:exception_message]``, in
span events and log records, in ``exception.message`` and in the stack trace, unless a library
of ``exceptions.allowed_packages`` or ``OSError`` wrote them. Frames stay."""

from __future__ import annotations

import traceback

from faker import Faker
from opentelemetry._logs import LogRecord
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tta_otel.error_type import error_type
from tta_otel.exporters import RedactingLogRecordExporter, RedactingSpanExporter
from tta_otel.privacy import Redactor
from tta_otel.privacy.exceptions import message_is_kept, redact_stacktrace_messages

PLACEHOLDER = "[REDACTED:exception_message]"
ResponseError = type("ResponseError", (Exception,), {"__module__": "redis.exceptions"})
AppConnectionError = type("ConnectionError", (Exception,), {"__module__": "tta.story"})


def deliver_scene(message: str, exception_type: type[BaseException] = ValueError) -> None:
    raise exception_type(message)


def narrate(first: str, second: str) -> None:
    try:
        deliver_scene(first)
    except ValueError as exc:
        raise RuntimeError(second) from exc


def caught(call: object, *args: object) -> Exception:
    try:
        call(*args)  # type: ignore[operator]
    except Exception as exc:
        return exc
    raise AssertionError("expected an exception")


def exported_event(redactor: Redactor, exception: BaseException) -> dict[str, object]:
    inner = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(RedactingSpanExporter(inner, lambda: redactor)))
    with provider.get_tracer("t").start_as_current_span("GET /scene") as span:
        span.record_exception(exception)
    (exported,) = inner.get_finished_spans()
    return dict(exported.events[0].attributes or {})


def exported_log(redactor: Redactor, exception: BaseException, body: str) -> tuple[object, dict[str, object]]:
    inner = InMemoryLogRecordExporter()
    provider = LoggerProvider()
    provider.add_log_record_processor(SimpleLogRecordProcessor(RedactingLogRecordExporter(inner, lambda: redactor)))
    provider.get_logger("t").emit(
        LogRecord(
            body=body,
            attributes={
                "exception.type": error_type(exception),
                "exception.message": str(exception),
                "exception.stacktrace": "".join(traceback.format_exception(exception)),
            },
        )
    )
    (exported,) = inner.get_finished_logs()
    return exported.log_record.body, dict(exported.log_record.attributes or {})


def test_strict_mode_replaces_the_message_of_an_application_exception(strict_redactor: Redactor, fake: Faker) -> None:
    event = exported_event(strict_redactor, caught(deliver_scene, f"no scene for {fake.name()}"))

    assert event["exception.message"] == PLACEHOLDER


def test_strict_mode_replaces_the_message_line_and_keeps_the_frames(strict_redactor: Redactor, fake: Faker) -> None:
    name = fake.name()
    event = exported_event(strict_redactor, caught(deliver_scene, f"no scene for {name}"))

    stacktrace = str(event["exception.stacktrace"])
    assert stacktrace.splitlines()[-1] == f"ValueError: {PLACEHOLDER}"
    assert ", in deliver_scene" in stacktrace
    assert name not in stacktrace


def test_every_line_of_a_multi_line_message_is_removed(strict_redactor: Redactor, fake: Faker) -> None:
    lines = [fake.sentence() for _ in range(3)]
    event = exported_event(strict_redactor, caught(deliver_scene, "\n".join(lines)))

    stacktrace = str(event["exception.stacktrace"])
    assert stacktrace.splitlines()[-1] == f"ValueError: {PLACEHOLDER}"
    assert not any(line in stacktrace for line in lines)


def test_every_message_of_a_chain_is_replaced(strict_redactor: Redactor, fake: Faker) -> None:
    first, second = fake.sentence(), fake.sentence()
    event = exported_event(strict_redactor, caught(narrate, first, second))

    lines = str(event["exception.stacktrace"]).splitlines()
    assert [line for line in lines if line.startswith(("ValueError", "RuntimeError"))] == [
        f"ValueError: {PLACEHOLDER}",
        f"RuntimeError: {PLACEHOLDER}",
    ]


def test_frames_imitated_by_a_message_are_removed(strict_redactor: Redactor, fake: Faker) -> None:
    secret = fake.name()
    message = f'bad answer\nTraceback (most recent call last):\n  File "{secret}.py", line 1, in forged\nKeyError: x'
    event = exported_event(strict_redactor, caught(deliver_scene, message))

    assert secret not in str(event["exception.stacktrace"])
    assert "forged" not in str(event["exception.stacktrace"])


def test_an_allowed_library_keeps_its_message_scanned(strict_redactor: Redactor, fake: Faker) -> None:
    email = fake.email()
    event = exported_event(strict_redactor, caught(deliver_scene, f"WRONGTYPE key of {email}", ResponseError))

    assert event["exception.message"] == "WRONGTYPE key of [REDACTED:email]"
    assert str(event["exception.stacktrace"]).splitlines()[-1] == (
        "redis.exceptions.ResponseError: WRONGTYPE key of [REDACTED:email]"
    )


def test_a_builtin_os_error_keeps_its_message_scanned(strict_redactor: Redactor, fake: Faker) -> None:
    ip = fake.ipv4_public()
    event = exported_event(
        strict_redactor, caught(deliver_scene, f"connection to {ip} refused", ConnectionRefusedError)
    )

    assert event["exception.message"] == "connection to [REDACTED:ipv4] refused"


def test_an_application_class_named_like_a_builtin_loses_its_message(strict_redactor: Redactor, fake: Faker) -> None:
    event = exported_event(strict_redactor, caught(deliver_scene, fake.sentence(), AppConnectionError))

    assert event["exception.message"] == PLACEHOLDER


def test_standard_mode_scans_the_message_as_before(redactor: Redactor, fake: Faker) -> None:
    ip = fake.ipv4_public()
    event = exported_event(redactor, caught(deliver_scene, f"bad input from {ip}"))

    assert event["exception.message"] == "bad input from [REDACTED:ipv4]"
    assert str(event["exception.stacktrace"]).splitlines()[-1] == "ValueError: bad input from [REDACTED:ipv4]"


def test_a_log_record_loses_the_message_in_its_attributes_and_body(strict_redactor: Redactor, fake: Faker) -> None:
    message = f"no scene for {fake.name()}"
    exception = caught(deliver_scene, message)

    body, attributes = exported_log(strict_redactor, exception, f"ValueError: {message}")

    assert body == f"ValueError: {PLACEHOLDER}"
    assert attributes["exception.message"] == PLACEHOLDER
    assert str(attributes["exception.stacktrace"]).splitlines()[-1] == f"ValueError: {PLACEHOLDER}"


def test_the_package_of_the_type_decides(strict_redactor: Redactor) -> None:
    allowed = strict_redactor.policy.exceptions.allowed_packages

    assert [
        message_is_kept(name, allowed)
        for name in ("redis.exceptions.ResponseError", "TimeoutError", "OSError", "ValueError", "tta.story.Error")
    ] == [True, True, True, False, False]


def raise_group(first: str, second: str) -> None:
    raise ExceptionGroup("narration failed", [caught(deliver_scene, first), caught(deliver_scene, second, KeyError)])


def test_exception_group_members_lose_their_messages(fake: Faker) -> None:
    first, second = fake.name(), fake.name()
    stacktrace = redact_stacktrace_messages("".join(traceback.format_exception(caught(raise_group, first, second))), ())

    assert first not in stacktrace
    assert second not in stacktrace
    assert [line.strip(" |") for line in stacktrace.splitlines() if PLACEHOLDER in line] == [
        f"ExceptionGroup: {PLACEHOLDER}",
        f"ValueError: {PLACEHOLDER}",
        f"KeyError: {PLACEHOLDER}",
    ]
