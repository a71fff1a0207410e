"""Alerts firing in the real Prometheus from what real processes under the distro report through
the real collector, all three scenarios at once so that their ``for:`` windows are waited out
together (one module fixture, one wait of about four minutes):

- **TTARedisDown** and **TTANeo4jDown** (``source="health_check"``, prometheus/rules/databases.yml,
  as shipped: 2 minutes): a component's real redis-server and Neo4j are stopped together; its
  health checks report ``tta.dependency.up`` 0 for each until its alert fires, and 1 once the
  server is back, which resolves it.
- **TTAComponentAbsent** (prometheus/rules/components.yml): a component started with the distro
  reports ``tta.component.info`` without configuration, then every process of it stops; by the
  time the alert has fired it has been silent for about the 2 minutes after which ``tta-otel
  status`` shows it down, which is checked here too.
- **TTADeploymentRegression** (prometheus/rules/deployments.yml, the error variant): version 1.0.0
  of the example service serves traffic without errors, then version 2.0.0 answers half of it 5xx.

The last two rules wait longer than a test should (5 minutes for an absent component; an hour of
history and 10 minutes of ``for:`` for a deployment), so Prometheus also loads **test-only copies**
of them (``SHORTENED``, below): the same expressions, with every duration of components.yml
divided by 4 and every duration of deployments.yml by 30, and the recorded series renamed
``live_test:`` so that they never mix with the shipped ones. The shipped windows are proven by
promtool (prometheus/tests/components.test.yml, deployments.test.yml); this module proves that
the series the pipeline really writes (names, labels, ``service_version``) are the ones the
expressions select. The copies are added to the running Prometheus's configuration (the native
stack's copy of prometheus/prometheus.yml, never the checkout's) and reloaded, and removed after.

Evaluation and scrape intervals are the native stack's (15 s), the services use the distro's
defaults (metrics every 5 s, health checks every 15 s). Every process is stopped by its own
context manager, on failure too.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.stack.test_status import run_status, status_document
from tta_otel.ops.client_credentials import alertmanager_auth, prometheus_auth
from tta_otel.ops.stack.runner import URLS, Stack
from tta_otel.testing.neo4j_server import neo4j_server
from tta_otel.testing.processes import (
    RunningService,
    distro_environment,
    free_port,
    instrumented_service,
    redis_server,
    wait_until,
)

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS = URLS["TTA_PROMETHEUS_URL"]
RUN = uuid.uuid4().hex[:8]
ENVIRONMENT = f"alerts-{RUN}"
REPOSITORY = "tta.dev"
CACHE_USER, GONE, DEPLOYED = f"cache-user-{RUN}", f"gone-{RUN}", f"deployed-{RUN}"
OLD_VERSION, NEW_VERSION = "1.0.0", "2.0.0"

SHORTENED: dict[str, dict[str, str]] = {
    "components.yml": {"[2m]": "[30s]", "for: 3m": "for: 45s", "name: tta-": "name: live-test-"},
    "deployments.yml": {
        "[30m]": "[1m]",
        "offset 1h": "offset 2m",
        "for: 10m": "for: 20s",
        "tta:": "live_test:",
        "name: tta-": "name: live-test-",
    },
}
"""Test-only copies of shipped rule files: each replacement must occur in the shipped file."""

# A's error ratio must have been recorded this long before B's first ratio is (a few seconds after
# B starts), so that B's ratio meets A's "offset 2m" while B is still new (2 minutes).
OLD_VERSION_HISTORY_S = 100
SEEN_WITHIN_S = 90.0
FIRES_WITHIN_S = 300.0  # TTARedisDown, TTANeo4jDown: for 2m after the first failed check, plus evaluation intervals
RESOLVES_WITHIN_S = 90.0
HEALTHY_PATHS = ("/players/p-1/scene",)
FAILING_PATHS = ("/players/p-1/scene", "/players/p-1/fail")  # half of the requests answered 503


def _shortened_copy(name: str, folder: Path) -> None:
    text = (REPO / "prometheus" / "rules" / name).read_text(encoding="utf-8")
    for shipped, shorter in SHORTENED[name].items():
        assert shipped in text, f"{name} no longer has {shipped!r}: update SHORTENED"
        text = text.replace(shipped, shorter)
    header = f"# TEST-ONLY copy of prometheus/rules/{name} with shorter windows (tests/stack/test_live_alerts.py)\n"
    (folder / name).write_text(header + text, encoding="utf-8")


def _reload() -> None:
    httpx.post(f"{PROMETHEUS}/-/reload", auth=prometheus_auth(), timeout=60).raise_for_status()


@dataclass
class _Traffic:
    """Requests to whichever version is deployed, every 0.2 s, from a thread of its own."""

    url: str
    paths: tuple[str, ...]
    stopped: threading.Event

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            for path in self.paths:
                with suppress(httpx.HTTPError):  # between two versions
                    httpx.get(f"{self.url}{path}", timeout=5)


def _query(promql: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{PROMETHEUS}/api/v1/query", params={"query": promql}, auth=prometheus_auth(), timeout=10)
    response.raise_for_status()
    result: list[dict[str, Any]] = response.json()["data"]["result"]
    return result


def _firing(alertname: str, component: str) -> list[dict[str, str]]:
    response = httpx.get(f"{PROMETHEUS}/api/v1/alerts", auth=prometheus_auth(), timeout=10)
    return [
        alert["labels"]
        for alert in response.json()["data"]["alerts"]
        if alert["labels"].get("alertname") == alertname
        and alert["labels"].get("tta_component") == component
        and alert["state"] == "firing"
    ]


def _service(
    stack: ExitStack, folder: Path, component: str, redis_url: str, version: str, **extra: str
) -> RunningService:
    config = folder / f"{component}-{version}.yaml"
    config.write_text(
        f"monitoring:\n  component: {component}\n  repository: {REPOSITORY}\n  environment: {ENVIRONMENT}\n"
    )
    env = distro_environment(URLS["TTA_OTLP_GRPC_ENDPOINT"], config, redis_url, TTA_SERVICE_VERSION=version, **extra)
    return stack.enter_context(instrumented_service(env, cwd=REPO))


def _seen(promql: str, within: float = SEEN_WITHIN_S) -> None:
    assert wait_until(lambda: bool(_query(promql)), timeout=within, interval=2), promql


@dataclass
class Scenarios:
    redis_port: int
    neo4j_port: int
    running: ExitStack

    @property
    def dependency_names(self) -> dict[str, str]:
        """``tta.dependency.name`` of each stopped dependency, as its health check names it."""
        return {"redis": f"127.0.0.1:{self.redis_port}/0", "neo4j": f"127.0.0.1:{self.neo4j_port}"}

    def start_again(self, dependency: str) -> None:
        if dependency == "redis":
            self.running.enter_context(redis_server(self.redis_port))
        else:
            self.running.enter_context(neo4j_server(self.neo4j_port))


@pytest.fixture(scope="module")
def scenarios(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenarios]:
    folder = tmp_path_factory.mktemp("live-alerts")
    rules = folder / "rules"
    rules.mkdir()
    for name in SHORTENED:
        _shortened_copy(name, rules)
    flags = httpx.get(f"{PROMETHEUS}/api/v1/status/flags", auth=prometheus_auth(), timeout=10).json()["data"]
    configuration = Path(flags["config.file"])
    shipped = configuration.read_text(encoding="utf-8")
    document = yaml.safe_load(shipped)
    document["rule_files"] = [*document["rule_files"], str(rules / "*.yml")]
    with ExitStack() as running:
        configuration.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        running.callback(_reload)
        running.callback(configuration.write_text, shipped, encoding="utf-8")
        _reload()

        redis_port, neo4j_port = free_port(), free_port()
        doomed = ExitStack()  # the cache user's Redis and Neo4j
        running.callback(doomed.close)
        redis_url = doomed.enter_context(redis_server(redis_port))
        neo4j_uri = doomed.enter_context(neo4j_server(neo4j_port)).uri
        _service(running, folder, CACHE_USER, redis_url, OLD_VERSION, TTA_NEO4J_URI=neo4j_uri)
        healthy_redis = running.enter_context(redis_server())
        gone = ExitStack()
        running.callback(gone.close)
        _service(gone, folder, GONE, healthy_redis, OLD_VERSION)
        old = ExitStack()
        running.callback(old.close)
        traffic = _Traffic(
            _service(old, folder, DEPLOYED, healthy_redis, OLD_VERSION).url, HEALTHY_PATHS, threading.Event()
        )
        running.callback(traffic.stopped.set)
        threading.Thread(target=traffic.run, daemon=True).start()

        for dependency in ("redis", "neo4j"):
            _seen(f'tta_dependency_up{{tta_component="{CACHE_USER}", tta_dependency_type="{dependency}"}} == 1')
        _seen(f'tta_component_info{{tta_component="{GONE}"}}')
        doomed.close()
        gone.close()

        old_ratio = "live_test:http_server_request_errors:ratio_rate30m_by_version"
        _seen(f'{old_ratio}{{tta_component="{DEPLOYED}"}} offset {OLD_VERSION_HISTORY_S}s', OLD_VERSION_HISTORY_S + 60)
        old.close()
        traffic.url = _service(running, folder, DEPLOYED, healthy_redis, NEW_VERSION).url
        traffic.paths = FAILING_PATHS
        yield Scenarios(redis_port, neo4j_port, running)


def test_a_component_whose_processes_all_stopped_fires_ttacomponentabsent(scenarios: Scenarios) -> None:
    assert wait_until(lambda: bool(_firing("TTAComponentAbsent", GONE)), timeout=FIRES_WITHIN_S, interval=5)
    assert _firing("TTAComponentAbsent", GONE) == [
        {
            "alertname": "TTAComponentAbsent",
            "severity": "warning",
            "component": GONE,
            "deployment_environment_name": ENVIRONMENT,
            "tta_component": GONE,
            "tta_repository": REPOSITORY,
        }
    ]


def test_status_shows_the_component_whose_processes_all_stopped_as_down(scenarios: Scenarios) -> None:
    """``tta-otel status`` uses the shipped 2-minute window (seen within the hour, silent since):
    no instance up, and the environment is down."""

    def silent() -> bool:
        (screen,) = status_document(run_status(environment=ENVIRONMENT))["environments"]
        (component,) = [c for c in screen["components"] if c["component"] == GONE]
        return bool(component["instances_up"] == 0)

    assert wait_until(silent, timeout=150, interval=5)
    result = run_status(environment=ENVIRONMENT)
    assert result.returncode == 2
    assert f"[{ENVIRONMENT}] {GONE} ({REPOSITORY}): no instance reporting" in status_document(result)["reasons"]


def _regressions() -> list[dict[str, str]]:
    return [a for a in _firing("TTADeploymentRegression", DEPLOYED) if a.get("regression") == "errors"]


def test_a_new_version_with_more_errors_fires_ttadeploymentregression(scenarios: Scenarios) -> None:
    assert wait_until(lambda: bool(_regressions()), timeout=FIRES_WITHIN_S, interval=5)
    assert _regressions() == [
        {
            "alertname": "TTADeploymentRegression",
            "severity": "warning",
            "component": DEPLOYED,
            "regression": "errors",
            "deployment_environment_name": ENVIRONMENT,
            "tta_component": DEPLOYED,
            "tta_repository": REPOSITORY,
            "service_version": NEW_VERSION,
        }
    ]


def test_the_deployment_regression_reaches_alertmanager(scenarios: Scenarios) -> None:
    def received() -> list[str]:
        response = httpx.get(
            f"{URLS['TTA_ALERTMANAGER_URL']}/api/v2/alerts",
            params={"filter": ['alertname="TTADeploymentRegression"', f'tta_component="{DEPLOYED}"']},
            auth=alertmanager_auth(),
            timeout=10,
        )
        return [alert["labels"]["service_version"] for alert in response.json()]

    assert wait_until(lambda: bool(received()), timeout=60, interval=2)
    assert received() == [NEW_VERSION]


DEPENDENCY_ALERTS = {"redis": "TTARedisDown", "neo4j": "TTANeo4jDown"}


def _down(dependency: str) -> list[dict[str, str]]:
    return _firing(DEPENDENCY_ALERTS[dependency], CACHE_USER)


@pytest.mark.parametrize("dependency", DEPENDENCY_ALERTS)
def test_a_stopped_dependency_fires_its_alert_from_the_health_checks(scenarios: Scenarios, dependency: str) -> None:
    assert wait_until(lambda: bool(_down(dependency)), timeout=FIRES_WITHIN_S, interval=5)
    assert _down(dependency) == [
        {
            "alertname": DEPENDENCY_ALERTS[dependency],
            "severity": "critical",
            "component": dependency,
            "source": "health_check",
            "deployment_environment_name": ENVIRONMENT,
            "tta_component": CACHE_USER,
            "tta_dependency_name": scenarios.dependency_names[dependency],
            "tta_dependency_type": dependency,
        }
    ]


@pytest.mark.parametrize("dependency", DEPENDENCY_ALERTS)
def test_the_alert_resolves_once_the_dependency_is_back(scenarios: Scenarios, dependency: str) -> None:
    assert wait_until(lambda: bool(_down(dependency)), timeout=FIRES_WITHIN_S, interval=5)
    scenarios.start_again(dependency)
    assert wait_until(lambda: not _down(dependency), timeout=RESOLVES_WITHIN_S, interval=5)
