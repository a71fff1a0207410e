"""A log record's template is code, its arguments are data: in strict mode an argument that is not
safe-shaped leaves as ``[REDACTED:arg]``, at the OTel handler only."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from faker import Faker
from opentelemetry.instrumentation.logging.handler import LoggingHandler
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor

from tta_otel.exporters import RedactingLogRecordExporter
from tta_otel.log_privacy import install_log_privacy, is_safe_shaped, uninstall_log_privacy
from tta_otel.privacy import Redactor, set_active_redactor


class Remembering(logging.Handler):
    """Stands for the console: keeps the messages it renders."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@dataclass
class Logged:
    logger: logging.Logger
    exported: InMemoryLogRecordExporter
    console: Remembering

    def bodies(self) -> list[object]:
        return [log.log_record.body for log in self.exported.get_finished_logs()]


def _logged(redactor: Redactor) -> Iterator[Logged]:
    set_active_redactor(redactor)
    exported = InMemoryLogRecordExporter()
    provider = LoggerProvider()
    provider.add_log_record_processor(SimpleLogRecordProcessor(RedactingLogRecordExporter(exported, lambda: redactor)))
    logger = logging.getLogger("tta.test.arguments")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler, console = LoggingHandler(logger_provider=provider), Remembering()
    logger.addHandler(handler)
    logger.addHandler(console)
    install_log_privacy()
    try:
        yield Logged(logger, exported, console)
    finally:
        uninstall_log_privacy()
        logger.removeHandler(handler)
        logger.removeHandler(console)


@pytest.fixture
def strict(strict_redactor: Redactor) -> Iterator[Logged]:
    yield from _logged(strict_redactor)


@pytest.fixture
def standard(redactor: Redactor) -> Iterator[Logged]:
    yield from _logged(redactor)


def test_a_sentence_argument_is_replaced(strict: Logged, fake: Faker) -> None:
    strict.logger.info("player wrote %s", fake.sentence())

    assert strict.bodies() == ["player wrote [REDACTED:arg]"]


def test_the_console_sees_the_original_record(strict: Logged, fake: Faker) -> None:
    sentence = fake.sentence()
    strict.logger.info("player wrote %s", sentence)

    assert strict.console.messages == [f"player wrote {sentence}"]


def test_safe_shaped_arguments_are_kept(strict: Logged, fake: Faker) -> None:
    values = (42, 0.5, fake.uuid4(), fake.hexify("^" * 16), "2026-11-26T10:15:00+01:00", "scene-17", "chapter_2:start")
    strict.logger.info("%s %s %s %s %s %s %s", *values)

    assert strict.bodies() == [" ".join(str(value) for value in values)]


def test_an_argument_is_judged_by_its_shape_alone_on_the_logging_thread(strict: Logged, fake: Faker) -> None:
    strict.logger.info("mail from %s", fake.email())

    assert strict.bodies() == ["mail from [REDACTED:arg]"]


def test_a_safe_shaped_argument_is_still_scanned(strict: Logged, fake: Faker) -> None:
    strict.logger.info("paid with %s", fake.credit_card_number("visa16"))

    assert strict.bodies() == ["paid with [REDACTED:payment_card]"]


def test_mapping_arguments_are_replaced_by_name(strict: Logged, fake: Faker) -> None:
    strict.logger.info("%(player)s wrote %(text)s", {"player": "player-7", "text": fake.sentence()})

    assert strict.bodies() == ["player-7 wrote [REDACTED:arg]"]


def test_an_argument_that_no_longer_fits_its_conversion_leaves_the_template(strict: Logged, fake: Faker) -> None:
    class Visits:
        def __str__(self) -> str:
            return fake.sentence()

        def __int__(self) -> int:
            return 3

        __index__ = __int__

    strict.logger.info("visits: %d", Visits())

    assert strict.bodies() == ["visits: %d"]


def test_standard_mode_renders_arguments_for_the_value_patterns(standard: Logged, fake: Faker) -> None:
    sentence = fake.sentence()
    standard.logger.info("player wrote %s", sentence)

    assert standard.bodies() == [f"player wrote {sentence}"]


def test_an_f_string_is_all_template_and_keeps_its_values(strict: Logged, fake: Faker) -> None:
    """f-strings lose the argument protection: only the value patterns apply."""
    sentence = fake.sentence()
    strict.logger.info(f"player wrote {sentence}")

    assert strict.bodies() == [f"player wrote {sentence}"]


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("12345", True),
        ("-3.5e2", True),
        ("0b6e3a1c-6c2f-4a55-9f0e-1d2c3b4a5f60", True),
        ("2026-11-26 10:15:00", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("two words", False),
        ("jane@example.org", False),
    ],
)
def test_safe_shapes(text: str, safe: bool) -> None:
    assert is_safe_shaped(text) is safe
