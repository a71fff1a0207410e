"""The log stores' answer to ``LogStore.example``: the query each builds, the request it sends and
how it reads the answer. A stand-in HTTP server records the request and answers with the shape
each store documents (VictoriaLogs: one JSON record a line; Loki: a ``query_range`` streams
result, structured metadata among the stream's labels); the real VictoriaLogs answers in
tests/stack/test_error_examples.py, Loki only under docker compose."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from faker import Faker

from tta_otel.ops.stores import LogExample, LokiClient, VictoriaLogsClient, loki, victorialogs
from tta_otel.ops.stores.log_store import one_line

START = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
END = START + timedelta(hours=1)


@dataclass
class StandIn:
    """An HTTP server that answers ``body`` to every GET and keeps what it was asked."""

    body: str = ""
    paths: list[str] = field(default_factory=list)
    params: list[dict[str, str]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    recorded = StandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            recorded.paths.append(parts.path)
            recorded.params.append({key: values[0] for key, values in parse_qs(parts.query).items()})
            recorded.headers.append(dict(self.headers))
            payload = recorded.body.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests read what was asked, not the server's log."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    recorded.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield recorded
    server.shutdown()
    server.server_close()


@dataclass(frozen=True)
class Group:
    fingerprint: str
    component: str
    environment: str
    trace_id: str
    line: str


@pytest.fixture
def group(fake: Faker) -> Group:
    return Group(
        fingerprint=fake.hexify("^" * 16),
        component=fake.word(),
        environment=fake.slug(),
        trace_id=fake.hexify("^" * 32),
        line=f"RuntimeError: {fake.sentence()}",
    )


def test_the_logsql_selects_the_groups_newest_record_in_the_window(group: Group) -> None:
    query = victorialogs.error_example_query(group.fingerprint, group.component, START, END, group.environment)

    assert query == (
        f'_time:[2026-11-30T03:00:00Z, 2026-11-30T04:00:00Z] tta.error.fingerprint:="{group.fingerprint}" '
        f'tta.component:="{group.component}" deployment.environment.name:="{group.environment}" '
        "| sort by (_time desc) | limit 1 | fields _time, _msg, trace_id"
    )


def test_the_logsql_of_a_group_without_component_or_environment_filters_by_fingerprint_only(group: Group) -> None:
    query = victorialogs.error_example_query(group.fingerprint, "", START, END)

    assert query == (
        f'_time:[2026-11-30T03:00:00Z, 2026-11-30T04:00:00Z] tta.error.fingerprint:="{group.fingerprint}" '
        "| sort by (_time desc) | limit 1 | fields _time, _msg, trace_id"
    )


def test_a_quote_in_a_value_stays_inside_its_logsql_string() -> None:
    query = victorialogs.error_example_query('a" OR *', "", START, END)

    assert 'tta.error.fingerprint:="a\\" OR *"' in query


def test_victorialogs_is_asked_for_one_record(stand_in: StandIn, group: Group) -> None:
    VictoriaLogsClient(stand_in.url).example(group.fingerprint, group.component, START, END)

    assert stand_in.paths == ["/select/logsql/query"]
    assert stand_in.params == [
        {"query": victorialogs.error_example_query(group.fingerprint, group.component, START, END), "limit": "1"}
    ]


def test_the_victorialogs_example_is_the_records_message_and_trace_id(stand_in: StandIn, group: Group) -> None:
    stand_in.body = json.dumps({"_time": "2026-11-30T03:39:58.2549Z", "_msg": group.line, "trace_id": group.trace_id})

    example = VictoriaLogsClient(stand_in.url).example(group.fingerprint, group.component, START, END)

    assert example == LogExample(group.line, group.trace_id, "2026-11-30T03:39:58.2549Z")


def test_victorialogs_without_a_record_gives_no_example(stand_in: StandIn, group: Group) -> None:
    assert VictoriaLogsClient(stand_in.url).example(group.fingerprint, group.component, START, END) is None


def test_the_logql_selects_streams_by_their_labels_then_filters_by_fingerprint(group: Group) -> None:
    query = loki.error_example_query(group.fingerprint, group.component, group.environment)

    assert query == (
        f'{{tta_component="{group.component}", deployment_environment_name="{group.environment}"}} '
        f'| tta_error_fingerprint="{group.fingerprint}"'
    )


def test_the_logql_of_a_group_without_labels_selects_every_service(group: Group) -> None:
    assert loki.error_example_query(group.fingerprint, "") == (
        f'{{service_name=~".+"}} | tta_error_fingerprint="{group.fingerprint}"'
    )


def test_loki_is_asked_as_the_tenant_for_the_newest_entry_in_the_window(stand_in: StandIn, group: Group) -> None:
    stand_in.body = json.dumps({"status": "success", "data": {"resultType": "streams", "result": []}})

    LokiClient(stand_in.url, "tta.dev").example(group.fingerprint, group.component, START, END)

    assert stand_in.paths == ["/loki/api/v1/query_range"]
    assert stand_in.params == [
        {
            "query": loki.error_example_query(group.fingerprint, group.component),
            "start": "1796007600000000000",
            "end": "1796011200000000000",
            "limit": "1",
            "direction": "backward",
        }
    ]
    assert stand_in.headers[0]["X-Scope-OrgID"] == "tta.dev"


def _stream(labels: dict[str, str], *values: tuple[str, str]) -> dict[str, Any]:
    return {"stream": labels, "values": [list(value) for value in values]}


def test_the_loki_example_is_the_newest_entry_of_all_streams_with_its_trace_id(
    stand_in: StandIn, group: Group, fake: Faker
) -> None:
    older = {"tta_component": group.component, "trace_id": fake.hexify("^" * 32)}
    newer = {"tta_component": group.component, "trace_id": group.trace_id}
    result = [
        _stream(older, ("1796009000000000000", f"ValueError: {fake.sentence()}")),
        _stream(newer, ("1796010000000000000", group.line)),
    ]
    stand_in.body = json.dumps({"status": "success", "data": {"resultType": "streams", "result": result}})

    example = LokiClient(stand_in.url).example(group.fingerprint, group.component, START, END)

    assert example == LogExample(group.line, group.trace_id, "2026-11-30T03:40:00+00:00")


def test_loki_without_entries_gives_no_example(stand_in: StandIn, group: Group) -> None:
    stand_in.body = json.dumps({"status": "success", "data": {"resultType": "streams", "result": []}})

    assert LokiClient(stand_in.url).example(group.fingerprint, group.component, START, END) is None


def test_an_example_is_one_line_cut_to_its_width() -> None:
    assert one_line("RuntimeError: the engine\n  crashed\tagain", width=30) == "RuntimeError: the engine cras…"


def test_an_examples_control_characters_are_replaced() -> None:
    assert one_line("ValueError: \x1b[2Jgone\x07") == "ValueError: ?[2Jgone?"
