"""Every alerting and recording rule against the real stack after the example service's traffic:
each expression runs without error within 5 seconds, every metric it reads exists in Prometheus
(except the ones listed below, which the demo cannot produce, each with its reason), and every
recording rule whose inputs exist produces data."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from faker import Faker

from examples.tta_service.traffic import PlantedData, play_instrumented
from tta_otel import semconv
from tta_otel.ops.client_credentials import prometheus_auth
from tta_otel.ops.stack.runner import URLS, Stack
from tta_otel.testing.neo4j_server import Neo4jServer
from tta_otel.testing.processes import wait_until

pytestmark = pytest.mark.integration
pytest_plugins = ["tests.neo4j_fixture"]

RULES = Path(__file__).resolve().parents[2] / "prometheus" / "rules"
PROMETHEUS = URLS["TTA_PROMETHEUS_URL"]
ANSWER_WITHIN_S = 5.0

NOT_IN_THE_DEMO = {
    "hw_": "GPU metrics need an NVIDIA GPU (checked on an H100, docs/ai-and-carbon.md)",
    "otelcol_exporter_send_failed_": "appears only once a backend rejected data for good",
    "otelcol_exporter_enqueue_failed_": "appears only once a full queue dropped data",
    "otelcol_processor_dropped_": "appears only once a processor dropped data",
    "tta_alert_": "exported by tta-otel alerts serve, which the demo does not run",
    semconv.TTA_ERROR_TIME_TO_RESOLVE.prometheus: "recorded when an error group is marked resolved",
    "prometheus_rule_evaluation_failures": "appears only once a rule failed",
}


QUIET_WHEN_HEALTHY = {
    "otelcol:exporter_stalled:5m": "records only exporters whose queue holds data while nothing is sent",
}


@dataclass(frozen=True)
class Rule:
    file: str
    name: str
    expr: str
    recording: bool


def _rules() -> list[Rule]:
    found = []
    for path in sorted(RULES.glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                name = rule.get("record") or rule["alert"]
                found.append(Rule(path.name, name, str(rule["expr"]), "record" in rule))
    return found


def _get(path: str, **params: str) -> Any:
    response = httpx.get(f"{PROMETHEUS}{path}", auth=prometheus_auth(), params=params, timeout=30)
    body = response.json()
    assert body["status"] == "success", body
    return body["data"]


def _selectors(node: Any) -> Iterator[dict[str, Any]]:
    """The vector and matrix selectors of a parsed query (Prometheus's /api/v1/parse_query tree)."""
    if isinstance(node, dict):
        if node.get("type") in ("vectorSelector", "matrixSelector"):
            yield node
        for value in node.values():
            yield from _selectors(value)
    elif isinstance(node, list):
        for value in node:
            yield from _selectors(value)


def _metric_names(expr: str) -> set[str]:
    """Every metric an expression reads: ``name{...}`` or ``{__name__=~"..."}`` (as regexes)."""
    names = set()
    for selector in _selectors(_get("/api/v1/parse_query", query=expr)):
        if selector.get("name"):
            names.add(selector["name"])
        for matcher in selector.get("matchers", []):
            if matcher["name"] == "__name__" and matcher["type"] in ("=", "=~"):
                names.add(matcher["value"])
    return names


def _exists(name: str) -> bool:
    return bool(_get("/api/v1/series", **{"match[]": f'{{__name__=~"{name}"}}'}))


def _not_in_the_demo(name: str) -> str | None:
    return next((reason for prefix, reason in NOT_IN_THE_DEMO.items() if name.startswith(prefix)), None)


@pytest.fixture(scope="module")
def traffic(stack: Stack, neo4j_server: Neo4jServer) -> str:
    fake = Faker()
    fake.seed_instance(17)
    instance = str(uuid.uuid4())
    players = [PlantedData.generate(fake) for _ in range(2)]
    play_instrumented(players, URLS["TTA_OTLP_GRPC_ENDPOINT"], instance, "rules", neo4j_uri=neo4j_server.uri)
    scraped_and_pushed = (
        "prometheus_tsdb_storage_blocks_bytes",
        semconv.TTA_CARBON_BUDGET.prometheus,
        semconv.TTA_ENGAGEMENT_SESSIONS_STARTED.prometheus,
    )
    assert wait_until(lambda: all(_exists(name) for name in scraped_and_pushed), 30)
    return instance


@pytest.mark.parametrize("rule", _rules(), ids=lambda rule: f"{rule.file}:{rule.name}")
def test_the_rule_runs_quickly_and_reads_metrics_that_exist(traffic: str, rule: Rule) -> None:
    started = time.monotonic()
    _get("/api/v1/query", query=rule.expr)
    assert time.monotonic() - started < ANSWER_WITHIN_S

    missing = {
        name
        for name in _metric_names(rule.expr)
        if ":" not in name and not _not_in_the_demo(name) and not _exists(name)
    }
    assert missing == set()


def test_every_recording_rule_with_inputs_produces_data(traffic: str) -> None:
    expected = {
        rule.name
        for rule in _rules()
        if rule.recording
        and rule.name not in QUIET_WHEN_HEALTHY
        and all(_exists(name) for name in _metric_names(rule.expr) if ":" not in name)
    }

    def produced() -> set[str]:
        return {name for name in expected if _exists(name)}

    wait_until(lambda: produced() == expected, timeout=60)
    assert produced() == expected
    assert len(expected) >= 20
