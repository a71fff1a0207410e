"""``tta-otel errors`` with example log lines: how the report asks the log store, how it prints the
example, and that a log store that cannot answer leaves the report printed with a note (the real
pipeline is in tests/stack/test_error_examples.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from faker import Faker

from tta_otel.ops.cli import errors_command
from tta_otel.ops.cli.log_store_arguments import default_log_store
from tta_otel.ops.cli.main import main
from tta_otel.ops.reports.errors import ErrorGroup, with_log_examples
from tta_otel.ops.reports.errors_render import to_json, to_table
from tta_otel.ops.stores import LogExample
from tta_otel.testing.processes import free_port

END = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)


def _group(fake: Faker, example: LogExample | None = None) -> ErrorGroup:
    return ErrorGroup(
        fingerprint=fake.hexify("^" * 16),
        error_type="RuntimeError",
        component="narrator",
        critical=False,
        count=3,
        previous_count=0,
        first_seen="2026-11-30T03:10:00+00:00",
        last_seen="2026-11-30T03:50:00+00:00",
        example_trace_id=fake.hexify("^" * 32),
        resolved_at=None,
        regressed=False,
        example=example,
    )


def _example(fake: Faker) -> LogExample:
    return LogExample("RuntimeError: [REDACTED:exception_message]", fake.hexify("^" * 32), "2026-11-30T03:50:00Z")


class RecordingStore:
    """A ``LogStore`` that answers ``answer`` and keeps each question."""

    def __init__(self, answer: LogExample | None) -> None:
        self.answer = answer
        self.asked: list[tuple[Any, ...]] = []

    def example(
        self, fingerprint: str, component: str, start: datetime, end: datetime, environment: str | None = None
    ) -> LogExample | None:
        self.asked.append((fingerprint, component, start, end, environment))
        return self.answer


def test_the_store_is_asked_for_each_group_over_the_period(fake: Faker) -> None:
    group = _group(fake)
    store = RecordingStore(None)

    with_log_examples([group], store, timedelta(hours=1), END, "staging")

    assert store.asked == [(group.fingerprint, "narrator", END - timedelta(hours=1), END, "staging")]


def test_each_group_gets_the_stores_example(fake: Faker) -> None:
    example = _example(fake)

    (group,) = with_log_examples([_group(fake)], RecordingStore(example), timedelta(hours=1), END)

    assert group.example == example


def test_the_table_shows_the_example_and_its_trace_under_its_group(fake: Faker) -> None:
    example = _example(fake)
    group = _group(fake, example)

    assert to_table([group]).splitlines()[2] == (
        f"{'':18}example: RuntimeError: [REDACTED:exception_message]  (trace {example.trace_id})"
    )


def test_a_group_without_example_is_one_row(fake: Faker) -> None:
    group = _group(fake)

    assert to_table([group]).splitlines()[1:] == [
        f"{group.fingerprint}       3     new  2026-11-30T03:50:00+00:00         narrator        RuntimeError  "
        f"trace {group.example_trace_id}"
    ]


def test_the_json_carries_the_example(fake: Faker) -> None:
    example = _example(fake)

    (printed,) = json.loads(to_json([_group(fake, example)]))

    assert printed["example"] == {"line": example.line, "trace_id": example.trace_id, "time": example.time}


def test_an_unreachable_log_store_leaves_the_report_printed_with_a_note(
    fake: Faker, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    group = _group(fake)
    monkeypatch.setattr(errors_command, "list_error_groups", lambda *args, **kwargs: [group])
    url = f"http://127.0.0.1:{free_port()}"

    code = main(["errors", "--log-store", "victorialogs", "--log-store-url", url])

    captured = capsys.readouterr()
    assert code == 0
    assert captured.out.splitlines()[1].startswith(group.fingerprint)
    assert captured.err.startswith(
        "note: no example log lines: VictoriaLogs (TTA_VICTORIALOGS_URL, TTA_VICTORIALOGS_CREDENTIALS_FILE) "
        f"at {url}/select/logsql/query cannot be reached"
    )


@pytest.mark.parametrize(
    ("variables", "store"),
    [
        ({"TTA_VICTORIALOGS_URL": "http://127.0.0.1:9428", "TTA_LOKI_URL": "http://loki:3100"}, "victorialogs"),
        ({"TTA_LOKI_URL": "http://loki:3100"}, "loki"),
        ({}, "none"),
    ],
)
def test_the_default_log_store_follows_the_environment(
    variables: dict[str, str], store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TTA_VICTORIALOGS_URL", "TTA_LOKI_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)

    assert default_log_store() == store
