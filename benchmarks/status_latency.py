"""``tta-otel status`` latency against a stack with 20 components (issue 14).

The native stack runs on its default ports (stop any other stack first). 21 components announce
themselves through the real collector as the distro does: each has a meter provider of its own
with its own resource (component, repository, environment, version, instance) exporting every 5 s
over OTLP/gRPC with the collector's token, and reports ``tta.component.info``, requests
(``http.server.request.duration``, 1 % of them 5xx) and a Redis health check
(``tta.dependency.up``). They are meter providers in this one process rather than 21 services,
which would take the machine's cores for their own start-up, not for what status asks of
Prometheus; what Prometheus stores for each is what a service's process makes it store.

20 of them are in one environment, 1 in another. Measured, in rounds that alternate the two:
the wall time of ``tta-otel status --json --environment <env>`` as a person runs it (a process of
its own, Python's start-up included), and of ``tta-otel status --json`` over both; and, to see
the queries apart from the start-up, the same scopes through ``collect()`` in this process (every
Prometheus query and store probe status makes, without rendering). Baseline in the same run: the
same command, and the same ``collect()``, for the environment with 1 component.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

from tta_otel import semconv
from tta_otel.ops import secrets as stack_secrets
from tta_otel.ops.client_credentials import prometheus_auth
from tta_otel.ops.reports.prometheus import PrometheusClient
from tta_otel.ops.secrets import SecretsDir
from tta_otel.ops.stack.runner import URLS, Stack, client_environment
from tta_otel.ops.status.collect import collect

REPO = Path(__file__).resolve().parents[1]
TTA_OTEL = str(Path(sys.executable).parent / "tta-otel")
MANY, ONE = "bench-twenty", "bench-one"
COMPONENTS = 20
EXPORT_INTERVAL_MS = 5_000


def _component(environment: str, name: str) -> MeterProvider:
    """One component's process, as far as Prometheus can tell: its resource and its metrics."""
    resource = Resource.create(
        {
            "service.name": f"tta-{name}",
            "service.instance.id": str(uuid.uuid4()),
            "service.version": "1.0.0",
            "tta.component": name,
            "tta.repository": "tta.dev",
            "deployment.environment.name": environment,
        }
    )
    exporter = OTLPMetricExporter(endpoint=URLS["TTA_OTLP_GRPC_ENDPOINT"])
    provider = MeterProvider(
        resource=resource,
        metric_readers=[PeriodicExportingMetricReader(exporter, export_interval_millis=EXPORT_INTERVAL_MS)],
    )
    meter = provider.get_meter("benchmarks.status_latency")

    def info(options: CallbackOptions) -> Iterable[Observation]:
        yield Observation(1, {semconv.SERVICE_VERSION: "1.0.0"})

    def redis_up(options: CallbackOptions) -> Iterable[Observation]:
        yield Observation(1, {semconv.TTA_DEPENDENCY_NAME: "127.0.0.1:6379/0", semconv.TTA_DEPENDENCY_TYPE: "redis"})

    meter.create_observable_gauge(semconv.TTA_COMPONENT_INFO.name, [info], unit=semconv.TTA_COMPONENT_INFO.unit)
    meter.create_observable_gauge(semconv.TTA_DEPENDENCY_UP.name, [redis_up], unit=semconv.TTA_DEPENDENCY_UP.unit)
    requests = meter.create_histogram("http.server.request.duration", unit="s")
    for index in range(100):
        status = 503 if index == 0 else 200
        requests.record(
            0.01 + index / 1000,
            {
                "http.request.method": "GET",
                "http.route": "/players/{player_id}/scene",
                "http.response.status_code": status,
            },
        )
    return provider


def _components_seen(environment: str) -> int:
    """Components of ``environment`` whose request rate Prometheus can compute (two exports in)."""
    requests = f'http_server_request_duration_seconds_count{{deployment_environment_name="{environment}"}}'
    response = httpx.get(
        f"{URLS['TTA_PROMETHEUS_URL']}/api/v1/query",
        params={"query": f"count(count by (tta_component) (rate({requests}[5m])))"},
        auth=prometheus_auth(),
        timeout=10,
    )
    result = response.json()["data"]["result"]
    return int(float(result[0]["value"][1])) if result else 0


def _status(*arguments: str) -> tuple[float, dict[str, Any]]:
    started = time.monotonic()
    result = subprocess.run(
        [TTA_OTEL, "status", "--json", *arguments], capture_output=True, text=True, timeout=120, check=False
    )
    elapsed = time.monotonic() - started
    document: dict[str, Any] = json.loads(result.stdout)
    return elapsed, document


def _collect(environment: str | None) -> float:
    credentials = prometheus_auth()
    client = PrometheusClient(URLS["TTA_PROMETHEUS_URL"], timeout_s=10.0, credentials=credentials)
    started = time.monotonic()
    collect(client, datetime.now(UTC), credentials, environment)
    return time.monotonic() - started


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "median_s": round(statistics.median(values), 3),
        "min_s": round(min(values), 3),
        "max_s": round(max(values), 3),
    }


def measure(rounds: int = 10) -> dict[str, Any]:
    scopes = {"one_component": ONE, "twenty_components": MANY, "all_21": None}
    times: dict[str, list[float]] = {name: [] for name in scopes}
    in_process: dict[str, list[float]] = {name: [] for name in scopes}
    shown: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as state:
        secrets = SecretsDir(Path(state) / "secrets")
        secrets.init()
        stack = Stack(REPO, Path(state), secrets)
        providers: list[MeterProvider] = []
        saved = dict(os.environ)
        try:
            stack.up()
            token = secrets.read(stack_secrets.OTLP_TOKEN)
            os.environ.update(
                {**client_environment(secrets), "OTEL_EXPORTER_OTLP_HEADERS": f"authorization=Bearer%20{token}"}
            )
            providers = [_component(MANY, f"component-{index:02d}") for index in range(COMPONENTS)]
            providers.append(_component(ONE, "component-alone"))
            deadline = time.monotonic() + 120
            while (_components_seen(MANY), _components_seen(ONE)) != (COMPONENTS, 1):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the components did not reach Prometheus: {_components_seen(MANY)}")
                time.sleep(2)
            for _ in range(rounds):
                for name, environment in scopes.items():
                    elapsed, document = _status(*(("--environment", environment) if environment else ()))
                    times[name].append(elapsed)
                    shown[name] = sum(len(screen["components"]) for screen in document["environments"])
                    in_process[name].append(_collect(environment))
        finally:
            for provider in providers:
                provider.shutdown()
            os.environ.clear()
            os.environ.update(saved)
            stack.down()
    one, one_collect = statistics.median(times["one_component"]), statistics.median(in_process["one_component"])
    return {
        "cli": {name: _summary(values) for name, values in times.items()},
        "collect_in_process": {name: _summary(values) for name, values in in_process.items()},
        "components_shown": shown,
        "ratio_twenty_to_one": {
            "cli": round(statistics.median(times["twenty_components"]) / one, 2),
            "collect_in_process": round(statistics.median(in_process["twenty_components"]) / one_collect, 2),
        },
        "ratio_all_21_to_one": {
            "cli": round(statistics.median(times["all_21"]) / one, 2),
            "collect_in_process": round(statistics.median(in_process["all_21"]) / one_collect, 2),
        },
        "rounds": rounds,
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
