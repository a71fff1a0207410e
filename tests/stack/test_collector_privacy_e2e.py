"""Collector-side privacy, end to end through the real collector build: a client that
sends raw OTLP with no SDK redaction (span attributes, log bodies, metric attributes full
of synthetic PII) ends up with none of it in any store, while the benign fields arrive
unchanged.

Stores: Prometheus for metrics; for logs and traces, the collector's file exporter in
the native stack, because Loki and Tempo cannot be built here (see docs/stack.md).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from faker import Faker

from tests.stack.otlp_requests import send_counter, send_log, send_span
from tta_otel.ops.stack.runner import Stack
from tta_otel.testing.collector_files import documents
from tta_otel.testing.processes import wait_until

pytestmark = pytest.mark.integration
PROMETHEUS = "http://127.0.0.1:9090"


@dataclass
class Sent:
    service: str
    trace_id: bytes
    secrets: dict[str, str]
    player_id: str


def _file(stack: Stack, name: str) -> Path:
    return stack.state_dir / "otel-collector" / name


def _series(service: str) -> list[dict[str, str]]:
    response = httpx.get(f"{PROMETHEUS}/api/v1/series", params={"match[]": f'{{service_name="{service}"}}'})
    return list(response.json()["data"])


@pytest.fixture(scope="module")
def sent(stack: Stack) -> Sent:
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
    assert wait_until(lambda: service in _file(stack, "traces.jsonl").read_text(), timeout=30)
    assert wait_until(lambda: service in _file(stack, "logs.jsonl").read_text(), timeout=30)
    assert wait_until(lambda: bool(_series(service)), timeout=30)
    return Sent(service, trace_id, secrets, player_id)


def _stored(stack: Stack, sent: Sent) -> str:
    lines = [
        line
        for name in ("traces.jsonl", "logs.jsonl")
        for line in _file(stack, name).read_text().splitlines()
        if sent.service in line
    ]
    return "\n".join(lines) + json.dumps(_series(sent.service))


def test_no_planted_value_reaches_any_store(stack: Stack, sent: Sent) -> None:
    stored = _stored(stack, sent)
    assert [name for name, value in sent.secrets.items() if value in stored] == []
    assert sent.player_id not in stored


def test_benign_fields_arrive_unchanged(stack: Stack, sent: Sent) -> None:
    stored = _stored(stack, sent)
    assert "/players/{player_id}/scene" in stored
    assert '"code.function.name"' in stored
    (series,) = [s for s in _series(sent.service) if s["__name__"].startswith("tta_raw_probe")]
    assert series["http_route"] == "/scene"
    assert series["tta_component"] == "raw-client"
    assert "tta_player_input" not in series


def test_identifiers_are_pseudonymised_not_dropped(stack: Stack, sent: Sent) -> None:
    spans = documents(_file(stack, "traces.jsonl"), sent.service)
    attributes = {
        a["key"]: a["value"].get("stringValue")
        for batch in spans
        for rs in batch["resourceSpans"]
        for ss in rs["scopeSpans"]
        for span in ss["spans"]
        for a in span["attributes"]
    }
    assert attributes["player.id"] != sent.player_id
    assert len(attributes["player.id"]) == 64
    assert "gen_ai.prompt" not in attributes


def test_the_log_keeps_its_trace_id(stack: Stack, sent: Sent) -> None:
    logs = documents(_file(stack, "logs.jsonl"), sent.service)
    trace_ids = {
        record["traceId"]
        for batch in logs
        for rl in batch["resourceLogs"]
        for sl in rl["scopeLogs"]
        for record in sl["logRecords"]
    }
    assert trace_ids == {sent.trace_id.hex()}
