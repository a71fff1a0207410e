"""What the collector's own privacy processor (tta_privacy) brought, end to end through the real
collector build: span links are kept with their attributes redacted, nested maps and arrays keep
their shape, the allowed query parameters keep their (scanned) values while the others are
replaced, and a collector whose privacy configuration cannot be applied does not start.

The stores do not keep these shapes (Jaeger keeps no link attributes, VictoriaLogs flattens
bodies), so these tests read a private collector's exact output: the same configuration with a
test-only overlay that writes it as JSON lines (``tests/stack/collector-files.yaml``).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from faker import Faker
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from tests.stack.conftest import REPO
from tests.stack.otlp_requests import send
from tests.stack.test_collector_privacy_e2e import _any, _kv
from tta_otel.ops.secrets import SecretsDir
from tta_otel.ops.stack.runner import StackError, running_component
from tta_otel.testing.collector_files import documents
from tta_otel.testing.processes import collector_addresses, health_port, wait_until

pytestmark = pytest.mark.integration
_PSEUDONYM = re.compile(r"^psn_[A-Za-z0-9-]+_[0-9a-f]{16}$")
_PRIVATE = {  # a private collector's addresses, clear of the session stack's
    **collector_addresses(),
    "TTA_PROMETHEUS_OTLP_ENDPOINT": "http://127.0.0.1:9/api/v1/otlp/v1/metrics",
}


# The collector that writes its output to files: other ports again, so that the collector a test
# expects not to start is never mistaken for it.
_OUTPUT = {**_PRIVATE, **collector_addresses()}
_COLLECTOR = f"https://{_OUTPUT['TTA_COLLECTOR_OTLP_HTTP_ENDPOINT']}"
_COLLECTOR_CONFIGS = [
    REPO / "collector-config" / "otelcol.yaml",
    REPO / "collector-config" / "privacy.yaml",
    REPO / "tests" / "stack" / "collector-files.yaml",
]


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory, stack_secrets: SecretsDir) -> Iterator[Path]:
    """A private collector (its own ports, beside the session stack's) that writes what leaves
    its privacy processor to JSON-lines files in the folder this yields."""
    state = tmp_path_factory.mktemp("collector-output")
    environment = {
        **_OUTPUT,
        "TTA_COLLECTOR_FILE_DIR": str(state),
        "TTA_COLLECTOR_TRACES_EXPORTERS": "[file/traces]",
        "TTA_COLLECTOR_LOGS_EXPORTERS": "[file/logs, count/logs]",
    }
    with running_component(
        REPO,
        "otel-collector",
        state,
        stack_secrets,
        configs=_COLLECTOR_CONFIGS,
        port=health_port(_OUTPUT),
        extra_environment=environment,
    ):
        yield state


def _spans(output: Path, service: str) -> list[dict[str, Any]]:
    assert wait_until(lambda: bool(documents(output / "traces.jsonl", service)), timeout=30)
    return [
        span
        for batch in documents(output / "traces.jsonl", service)
        for rs in batch["resourceSpans"]
        for ss in rs["scopeSpans"]
        for span in ss["spans"]
    ]


def _attributes(values: list[dict[str, Any]]) -> dict[str, Any]:
    """OTLP JSON attributes as plain values, nested maps and arrays kept as such."""
    return {item["key"]: _plain(item["value"]) for item in values}


def _plain(value: dict[str, Any]) -> Any:
    if "kvlistValue" in value:
        return _attributes(value["kvlistValue"].get("values", []))
    if "arrayValue" in value:
        return [_plain(item) for item in value["arrayValue"].get("values", [])]
    if "intValue" in value:
        return int(value["intValue"])
    return next(iter(value.values()), None)


def _send_span(service: str, attributes: dict[str, Any], links: list[Span.Link] | None = None) -> None:
    now = time.time_ns()
    trace_id = os.urandom(16)
    span = Span(
        trace_id=trace_id,
        span_id=trace_id[:8],
        name="GET /scene",
        start_time_unix_nano=now - 1000,
        end_time_unix_nano=now,
        attributes=_kv(attributes),
        links=links or [],
    )
    resource = Resource(attributes=_kv({"service.name": service}))
    send(
        "/v1/traces",
        ExportTraceServiceRequest(
            resource_spans=[ResourceSpans(resource=resource, scope_spans=[ScopeSpans(spans=[span])])]
        ),
        collector=_COLLECTOR,
    )


def test_links_are_kept_with_their_attributes_redacted(output: Path) -> None:
    fake = Faker()
    fake.seed_instance(11)
    email, player_id = fake.email(), fake.uuid4()
    linked_trace, linked_span = os.urandom(16), os.urandom(8)
    service = f"links-{os.getpid()}"
    link = Span.Link(
        trace_id=linked_trace,
        span_id=linked_span,
        attributes=_kv({"http.route": f"/mail/{email}", "player.id": player_id, "note": email, "retries": 2}),
    )
    _send_span(service, {"http.route": "/scene"}, [link])
    (span,) = _spans(output, service)
    (stored,) = span["links"]
    assert stored["traceId"] == linked_trace.hex() and stored["spanId"] == linked_span.hex()
    attributes = _attributes(stored["attributes"])
    assert attributes["http.route"] == "/mail/[REDACTED:email]"
    assert _PSEUDONYM.match(attributes["player.id"]) and attributes["player.id"] != player_id
    assert attributes["note"] == "[REDACTED:unlisted]"
    assert attributes["retries"] == 2
    assert email not in json.dumps(span)


def test_nested_maps_and_arrays_keep_their_shape(output: Path) -> None:
    fake = Faker()
    fake.seed_instance(12)
    email, street = fake.email(), fake.street_address()
    service = f"shape-{os.getpid()}"
    body = {
        "message": email,
        "user": {"address": {"street": street}, "id": "player-7", "visits": 3},
        "http.route": "/scene",
        "list": [email, 1, True],
    }
    record = LogRecord(
        time_unix_nano=time.time_ns(),
        body=_any(body),
        attributes=_kv({"gen_ai.response.finish_reasons": ["stop", f"mail {email}"], "tags": ["a", 2]}),
    )
    resource = Resource(attributes=_kv({"service.name": service}))
    send(
        "/v1/logs",
        ExportLogsServiceRequest(
            resource_logs=[ResourceLogs(resource=resource, scope_logs=[ScopeLogs(log_records=[record])])]
        ),
        collector=_COLLECTOR,
    )
    assert wait_until(lambda: bool(documents(output / "logs.jsonl", service)), timeout=30)
    (stored,) = [
        r
        for batch in documents(output / "logs.jsonl", service)
        for rl in batch["resourceLogs"]
        for sl in rl["scopeLogs"]
        for r in sl["logRecords"]
    ]
    redacted_body = _plain(stored["body"])
    assert redacted_body["message"] == "[REDACTED:unlisted]"
    assert redacted_body["user"]["address"] == "[REDACTED:address]"
    assert _PSEUDONYM.match(redacted_body["user"]["id"])
    assert redacted_body["user"]["visits"] == 3
    assert redacted_body["http.route"] == "/scene"
    assert redacted_body["list"] == ["[REDACTED:unlisted]", 1, True]
    attributes = _attributes(stored["attributes"])
    assert attributes["gen_ai.response.finish_reasons"] == ["stop", "mail [REDACTED:email]"]
    assert attributes["tags"] == ["[REDACTED:unlisted]", 2]


def test_allowed_query_parameters_keep_their_scanned_values(output: Path) -> None:
    fake = Faker()
    fake.seed_instance(13)
    email, search = fake.email(), fake.word()
    service = f"query-{os.getpid()}"
    _send_span(
        service,
        {
            "url.full": f"https://example.org/scene?page=2&lang=en-GB&q={search}&cursor={email}",
            "url.query": f"limit=10&token={search}",
        },
    )
    (span,) = _spans(output, service)
    attributes = _attributes(span["attributes"])
    assert attributes["url.full"] == (
        "https://example.org/scene?page=2&lang=en-GB&q=[REDACTED:query_value]&cursor=[REDACTED:email]"
    )
    assert attributes["url.query"] == "limit=10&token=[REDACTED:query_value]"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda processor: processor.update(hmac_key=""), "hmac_key is empty"),
        (lambda processor: processor["value_patterns"][0].update(regex="(unclosed"), "value_patterns[0]"),
    ],
    ids=["no-pseudonym-key", "bad-value-pattern"],
)
def test_a_collector_whose_privacy_configuration_cannot_be_applied_does_not_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stack_secrets: SecretsDir, change: Any, reason: str
) -> None:
    """Fail closed: nothing is received by a collector that could not redact it."""
    generated = yaml.safe_load((REPO / "collector-config" / "privacy.yaml").read_text())
    change(generated["processors"]["tta_privacy"])
    privacy = tmp_path / "privacy.yaml"
    privacy.write_text(yaml.safe_dump(generated, sort_keys=False, width=1 << 20))
    for name, value in _PRIVATE.items():
        monkeypatch.setenv(name, value)
    configs = [REPO / "collector-config" / "otelcol.yaml", privacy]
    with (
        pytest.raises(StackError, match=re.escape(reason)),
        running_component(REPO, "otel-collector", tmp_path, stack_secrets, configs=configs, port=health_port(_PRIVATE)),
    ):
        pass
