"""Collector-side privacy, end to end through the real collector build: a client that
sends raw OTLP with no SDK redaction (span attributes, log bodies, metric attributes full
of synthetic PII) ends up with none of it in any store, while the benign fields arrive
unchanged.

Stores: the native stack's own - Prometheus for metrics, Jaeger for traces, VictoriaLogs for
logs (Loki and Tempo run under compose only, see docs/stack.md).
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from faker import Faker
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from tests.stack.otlp_requests import send, send_counter, send_log, send_span
from tta_otel.ops.client_credentials import prometheus_auth
from tta_otel.ops.stack.runner import Stack
from tta_otel.ops.stores import JaegerClient, VictoriaLogsClient
from tta_otel.testing.processes import wait_until
from tta_otel.testing.stored import log_records_of_service, spans_of_service, stored_text

pytestmark = pytest.mark.integration
PROMETHEUS = "http://127.0.0.1:9090"


@dataclass
class Sent:
    service: str
    trace_id: bytes
    secrets: dict[str, str]
    player_id: str


def _series(service: str) -> list[dict[str, str]]:
    response = httpx.get(
        f"{PROMETHEUS}/api/v1/series", auth=prometheus_auth(), params={"match[]": f'{{service_name="{service}"}}'}
    )
    return list(response.json()["data"])


@pytest.fixture(scope="module")
def sent(stack: Stack, trace_store: JaegerClient, log_store: VictoriaLogsClient) -> Sent:
    fake = Faker()
    fake.seed_instance(7)
    service = f"raw-client-{os.getpid()}"
    secrets = {
        "email": fake.email(),
        "phone": fake.numerify("+44 20 7946 ####"),
        "card": fake.credit_card_number("mastercard"),
        "ssn": fake.ssn(),
        "ip": fake.ipv4_public(),
        "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGF5ZXIifQ." + fake.sha1(),
        "name": fake.name(),
        "prompt": f"I feel {fake.word()} and {fake.sentence()}",
    }
    player_id = fake.uuid4()
    trace_id = bytes.fromhex(fake.hexify("^" * 32))
    send_span(
        service,
        trace_id,
        "GET /players/{player_id}/scene",
        {
            "http.route": "/players/{player_id}/scene",
            "http.response.status_code": 200,
            "client.address": secrets["ip"],
            "contact": f"mail {secrets['email']} or call {secrets['phone']}",
            "user.name": secrets["name"],
            "player.id": player_id,
            "gen_ai.prompt": secrets["prompt"],
        },
    )
    send_log(
        service,
        trace_id,
        f"payment by card {secrets['card']} failed for ssn {secrets['ssn']}, token {secrets['jwt']}",
        {"code.function.name": "charge", "user.email": secrets["email"]},
    )
    send_counter(
        service,
        "tta.raw.probe",
        3,
        {"http.route": "/scene", "client": secrets["ip"], "owner": secrets["email"], "tta.player.input": "help"},
    )
    assert wait_until(lambda: bool(spans_of_service(trace_store, service)), timeout=30)
    assert wait_until(lambda: bool(log_records_of_service(log_store, service)), timeout=30)
    assert wait_until(lambda: bool(_series(service)), timeout=30)
    return Sent(service, trace_id, secrets, player_id)


def _stored(trace_store: JaegerClient, log_store: VictoriaLogsClient, sent: Sent) -> str:
    return stored_text(
        [
            spans_of_service(trace_store, sent.service),
            log_records_of_service(log_store, sent.service),
            _series(sent.service),
        ]
    )


def test_no_planted_value_reaches_any_store(
    trace_store: JaegerClient, log_store: VictoriaLogsClient, sent: Sent
) -> None:
    stored = _stored(trace_store, log_store, sent)
    assert [name for name, value in sent.secrets.items() if value in stored] == []
    assert sent.player_id not in stored


def test_benign_fields_arrive_unchanged(trace_store: JaegerClient, log_store: VictoriaLogsClient, sent: Sent) -> None:
    stored = _stored(trace_store, log_store, sent)
    assert "/players/{player_id}/scene" in stored
    assert '"code.function.name"' in stored
    (series,) = [s for s in _series(sent.service) if s["__name__"].startswith("tta_raw_probe")]
    assert series["http_route"] == "/scene"
    assert series["tta_component"] == "raw-client"
    assert "tta_player_input" not in series


def test_identifiers_are_pseudonymised_not_dropped(trace_store: JaegerClient, sent: Sent) -> None:
    (span,) = spans_of_service(trace_store, sent.service)
    attributes = {tag["key"]: tag["value"] for tag in span["tags"]}
    assert attributes["player.id"] != sent.player_id
    assert re.fullmatch(r"psn_[A-Za-z0-9-]+_[0-9a-f]{16}", attributes["player.id"])  # as the SDK writes them
    assert "gen_ai.prompt" not in attributes


def test_the_log_keeps_its_trace_id(log_store: VictoriaLogsClient, sent: Sent) -> None:
    trace_ids = {record["trace_id"] for record in log_records_of_service(log_store, sent.service)}
    assert trace_ids == {sent.trace_id.hex()}


# Every field, raw: nested bodies, lists, bytes, event names, status messages, span events.
def _any(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, bytes):
        return AnyValue(bytes_value=value)
    if isinstance(value, dict):
        return AnyValue(kvlist_value=KeyValueList(values=_kv(value)))
    if isinstance(value, list):
        return AnyValue(array_value=ArrayValue(values=[_any(item) for item in value]))
    return AnyValue(string_value=str(value))


def _kv(attributes: dict[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=key, value=_any(value)) for key, value in attributes.items()]


def send_everywhere(service: str, secret: str, benign: dict[str, Any], free_text: bool = True) -> None:
    """``secret`` under listed and unlisted keys (nested in bodies too) and, when a value pattern
    can find it, in every keyless place: free-text fields, map keys from data, bare list items.
    Names, addresses and identifiers are found by their keys only (as in-process), so for them
    ``free_text`` is False; ``benign`` are allowed keys."""
    text = secret if free_text else "-"
    now = time.time_ns()
    trace_id = os.urandom(16)
    resource = Resource(attributes=_kv({"service.name": service, "owner": secret, "user.name": secret}))
    attributes = {
        **benign,
        "contact": secret,
        "exception.message": f"x {text} y",
        "tags": [secret],
        "user.id": secret,
    }
    span = Span(
        trace_id=trace_id,
        span_id=trace_id[:8],
        name=f"GET {text}",
        start_time_unix_nano=now - 1000,
        end_time_unix_nano=now,
        attributes=_kv(attributes),
        status=Status(code=Status.STATUS_CODE_ERROR, message=f"failed: {text}"),
        events=[Span.Event(time_unix_nano=now, name=f"event {text}", attributes=_kv(attributes))],
    )
    spans = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=resource, scope_spans=[ScopeSpans(spans=[span])])]
    )
    bodies: list[Any] = [
        f"free text {text}",
        {"message": secret, "user": {"address": {"street": secret}, "id": secret}, text: 1, "list": [secret]},
        [text, {"note": secret}],
        secret.encode(),
    ]
    records = [
        LogRecord(time_unix_nano=now, body=_any(body), event_name=f"e {text}", attributes=_kv(attributes))
        for body in bodies
    ]
    logs = ExportLogsServiceRequest(
        resource_logs=[ResourceLogs(resource=resource, scope_logs=[ScopeLogs(log_records=records)])]
    )
    send("/v1/traces", spans)
    send("/v1/logs", logs)


def stored_lines(trace_store: JaegerClient, log_store: VictoriaLogsClient, service: str, records: int = 4) -> str:
    """What Jaeger and VictoriaLogs hold of the service, once its span and all its log records arrived."""
    assert wait_until(lambda: bool(spans_of_service(trace_store, service)), timeout=30)
    assert wait_until(lambda: len(log_records_of_service(log_store, service)) >= records, timeout=30)
    return stored_text([spans_of_service(trace_store, service), log_records_of_service(log_store, service)])


@pytest.mark.parametrize("kind", ["email", "phone", "name", "address", "api_key", "player_id"])
def test_no_planted_value_in_any_field(
    stack: Stack, trace_store: JaegerClient, log_store: VictoriaLogsClient, kind: str
) -> None:
    fake = Faker()
    fake.seed_instance(kind)
    secret = {
        "email": fake.email(),
        "phone": fake.numerify("+44 20 7946 ####"),
        "name": fake.name(),
        "address": fake.street_address(),
        "api_key": "sk_live_" + fake.pystr(min_chars=24, max_chars=24),
        "player_id": fake.uuid4(),
    }[kind]
    service = f"everywhere-{kind}-{os.getpid()}"
    send_everywhere(
        service,
        secret,
        {"http.route": "/scene", "http.response.status_code": 200},
        kind in {"email", "phone", "api_key"},
    )
    stored = stored_lines(trace_store, log_store, service)
    assert secret not in stored
    assert json.dumps(secret)[1:-1] not in stored
    assert '"/scene"' in stored and '"200"' in stored


def test_a_body_that_cannot_be_scanned_never_leaves_as_sent(
    stack: Stack, trace_store: JaegerClient, log_store: VictoriaLogsClient
) -> None:
    service = f"bytes-{os.getpid()}"
    send_everywhere(service, "jane.roe@example.org", {"http.route": "/b"})
    stored = stored_lines(trace_store, log_store, service)
    assert "[REDACTED:bytes]" in stored
    assert base64.b64encode(b"jane.roe@example.org").decode() not in stored
