"""Every PromQL query of every dashboard panel against the real stack after the example service's
traffic (with its Redis and its Neo4j story graph): each runs without error, answers within 5 s,
and returns data - except the panels in NO_DEMO_DATA, each with the reason the demo cannot feed
it. Grafana's variables get the values Grafana would give them for the last 15 minutes of this
test's environment with every repository and component. Queries run as Grafana runs them: range
queries over the last 15 minutes, instant queries at now.

Loki and Tempo panels are listed too: there is no Loki or Tempo here (docs/stack.md), so only
their presence in the list is checked; their queries run in docker compose's Grafana."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
from faker import Faker

from examples.tta_service.traffic import PlantedData, play_instrumented
from tta_otel import semconv
from tta_otel.ops.client_credentials import prometheus_auth
from tta_otel.ops.dashboards import PanelQuery, long_term, models, panels, queries
from tta_otel.ops.dashboards.findings import expand
from tta_otel.ops.stack.runner import URLS, Stack
from tta_otel.testing.neo4j_server import Neo4jServer
from tta_otel.testing.processes import wait_until

pytestmark = pytest.mark.integration
pytest_plugins = ["tests.neo4j_fixture"]

PROMETHEUS = URLS["TTA_PROMETHEUS_URL"]
ENVIRONMENT = "dashboards"
ANSWER_WITHIN_S = 5.0
WINDOW_S = 15 * 60
STEP_S = 15
VALUES = {
    "environment": ENVIRONMENT,
    "repository": ".*",
    "component": ".*",
    "fingerprint": ".*",
    "__rate_interval": "1m",
    "__interval": f"{STEP_S}s",
    "__range": f"{WINDOW_S // 60}m",
}

_GPU = "GPU metrics need an NVIDIA GPU and the extra [gpu] (checked on an H100, docs/ai-and-carbon.md)"
NO_DEMO_DATA: dict[tuple[str, str], str] = {
    ("tta-overview", "Median time to acknowledge and resolve"): "exported by tta-otel alerts serve, not run here",
    ("tta-performance", "Service map"): "Tempo's service graph: docker compose only",
    ("tta-ai-carbon", "GPU utilisation"): _GPU,
    ("tta-ai-carbon", "GPU memory in use"): _GPU,
    ("tta-ai-carbon", "GPU temperature"): _GPU,
    ("tta-ai-carbon", "GPU power"): _GPU,
    ("tta-ai-carbon", "GPU energy"): _GPU,
    ("tta-ai-carbon", "gCO2e per 1,000 tokens by model"): (
        "emissions are attributed to a model only from GPU energy or a configured model_wh_per_1k_tokens; "
        "the demo's fake model has neither"
    ),
    ("tta-errors", "Critical content errors by group"): "the demo configures no critical routes or operations",
    ("tta-errors", "Median time to resolve"): "recorded by tta-otel errors --resolve, not run here",
    ("tta-errors", "Error log lines"): "Loki: docker compose only",
    ("tta-engagement", "Engagement events rejected"): "the example service calls track() correctly",
    ("tta-pipeline", "Export failures"): "send_failed and enqueue_failed appear only once a backend lost data",
    ("tta-pipeline", "Dropped in services"): "counts only what a service dropped; a healthy demo drops nothing",
}
"""(dashboard uid, panel title) -> why the demo cannot give that panel data."""


def _prometheus_queries() -> list[PanelQuery]:
    """The Prometheus queries, but the long-term dashboard's: they read the long-term tier, and
    tests/stack/test_long_term.py runs them against VictoriaMetrics."""
    return [query for query in queries() if query.datasource == "prometheus" and query.dashboard != long_term.UID]


def _get(path: str, **params: str) -> Any:
    response = httpx.get(f"{PROMETHEUS}{path}", auth=prometheus_auth(), params=params, timeout=30)
    body = response.json()
    assert body["status"] == "success", body
    return body["data"]


def _exists(selector: str) -> bool:
    return bool(_get("/api/v1/series", **{"match[]": selector}))


@pytest.fixture(scope="module")
def traffic(stack: Stack, neo4j_server: Neo4jServer) -> None:
    fake = Faker()
    fake.seed_instance(23)
    players = [PlantedData.generate(fake) for _ in range(2)]
    play_instrumented(
        players, URLS["TTA_OTLP_GRPC_ENDPOINT"], str(uuid.uuid4()), ENVIRONMENT, neo4j_uri=neo4j_server.uri
    )
    in_environment = f'{{deployment_environment_name="{ENVIRONMENT}"}}'
    assert wait_until(
        lambda: all(
            _exists(selector)
            for selector in (
                f"{semconv.TTA_ENGAGEMENT_SESSION_DURATION.prometheus_count}{in_environment}",
                'ALERTS{alertname="TTAWatchdog"}',
            )
        ),
        timeout=60,
    )


def _answer(query: PanelQuery) -> list[Any]:
    expr = expand(query.expr, VALUES, default="")
    if query.instant:
        return list(_get("/api/v1/query", query=expr)["result"])
    end = time.time()
    return list(
        _get("/api/v1/query_range", query=expr, start=f"{end - WINDOW_S:.3f}", end=f"{end:.3f}", step=str(STEP_S))[
            "result"
        ]
    )


@pytest.mark.parametrize("query", _prometheus_queries(), ids=lambda q: f"{q.dashboard}:{q.panel}:{q.ref_id}")
def test_the_panel_query_answers_within_5_s_with_data(traffic: None, query: PanelQuery) -> None:
    started = time.monotonic()
    result = _answer(query)
    assert time.monotonic() - started < ANSWER_WITHIN_S
    if (query.dashboard, query.panel) not in NO_DEMO_DATA:
        assert result, f"no data for {query.dashboard} / {query.panel} ({query.ref_id}): {query.expr}"


def test_the_variables_offer_the_demos_environment_repository_and_component(traffic: None) -> None:
    def values(label: str) -> list[str]:
        return list(_get(f"/api/v1/label/{label}/values", **{"match[]": semconv.PROCESS_MEMORY_USAGE.prometheus}))

    assert ENVIRONMENT in values("deployment_environment_name")
    assert "tta.dev" in values("tta_repository")
    assert "player-api" in values("tta_component")


def test_every_loki_and_tempo_panel_is_listed_with_its_reason() -> None:
    others = {(query.dashboard, query.panel) for query in queries() if query.datasource != "prometheus"}
    assert others
    assert others <= set(NO_DEMO_DATA)


def test_the_list_of_panels_without_demo_data_names_only_panels_that_exist() -> None:
    existing = {(str(model["uid"]), str(panel["title"])) for model in models().values() for panel in panels(model)}
    assert set(NO_DEMO_DATA) <= existing
