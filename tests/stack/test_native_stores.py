"""The native stack's trace and log stores, end to end: the example service's requests are found in
Jaeger by trace id and by service and tag, its log lines in VictoriaLogs by trace id, and the
same trace id links them; a metric exemplar's trace id resolves in Jaeger."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from faker import Faker

from examples.tta_service.traffic import PlantedData, play_instrumented
from tta_otel.ops.client_credentials import jaeger_auth, prometheus_auth, victorialogs_auth
from tta_otel.ops.stack.runner import URLS, Stack
from tta_otel.ops.stores import JaegerClient, StoreError, VictoriaLogsClient
from tta_otel.testing.neo4j_server import Neo4jServer
from tta_otel.testing.processes import wait_until

pytestmark = pytest.mark.integration
pytest_plugins = ["tests.neo4j_fixture"]

SERVICE = "tta-player-api"
SCENE_ROUTE = "/players/{player_id}/scene"


@dataclass
class Traffic:
    instance: str
    planted: PlantedData
    jaeger: JaegerClient
    logs: VictoriaLogsClient


def _scene_log_lines(traffic: Traffic) -> list[dict[str, Any]]:
    return traffic.logs.query(f'"reached scene" AND service.instance.id:="{traffic.instance}"')


@pytest.fixture(scope="module")
def traffic(stack: Stack, neo4j_server: Neo4jServer) -> Iterator[Traffic]:
    fake = Faker()
    fake.seed_instance(23)
    planted = PlantedData.generate(fake)
    instance = str(uuid.uuid4())
    play_instrumented([planted], URLS["TTA_OTLP_GRPC_ENDPOINT"], instance, "stores", neo4j_uri=neo4j_server.uri)
    running = Traffic(
        instance,
        planted,
        JaegerClient(URLS["TTA_JAEGER_URL"], jaeger_auth()),
        VictoriaLogsClient(URLS["TTA_VICTORIALOGS_URL"], victorialogs_auth()),
    )
    assert wait_until(lambda: bool(_scene_log_lines(running)), timeout=30)
    yield running


def _scene_trace_id(traffic: Traffic) -> str:
    (line,) = _scene_log_lines(traffic)
    return str(line["trace_id"])


def test_a_log_line_found_by_its_text_leads_to_its_trace_in_jaeger(traffic: Traffic) -> None:
    trace_id = _scene_trace_id(traffic)

    assert wait_until(lambda: traffic.jaeger.trace(trace_id) is not None, timeout=30)
    trace = traffic.jaeger.trace(trace_id)
    assert trace is not None
    names = {span["operationName"] for span in trace["spans"]}
    assert f"GET {SCENE_ROUTE}" in names


def test_the_log_store_finds_the_requests_lines_by_trace_id(traffic: Traffic) -> None:
    trace_id = _scene_trace_id(traffic)

    lines = traffic.logs.query(f'trace_id:="{trace_id}"')

    assert lines
    assert {line["trace_id"] for line in lines} == {trace_id}


def test_jaeger_finds_the_request_by_service_and_route(traffic: Traffic) -> None:
    def found() -> list[dict[str, Any]]:
        return traffic.jaeger.find(SERVICE, {"http.route": SCENE_ROUTE, "service.instance.id": traffic.instance})

    assert wait_until(lambda: bool(found()), timeout=30)
    assert _scene_trace_id(traffic) in {trace["traceID"] for trace in found()}


def test_no_planted_value_is_in_either_store(traffic: Traffic) -> None:
    trace = traffic.jaeger.trace(_scene_trace_id(traffic))
    stored = str(trace) + str(traffic.logs.query(f'service.instance.id:="{traffic.instance}"', limit=1000))
    for value in traffic.planted.secrets().values():
        assert value not in stored


def test_a_metric_exemplars_trace_id_resolves_in_jaeger(traffic: Traffic) -> None:
    selector = f'http_server_request_duration_seconds_bucket{{service_instance_id="{traffic.instance}"}}'

    def exemplar_trace_ids() -> set[str]:
        response = httpx.get(
            f"{URLS['TTA_PROMETHEUS_URL']}/api/v1/query_exemplars",
            params={"query": selector, "start": "0", "end": "9999999999"},
            auth=prometheus_auth(),
            timeout=10,
        )
        return {
            exemplar["labels"]["trace_id"]
            for series in response.json()["data"] or []
            for exemplar in series["exemplars"]
            if "trace_id" in exemplar["labels"]
        }

    assert wait_until(lambda: bool(exemplar_trace_ids()), timeout=30)
    trace_id = sorted(exemplar_trace_ids())[0]
    assert wait_until(lambda: traffic.jaeger.trace(trace_id) is not None, timeout=30)


def test_the_stores_refuse_requests_without_credentials(traffic: Traffic) -> None:
    with pytest.raises(StoreError, match="asks for credentials"):
        JaegerClient(URLS["TTA_JAEGER_URL"]).trace(_scene_trace_id(traffic))
    with pytest.raises(StoreError, match="asks for credentials"):
        VictoriaLogsClient(URLS["TTA_VICTORIALOGS_URL"]).query("*")
