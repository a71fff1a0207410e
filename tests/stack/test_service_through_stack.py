"""End to end: the example service under opentelemetry-instrument (with its Redis and its
Neo4j story graph) exports to the real collector; its traffic is queryable in Prometheus
with PromQL, its spans in Jaeger and its log lines in VictoriaLogs, and a log line and a span
carry the same trace id."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from faker import Faker

from examples.tta_service.traffic import PlantedData, play_instrumented
from tta_otel.ops.client_credentials import prometheus_auth
from tta_otel.ops.stack.runner import URLS, Stack
from tta_otel.ops.stores import JaegerClient, VictoriaLogsClient
from tta_otel.testing.neo4j_server import Neo4jServer
from tta_otel.testing.processes import wait_until
from tta_otel.testing.stored import log_records_of_service, planted_in, spans_of_service, stored_text

pytestmark = pytest.mark.integration
pytest_plugins = ["tests.neo4j_fixture"]

SERVICE = "tta-player-api"


@dataclass
class Traffic:
    instance: str
    planted: PlantedData
    jaeger: JaegerClient
    logs: VictoriaLogsClient

    def spans(self) -> list[dict[str, object]]:
        return spans_of_service(self.jaeger, SERVICE, self.instance)

    def log_records(self) -> list[dict[str, object]]:
        return log_records_of_service(self.logs, SERVICE, self.instance)


def _promql(query: str) -> list[dict[str, object]]:
    response = httpx.get(
        f"{URLS['TTA_PROMETHEUS_URL']}/api/v1/query", auth=prometheus_auth(), params={"query": query}, timeout=10
    )
    return list(response.json()["data"]["result"])


@pytest.fixture(scope="module")
def traffic(
    stack: Stack, neo4j_server: Neo4jServer, trace_store: JaegerClient, log_store: VictoriaLogsClient
) -> Iterator[Traffic]:
    fake = Faker()
    fake.seed_instance(11)
    planted = PlantedData.generate(fake)
    instance = str(uuid.uuid4())
    play_instrumented([planted], URLS["TTA_OTLP_GRPC_ENDPOINT"], instance, "test", neo4j_uri=neo4j_server.uri)
    running = Traffic(instance, planted, trace_store, log_store)
    query = f'http_server_request_duration_seconds_count{{service_instance_id="{instance}"}}'
    assert wait_until(lambda: len(_promql(query)) >= 4, timeout=30)
    assert wait_until(lambda: bool(running.log_records()), timeout=30)
    assert wait_until(lambda: bool(running.spans()), timeout=30)
    yield running


def test_request_counts_by_route_are_queryable_with_promql(traffic: Traffic) -> None:
    result = _promql(
        f"sum by (http_route, tta_component, tta_repository) "
        f'(http_server_request_duration_seconds_count{{service_instance_id="{traffic.instance}"}})'
    )
    by_route = {entry["metric"]["http_route"]: entry for entry in result}  # type: ignore[index]
    assert set(by_route) >= {"/players/{player_id}/scene", "/players/{player_id}/choices"}
    scene = by_route["/players/{player_id}/scene"]["metric"]  # type: ignore[index]
    assert scene["tta_component"] == "player-api"  # type: ignore[index]
    assert scene["tta_repository"] == "tta.dev"  # type: ignore[index]


def _scene_log_trace_ids(traffic: Traffic) -> set[str]:
    return {str(record["trace_id"]) for record in traffic.log_records() if "reached scene" in str(record["_msg"])}


def _span_trace_ids(traffic: Traffic) -> set[str]:
    return {str(span["traceID"]) for span in traffic.spans()}


def test_the_story_graph_queries_reach_prometheus_without_their_literals(traffic: Traffic) -> None:
    query = (
        f'db_client_operation_duration_seconds_count{{service_instance_id="{traffic.instance}",db_system_name="neo4j"}}'
    )
    (series,) = _promql(query)
    assert series["metric"]["db_query_summary"] == "MERGE Player Scene VISITED"  # type: ignore[index]

    def neo4j_spans() -> list[dict[str, object]]:
        return [span for span in traffic.spans() if "MERGE" in json.dumps(span)]

    assert wait_until(lambda: bool(neo4j_spans()), timeout=30)
    assert traffic.planted.email not in stored_text(neo4j_spans())


def test_the_websocket_session_reaches_the_engagement_metrics(traffic: Traffic) -> None:
    query = f'tta_engagement_sessions_completed_total{{service_instance_id="{traffic.instance}"}}'
    (series,) = _promql(query)
    assert series["metric"]["tta_cohort"] == "pilot"  # type: ignore[index]


def test_a_log_line_and_a_span_share_a_trace_id(traffic: Traffic) -> None:
    assert wait_until(lambda: len(_scene_log_trace_ids(traffic)) == 1, timeout=15)
    log_trace_ids = _scene_log_trace_ids(traffic)
    assert wait_until(lambda: log_trace_ids <= _span_trace_ids(traffic), timeout=15)


def test_no_planted_value_reaches_the_stores(traffic: Traffic) -> None:
    stored = stored_text(
        [traffic.log_records(), traffic.spans(), _promql(f'{{service_instance_id="{traffic.instance}"}}')]
    )
    assert planted_in(stored, traffic.planted.secrets()) == []


def test_the_service_announces_itself_without_configuration(traffic: Traffic) -> None:
    (series,) = _promql(f'tta_component_info{{service_instance_id="{traffic.instance}"}}')
    labels = series["metric"]  # type: ignore[index]
    assert (labels["tta_component"], labels["tta_repository"], series["value"][1]) == (  # type: ignore[index]
        "player-api",
        "tta.dev",
        "1",
    )
    assert labels["service_version"]  # type: ignore[index]
