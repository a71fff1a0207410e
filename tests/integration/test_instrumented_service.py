"""End to end through the distro: a real FastAPI service with a real Redis, started under
``opentelemetry-instrument`` as a subprocess, exporting OTLP to a receiver in the test.

Requests carry synthetic PII (Faker) in query strings, headers, log messages and
exception messages; none of it may reach the receiver, while the telemetry itself
(spans, metrics, logs, resource, Redis spans) must.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from faker import Faker

from examples.tta_service.traffic import PlantedData, play
from tests.integration.conftest import REPO
from tta_otel.testing.otlp_sink import OtlpSink, Received, attributes
from tta_otel.testing.processes import distro_environment, instrumented_service, wait_until

pytestmark = pytest.mark.integration


@dataclass
class Run:
    received: Received
    planted: PlantedData
    responses: dict[str, httpx.Response]
    output: str


def _service_env(sink: OtlpSink, redis_url: str, config: Path) -> dict[str, str]:
    return distro_environment(
        sink.endpoint,
        config,
        redis_url,
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
        OTEL_METRIC_EXPORT_INTERVAL="1000",
        OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST=".*",
    )


@pytest.fixture(scope="module")
def run(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    fake = Faker()
    fake.seed_instance(42)
    planted = PlantedData.generate(fake)
    config = tmp_path_factory.mktemp("svc") / "tta_config.yaml"
    config.write_text(
        "monitoring:\n  component: player-api\n  repository: tta.dev\n  environment: test\n  package: tta-otel\n"
    )
    with OtlpSink() as sink:
        with instrumented_service(_service_env(sink, redis_url, config), cwd=REPO) as service:
            responses = play(service.url, planted)
            wait_until(lambda: "http.server.request.duration" in sink.received.metric_names(), timeout=20)
            output = service.stop()
        yield Run(sink.received, planted, responses, output)


def test_the_service_answers_as_without_telemetry(run: Run) -> None:
    assert run.responses["narrate"].json() == {"scene": "The forest path opens onto a quiet lake."}
    assert run.responses["scene"].status_code == 200
    assert run.responses["scene"].json()["scene"] == "scene-1"
    assert run.responses["choice"].json() == {"status": "recorded"}
    assert run.responses["fail"].status_code == 503
    assert run.responses["crash"].status_code == 500


def test_every_signal_carries_the_resource(run: Run) -> None:
    resources = [attributes(resource.attributes) for resource in run.received.resources()]
    assert resources
    for resource in resources:
        assert resource["service.name"] == "tta-player-api"
        assert resource["tta.component"] == "player-api"
        assert resource["tta.repository"] == "tta.dev"
        assert resource["deployment.environment.name"] == "test"
        assert resource["service.version"]
        assert resource["service.instance.id"]
    assert {resource["service.instance.id"] for resource in resources} == {resources[0]["service.instance.id"]}


def test_the_model_call_arrives_without_its_prompt(run: Run) -> None:
    (span,) = [span for _, span in run.received.spans() if span.name == "chat fake-narrator-1"]
    assert attributes(span.attributes) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "fake",
        "gen_ai.request.model": "fake-narrator-1",
        "gen_ai.response.model": "fake-narrator-1-2026-11",
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": 42,
        "gen_ai.usage.output_tokens": 128,
    }


def test_the_model_call_is_measured_by_the_genai_metrics_and_the_carbon_meter(run: Run) -> None:
    assert {
        "gen_ai.client.operation.duration",
        "gen_ai.client.token.usage",
        "tta.energy",
        "tta.carbon.emissions",
        "tta.carbon.intensity",
    } <= run.received.metric_names()


def test_the_crash_is_recorded_with_a_fingerprint_counted_and_logged(run: Run) -> None:
    (crash,) = [
        span
        for _, span in run.received.spans()
        if attributes(span.attributes).get("http.route") == "/players/{player_id}/crash" and span.events
    ]
    event = attributes(crash.events[0].attributes)
    assert event["exception.type"] == "RuntimeError"
    assert len(event["tta.error.fingerprint"]) == 16
    logged = [
        attributes(record.attributes)
        for _, record in run.received.log_records()
        if attributes(record.attributes).get("tta.error.fingerprint") == event["tta.error.fingerprint"]
    ]
    assert logged
    assert "tta.errors" in run.received.metric_names()


def test_the_websocket_session_arrives_as_a_span(run: Run) -> None:
    routes = {attributes(span.attributes).get("http.route") for _, span in run.received.spans()}
    assert "/players/{player_id}/stream" in routes


def test_server_spans_arrive_with_routes(run: Run) -> None:
    routes = {attributes(span.attributes).get("http.route") for _, span in run.received.spans()}
    assert {
        "/players/{player_id}/scene",
        "/players/{player_id}/choices",
        "/players/{player_id}/fail",
        "/players/{player_id}/crash",
    } <= routes


def test_redis_commands_arrive_as_client_spans(run: Run) -> None:
    redis_spans = [
        span for _, span in run.received.spans() if attributes(span.attributes).get("db.system.name") == "redis"
    ]
    assert {span.name for span in redis_spans} == {"INCRBY", "SET", "RPUSH"}


def test_metrics_arrive(run: Run) -> None:
    assert "http.server.request.duration" in run.received.metric_names()


def test_logs_arrive_with_trace_and_span_ids(run: Run) -> None:
    records = [record for _, record in run.received.log_records() if "reached scene" in record.body.string_value]
    assert len(records) == 1
    assert len(records[0].trace_id) == 16
    assert records[0].trace_id != bytes(16)
    assert len(records[0].span_id) == 8
    span_trace_ids = {span.trace_id for _, span in run.received.spans()}
    assert records[0].trace_id in span_trace_ids


def test_personal_data_is_redacted_in_logs(run: Run) -> None:
    bodies = [record.body.string_value for _, record in run.received.log_records()]
    # "player %s (%s, %s) reached scene %d": the id is safe-shaped, the e-mail and phone are not
    assert any(body.endswith("([REDACTED:arg], [REDACTED:arg]) reached scene 1") for body in bodies)


def test_exceptions_are_exported_with_redacted_messages(run: Run) -> None:
    messages = [
        attributes(event.attributes).get("exception.message", "")
        for _, span in run.received.spans()
        for event in span.events
        if event.name == "exception"
    ] + [attributes(record.attributes).get("exception.message", "") for _, record in run.received.log_records()]
    # strict mode: an application exception's message never leaves; the type and frames do
    assert set(messages) - {""} == {"[REDACTED:exception_message]"}


def test_no_planted_value_reaches_the_receiver(run: Run) -> None:
    exported = run.received.as_text()
    leaked = [name for name, value in run.planted.secrets().items() if value in exported]
    assert leaked == []


def test_content_bearing_headers_are_dropped(run: Run) -> None:
    keys = {key for _, span in run.received.spans() for key in attributes(span.attributes)}
    assert "http.request.header.x_player_phone" in keys or "http.request.header.x-player-phone" in keys
    assert not {k for k in keys if k.endswith(("authorization", "cookie"))}
