"""Reading back what a service sent, against fake stores that answer as Jaeger and VictoriaLogs do
(the real stores answer in tests/stack/)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tta_otel.testing.stored import (
    log_records_of_service,
    log_records_of_trace,
    planted_in,
    spans_of_service,
    spans_of_trace,
    stored_text,
)

PLAYER_API = {"serviceName": "tta-player-api", "tags": [{"key": "service.instance.id", "value": "i-1"}]}
REDIS = {"serviceName": "redis-proxy", "tags": []}
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"


def _trace(trace_id: str) -> dict[str, Any]:
    """A trace as Jaeger's query API answers it: the player API's request and its Redis call."""
    return {
        "traceID": trace_id,
        "spans": [
            {"traceID": trace_id, "spanID": "1", "operationName": "GET /scene", "processID": "p1"},
            {"traceID": trace_id, "spanID": "2", "operationName": "GET", "processID": "p2"},
        ],
        "processes": {"p1": PLAYER_API, "p2": REDIS},
    }


TRACE = _trace(TRACE_ID)


class FakeJaeger:
    def __init__(self, traces: list[dict[str, Any]]) -> None:
        self.traces = traces
        self.asked: list[tuple[str, dict[str, str], str, int]] = []

    def trace(self, trace_id: str) -> dict[str, Any] | None:
        return next((trace for trace in self.traces if trace["traceID"] == trace_id), None)

    def find(
        self, service: str, tags: Mapping[str, str], lookback: str = "1h", limit: int = 20
    ) -> list[dict[str, Any]]:
        self.asked.append((service, dict(tags), lookback, limit))
        return self.traces


class FakeVictoriaLogs:
    def __init__(self) -> None:
        self.asked: list[tuple[str, int]] = []

    def query(self, logsql: str, limit: int = 100) -> list[dict[str, Any]]:
        self.asked.append((logsql, limit))
        return [{"_msg": "reached scene", "trace_id": "ab"}]


def test_a_traces_spans_come_with_their_process_inlined() -> None:
    assert spans_of_trace(FakeJaeger([TRACE]), TRACE_ID) == [
        {"traceID": TRACE_ID, "spanID": "1", "operationName": "GET /scene", "processID": "p1", "process": PLAYER_API},
        {"traceID": TRACE_ID, "spanID": "2", "operationName": "GET", "processID": "p2", "process": REDIS},
    ]


def test_a_span_has_the_32_hex_digit_trace_id_where_jaeger_drops_leading_zeros() -> None:
    jaeger = FakeJaeger([_trace(TRACE_ID.lstrip("0"))])

    assert {span["traceID"] for span in spans_of_trace(jaeger, TRACE_ID.lstrip("0"))} == {TRACE_ID}


def test_a_trace_the_store_does_not_have_has_no_spans() -> None:
    assert spans_of_trace(FakeJaeger([]), "cd") == []


def test_a_services_spans_leave_out_the_other_services_in_its_traces() -> None:
    spans = spans_of_service(FakeJaeger([TRACE]), "tta-player-api")

    assert [span["spanID"] for span in spans] == ["1"]


def test_a_services_spans_are_searched_by_its_name_instance_and_tags_in_the_last_hour() -> None:
    jaeger = FakeJaeger([])

    spans_of_service(jaeger, "tta-player-api", "i-1", {"http.route": "/scene"}, limit=5)

    assert jaeger.asked == [("tta-player-api", {"service.instance.id": "i-1", "http.route": "/scene"}, "1h", 5)]


def test_a_services_log_records_are_selected_by_its_exact_name() -> None:
    logs = FakeVictoriaLogs()

    records = log_records_of_service(logs, 'auth "test"')

    assert records == [{"_msg": "reached scene", "trace_id": "ab"}]
    assert logs.asked == [('service.name:="auth \\"test\\""', 10000)]


def test_an_instances_log_records_are_selected_by_service_and_instance() -> None:
    logs = FakeVictoriaLogs()

    log_records_of_service(logs, "tta-player-api", "i-1", limit=7)

    assert logs.asked == [('service.name:="tta-player-api" AND service.instance.id:="i-1"', 7)]


def test_a_traces_log_records_are_selected_by_its_trace_id() -> None:
    logs = FakeVictoriaLogs()

    log_records_of_trace(logs, "0af7651916cd43dd8448eb211c80319c", limit=50)

    assert logs.asked == [('trace_id:="0af7651916cd43dd8448eb211c80319c"', 50)]


def test_the_stored_text_keeps_non_ascii_characters_as_they_are() -> None:
    assert stored_text([{"_msg": "José"}]) == '[{"_msg": "José"}]'


def test_a_planted_value_is_found_as_json_escapes_it() -> None:
    text = stored_text([{"_msg": 'said "hi"\nto 12 Rue de la Paix'}])

    assert planted_in(text, {"quote": 'said "hi"', "address": 'hi"\nto 12', "absent": "Zoë"}) == [
        "address",
        "quote",
    ]
