"""From a dependency going down to the operator knowing (issue 14): a real redis-server under
the example service (``opentelemetry-instrument``, tta_otel's defaults: a health check every
15 s, metrics exported every 5 s, through the real collector) is stopped; measured are the
seconds until ``tta_dependency_up == 0`` is visible in Prometheus, until ``TTARedisDown``
(``source="health_check"``, ``for: 2m``) is pending, and until it fires. Prometheus evaluates
every 15 s, as the native stack ships it.

Baseline in the same run, stopped at the same moment: the same gauge written straight into
Prometheus's OTLP receiver every 5 s, switching from 1 to 0 at the stop, for a component of its
own. It skips the health-check interval, the SDK's export interval and the collector, so the
difference is what the service side adds; what both share is Prometheus's evaluation and ``for:``.

The native stack runs on its default ports (stop any other stack first). The rounds run at the
same time, each with its own Redis and service, stopped a few seconds apart so that the stops
fall at different moments of the 15 s check cycle.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import threading
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.metrics.v1.metrics_pb2 import Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from tta_otel import semconv
from tta_otel.ops.client_credentials import prometheus_auth
from tta_otel.ops.secrets import SecretsDir
from tta_otel.ops.stack.runner import URLS, Stack, client_environment
from tta_otel.testing.processes import distro_environment, free_port, instrumented_service, redis_server

REPO = Path(__file__).resolve().parents[1]
PROMETHEUS = URLS["TTA_PROMETHEUS_URL"]
ENVIRONMENT = "bench-dependency-down"
STAGGER_S = 7.0
GIVE_UP_S = 360.0
MARKS = ("visible_down_s", "pending_s", "firing_s")


def _strings(values: dict[str, str]) -> list[KeyValue]:
    return [KeyValue(key=key, value=AnyValue(string_value=value)) for key, value in values.items()]


class _DirectReporter:
    """The baseline: ``tta_dependency_up`` written straight to Prometheus every 5 s, as one instance."""

    def __init__(self, component: str, dependency: str) -> None:
        self.component, self.dependency = component, dependency
        self.up = 1
        self.stopped = threading.Event()

    def _write(self) -> None:
        point = NumberDataPoint(
            time_unix_nano=time.time_ns(),
            as_int=self.up,
            attributes=_strings({semconv.TTA_DEPENDENCY_NAME: self.dependency, semconv.TTA_DEPENDENCY_TYPE: "redis"}),
        )
        metric = Metric(
            name=semconv.TTA_DEPENDENCY_UP.name, unit=semconv.TTA_DEPENDENCY_UP.unit, gauge=Gauge(data_points=[point])
        )
        resource = Resource(
            attributes=_strings(
                {
                    "service.name": f"tta-{self.component}",
                    "service.instance.id": "baseline",
                    "tta.component": self.component,
                    "deployment.environment.name": ENVIRONMENT,
                }
            )
        )
        request = ExportMetricsServiceRequest(
            resource_metrics=[ResourceMetrics(resource=resource, scope_metrics=[ScopeMetrics(metrics=[metric])])]
        )
        httpx.post(
            f"{PROMETHEUS}/api/v1/otlp/v1/metrics",
            content=request.SerializeToString(),
            headers={"Content-Type": "application/x-protobuf"},
            auth=prometheus_auth(),
            timeout=10,
        ).raise_for_status()

    def run(self) -> None:
        while True:
            self._write()
            if self.stopped.wait(5):
                return

    def go_down(self) -> None:
        self.up = 0
        self._write()


def _components_reporting(up: int) -> set[str]:
    """The components whose Redis check reports ``up`` (1 or 0) in Prometheus now."""
    response = httpx.get(
        f"{PROMETHEUS}/api/v1/query",
        params={"query": f'tta_dependency_up{{deployment_environment_name="{ENVIRONMENT}"}} == {up}'},
        auth=prometheus_auth(),
        timeout=10,
    )
    return {sample["metric"]["tta_component"] for sample in response.json()["data"]["result"]}


def _alerts() -> dict[str, tuple[str, float]]:
    """TTARedisDown from the health checks of this benchmark: state and activeAt, by component."""
    response = httpx.get(f"{PROMETHEUS}/api/v1/alerts", auth=prometheus_auth(), timeout=10)
    found = {}
    for alert in response.json()["data"]["alerts"]:
        labels = alert["labels"]
        if labels.get("alertname") == "TTARedisDown" and labels.get("deployment_environment_name") == ENVIRONMENT:
            found[labels["tta_component"]] = (alert["state"], datetime.fromisoformat(alert["activeAt"]).timestamp())
    return found


def _watch(components: set[str], stopped_at: dict[str, float]) -> dict[str, dict[str, float]]:
    """Poll every 0.5 s, from before the first stop, until every component's alert fires: seconds
    from its stop (``stopped_at``, filled in by the thread that stops them) to each mark."""
    marks: dict[str, dict[str, float]] = {component: {} for component in components}
    deadline = time.time() + GIVE_UP_S
    while time.time() < deadline and not all(len(found) == len(MARKS) for found in marks.values()):
        now = time.time()
        down, alerts = _components_reporting(0), _alerts()
        for component, since in list(stopped_at.items()):
            if component in down:
                marks[component].setdefault("visible_down_s", now - since)
            if component in alerts:
                state, active_at = alerts[component]
                marks[component].setdefault("pending_s", active_at - since)
                if state == "firing":
                    marks[component].setdefault("firing_s", now - since)
        time.sleep(0.5)
    return marks


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "median_s": round(statistics.median(values), 1),
        "min_s": round(min(values), 1),
        "max_s": round(max(values), 1),
    }


def measure(rounds: int = 3) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as state, ExitStack() as running:
        secrets = SecretsDir(Path(state) / "secrets")
        secrets.init()
        stack = Stack(REPO, Path(state), secrets)
        saved = dict(os.environ)
        running.callback(os.environ.update, saved)
        running.callback(os.environ.clear)
        running.callback(stack.down)
        stack.up()
        os.environ.update(client_environment(secrets))  # the token file and the CA, for the services
        redises: list[ExitStack] = []
        reporters: list[_DirectReporter] = []
        for index in range(rounds):
            redis = ExitStack()
            running.callback(redis.close)
            port = free_port()
            url = redis.enter_context(redis_server(port))
            config = Path(state) / f"service-{index}.yaml"
            config.write_text(f"monitoring:\n  component: service-{index}\n  environment: {ENVIRONMENT}\n")
            env = distro_environment(URLS["TTA_OTLP_GRPC_ENDPOINT"], config, url)
            running.enter_context(instrumented_service(env, cwd=REPO))
            reporter = _DirectReporter(f"baseline-{index}", f"127.0.0.1:{port}/0")
            running.callback(reporter.stopped.set)
            threading.Thread(target=reporter.run, daemon=True).start()
            redises.append(redis)
            reporters.append(reporter)
        expected = {f"service-{i}" for i in range(rounds)} | {f"baseline-{i}" for i in range(rounds)}
        deadline = time.monotonic() + 120
        while _components_reporting(1) != expected:
            if time.monotonic() > deadline:
                raise RuntimeError(f"not every component reported its Redis up: {_components_reporting(1)}")
            time.sleep(1)
        stopped_at: dict[str, float] = {}

        def stop_each() -> None:
            for index, (redis, reporter) in enumerate(zip(redises, reporters, strict=True)):
                if index:
                    time.sleep(STAGGER_S)
                redis.close()
                stopped_at[f"service-{index}"] = time.time()
                stopped_at[f"baseline-{index}"] = time.time()
                reporter.go_down()

        stopping = threading.Thread(target=stop_each)
        stopping.start()
        marks = _watch(expected, stopped_at)
        stopping.join()
    through = [marks[f"service-{i}"] for i in range(rounds)]
    direct = [marks[f"baseline-{i}"] for i in range(rounds)]
    incomplete = [name for name, found in marks.items() if len(found) != len(MARKS)]
    return {
        "through_the_service_and_collector": {
            mark: _summary([m[mark] for m in through if mark in m]) for mark in MARKS if any(mark in m for m in through)
        },
        "baseline_straight_to_prometheus": {
            mark: _summary([m[mark] for m in direct if mark in m]) for mark in MARKS if any(mark in m for m in direct)
        },
        "incomplete": incomplete,
        "rounds": rounds,
        "settings": {"health_interval_s": 15, "metric_export_s": 5, "evaluation_interval_s": 15, "for_s": 120},
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
