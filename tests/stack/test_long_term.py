"""The long-term tier answers for a period Prometheus no longer holds.

VictoriaMetrics and Prometheus are started alone from the launch table on free ports, each behind
its credentials. Nine days of the 5-minute series that Prometheus's long-term rules record are
written into VictoriaMetrics as they were 29 to 20 days ago - older than Prometheus's 15 days -
with its import API. The overview dashboard's service-level figures for the last 30 days (the
availability report) and the engagement report then come from the long-term tier, chosen by
``--source auto`` because 30 days reach past what Prometheus says it keeps, and they are the
figures the samples add up to; asked of Prometheus, the same period has nothing. Every query of
the long-term dashboard answers from the long-term tier with data, with Grafana's variables as
Grafana would set them for the last 30 days.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tta_otel.ops import secrets
from tta_otel.ops.cli.main import main
from tta_otel.ops.dashboards import PanelQuery, long_term, queries
from tta_otel.ops.dashboards.findings import expand
from tta_otel.ops.stack.runner import running_component
from tta_otel.testing.long_term import Series, import_series
from tta_otel.testing.processes import free_port

REPO = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC)
START = NOW - timedelta(days=29)
SAMPLES = 9 * 288  # nine days of 5-minute samples
LABELS = {"deployment_environment_name": "production", "tta_repository": "tta.prod", "tta_component": "player-api"}


def _series(name: str, value: float, **labels: str) -> Series:
    return Series(f"tta:{name}:increase5m", {**LABELS, **labels}, START, (value,) * SAMPLES)


SERIES = [
    # 100 good and 1 failed request, 99 of them within 1 s, and 2 recorded errors every 5 minutes
    _series("http_server_request_duration_seconds_count", 100, http_response_status_code="200"),
    _series("http_server_request_duration_seconds_count", 1, http_response_status_code="500"),
    _series("http_server_request_duration_seconds_bucket", 99, le="1"),
    _series("http_server_request_duration_seconds_bucket", 101, le="+Inf"),
    _series("tta_errors_total", 2),
    # a cohort of 3 sessions started, 2 completed and 12 journey steps every 5 minutes
    _series("tta_engagement_sessions_started_total", 3, tta_cohort="spring"),
    _series("tta_engagement_sessions_completed_total", 2, tta_cohort="spring"),
    _series("tta_engagement_journey_steps_total", 12, tta_cohort="spring", tta_journey_step="intro"),
]


@dataclass(frozen=True)
class Stores:
    prometheus: str
    long_term: str
    secrets: secrets.SecretsDir

    def report(self, *arguments: str, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Any], str]:
        """``tta-otel report ...`` against these stores: its JSON and what it said on standard error."""
        capsys.readouterr()
        code = main(
            [
                "report",
                *arguments,
                "--prometheus",
                self.prometheus,
                "--prometheus-credentials-file",
                str(self.secrets.path_of(secrets.PROMETHEUS_CREDENTIALS)),
                "--long-term",
                self.long_term,
                "--long-term-credentials-file",
                str(self.secrets.path_of(secrets.VICTORIAMETRICS_CREDENTIALS)),
            ]
        )
        out, err = capsys.readouterr()
        assert code == 0, err
        return json.loads(out), err


def _auth(directory: secrets.SecretsDir, name: str) -> tuple[str, str]:
    user, _, password = directory.read(name).partition(":")
    return user, password


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory, stack_secrets: secrets.SecretsDir) -> Iterator[Stores]:
    state = tmp_path_factory.mktemp("long-term")
    with (
        running_component(REPO, "victoriametrics", state / "vm", stack_secrets, port=free_port()) as long_term,
        running_component(REPO, "prometheus", state / "prometheus", stack_secrets, port=free_port()) as prometheus,
    ):
        import_series(long_term, _auth(stack_secrets, secrets.VICTORIAMETRICS_CREDENTIALS), SERIES)
        yield Stores(prometheus, long_term, stack_secrets)


def test_the_long_term_tier_asks_for_its_credentials(stores: Stores) -> None:
    response = httpx.get(f"{stores.long_term}/api/v1/query", params={"query": "1"}, timeout=10)

    assert response.status_code == 401


def test_the_overview_service_level_of_30_days_comes_from_the_long_term_tier(
    stores: Stores, capsys: pytest.CaptureFixture[str]
) -> None:
    report, said = stores.report("availability", "--since", "30d", capsys=capsys)

    assert "reading long-term" in said
    assert report["source"] == "long-term"
    (component,) = report["components"]
    assert component["component"] == "player-api"
    assert component["requests"] == pytest.approx(101 * SAMPLES)
    assert component["server_errors"] == pytest.approx(SAMPLES)
    assert component["availability"] == pytest.approx(100 / 101)
    assert component["error_budget_left"] == pytest.approx(1 - (1 / 101) / 0.005)
    assert component["slower_than_objective"] == pytest.approx(2 / 101)
    assert component["errors"] == pytest.approx(2 * SAMPLES)


def test_prometheus_no_longer_holds_the_period(stores: Stores, capsys: pytest.CaptureFixture[str]) -> None:
    report, _ = stores.report("availability", "--since", "30d", "--source", "prometheus", capsys=capsys)

    assert report["source"] == "prometheus"
    assert report["components"] == []


def test_a_period_prometheus_keeps_is_read_from_prometheus(stores: Stores, capsys: pytest.CaptureFixture[str]) -> None:
    report, said = stores.report("availability", "--since", "7d", capsys=capsys)

    assert "reading prometheus" in said
    assert report["source"] == "prometheus"


def test_the_engagement_report_reads_cohorts_from_the_long_term_tier(
    stores: Stores, capsys: pytest.CaptureFixture[str]
) -> None:
    report, _ = stores.report("engagement", "--since", "30d", "--source", "long-term", capsys=capsys)

    (cohort,) = report["cohorts"]
    assert cohort["cohort"] == "spring"
    assert cohort["sessions"] == 3 * SAMPLES
    assert cohort["completed"] == 2 * SAMPLES
    assert cohort["journey_steps"] == {"intro": 12 * SAMPLES}


def _dashboard_answer(stores: Stores, query: PanelQuery) -> list[Any]:
    values = {"environment": "production", "repository": ".*", "component": ".*", "__range": "30d"}
    expr = expand(query.expr, values, default="")
    auth = _auth(stores.secrets, secrets.VICTORIAMETRICS_CREDENTIALS)
    if query.instant:
        response = httpx.get(f"{stores.long_term}/api/v1/query", params={"query": expr}, auth=auth, timeout=30)
    else:
        end = NOW.timestamp()
        params = {"query": expr, "start": f"{end - 30 * 86400:.0f}", "end": f"{end:.0f}", "step": "86400"}
        response = httpx.get(f"{stores.long_term}/api/v1/query_range", params=params, auth=auth, timeout=30)
    body = response.json()
    assert body["status"] == "success", body
    return list(body["data"]["result"])


@pytest.mark.parametrize(
    "query",
    [query for query in queries() if query.dashboard == long_term.UID],
    ids=lambda query: f"{query.panel}:{query.ref_id}",
)
def test_the_long_term_dashboard_answers_from_the_long_term_tier(stores: Stores, query: PanelQuery) -> None:
    assert _dashboard_answer(stores, query), f"no data for {query.panel}: {query.expr}"
