"""``tta-otel status`` against the real stack: a service started under the distro appears without
configuration, and the exit status says healthy (0), degraded (1) or down (2) as the stack is.

Each test asks for its own environment only (``--environment``), so components that other stack
tests started and stopped do not count; the collector and the stores are shared and do. A
component whose processes all stopped is shown down in tests/stack/test_live_alerts.py, whose
stopped component has been silent long enough by then (one wait for both).
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.unit.test_tta_sh import run_monitoring
from tta_otel.ops.stack.runner import URLS, Stack
from tta_otel.testing.processes import distro_environment, instrumented_service, redis_server, wait_until

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
TTA_OTEL = str(Path(sys.executable).parent / "tta-otel")
ENVIRONMENT = f"status-{uuid.uuid4().hex[:8]}"


def run_status(*arguments: str, environment: str = ENVIRONMENT) -> subprocess.CompletedProcess[str]:
    """``tta-otel status --json`` for one environment (also tests/stack/test_live_alerts.py's)."""
    command = [TTA_OTEL, "status", "--json", "--environment", environment, *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def status_document(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The JSON that ``run_status`` printed."""
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _screen(document: dict[str, Any]) -> dict[str, Any]:
    screens: list[dict[str, Any]] = [e for e in document["environments"] if e["name"] == ENVIRONMENT]
    (screen,) = screens
    return screen


def _ready(document: dict[str, Any]) -> bool:
    """The service's requests, its heartbeat and its Redis check have all reached Prometheus."""
    screens = [e for e in document.get("environments", []) if e["name"] == ENVIRONMENT]
    if not screens or not screens[0]["components"] or not screens[0]["dependencies"]:
        return False
    component = screens[0]["components"][0]
    return bool(component["request_rate"]) and component["p95_latency_s"] is not None


@pytest.fixture(scope="module")
def service(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The example service under the distro in its own environment, with healthy traffic only."""
    config = tmp_path_factory.mktemp("status") / "tta_config.yaml"
    config.write_text(f"monitoring:\n  component: player-api\n  repository: tta.dev\n  environment: {ENVIRONMENT}\n")
    with redis_server() as redis_url:
        env = distro_environment(URLS["TTA_OTLP_GRPC_ENDPOINT"], config, redis_url)
        with instrumented_service(env, cwd=REPO) as running:

            def traffic_reported() -> bool:
                for _ in range(5):
                    httpx.get(f"{running.url}/players/p-1/scene", timeout=10).raise_for_status()
                return _ready(status_document(run_status()))

            assert wait_until(traffic_reported, timeout=90, interval=2)
            yield


def test_a_component_started_with_the_distro_appears_without_configuration(service: None) -> None:
    (component,) = _screen(status_document(run_status()))["components"]
    assert (component["repository"], component["component"], component["instances"], component["instances_up"]) == (
        "tta.dev",
        "player-api",
        1,
        1,
    )
    assert (component["error_ratio"], component["budget_left"], component["status"]) == (0.0, 1.0, "healthy")


def test_the_components_redis_is_reported_up(service: None) -> None:
    (dependency,) = _screen(status_document(run_status()))["dependencies"]
    assert (dependency["type"], dependency["instances"], dependency["instances_up"]) == ("redis", 1, 1)


def test_a_healthy_stack_exits_0(service: None) -> None:
    result = run_status()
    assert (result.returncode, status_document(result)["status"], status_document(result)["reasons"]) == (
        0,
        "healthy",
        [],
    )


def test_a_stopped_log_store_is_degraded(service: None, stack: Stack) -> None:
    stack.stop("victorialogs")
    try:
        result = run_status()
    finally:
        stack.start("victorialogs")
        stack.wait_ready(["victorialogs"])
    (store,) = [s for s in status_document(result)["platform"]["stores"] if s["name"] == "victorialogs"]
    assert (result.returncode, store["reachable"], status_document(result)["status"]) == (1, False, "degraded")


def test_a_stopped_alertmanager_is_down(service: None, stack: Stack) -> None:
    stack.stop("alertmanager")
    try:
        result = run_status()
    finally:
        stack.start("alertmanager")
        stack.wait_ready(["alertmanager"])
    (store,) = [s for s in status_document(result)["platform"]["stores"] if s["name"] == "alertmanager"]
    assert (result.returncode, store["reachable"], status_document(result)["status"]) == (2, False, "down")


def test_tta_sh_monitoring_status_reads_the_stack(service: None) -> None:
    result = run_monitoring("status", "--json", "--environment", ENVIRONMENT)
    assert (result.returncode, _screen(json.loads(result.stdout))["components"][0]["component"]) == (0, "player-api")
