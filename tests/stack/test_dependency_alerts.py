"""TTARedisDown from the health checks in a real Prometheus: ``tta.dependency.up`` written as a
service's SDK exports it is stored as ``tta_dependency_up``, and the alert fires once every
instance has reported the dependency down for its ``for:`` duration, then resolves when it is up.

The points go to Prometheus's own OTLP receiver, not through the collector: the collector's
privacy processors are generated from the packaged policy, which does not list
``tta.dependency.name`` and ``tta.dependency.type`` yet (docs/health.md), so through it the
labels would arrive as ``[REDACTED:unlisted]`` and no rule could select by type."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.metrics.v1.metrics_pb2 import Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from tests.stack.otlp_requests import key_values
from tta_otel import semconv
from tta_otel.ops.client_credentials import prometheus_auth
from tta_otel.ops.stack.runner import URLS, Stack
from tta_otel.testing.processes import wait_until

PROMETHEUS = URLS["TTA_PROMETHEUS_URL"]
DEPENDENCY = "cache.tta.internal:6379/0"
FIRES_WITHIN_S = 240.0  # for: 2m, plus evaluation intervals
RESOLVES_WITHIN_S = 90.0


def _report(component: str, up: int) -> None:
    """One export of the gauge by one instance of ``component``, as the SDK sends it."""
    point = NumberDataPoint(
        time_unix_nano=time.time_ns(),
        as_int=up,
        attributes=key_values({semconv.TTA_DEPENDENCY_NAME: DEPENDENCY, semconv.TTA_DEPENDENCY_TYPE: "redis"}),
    )
    metric = Metric(
        name=semconv.TTA_DEPENDENCY_UP.name, unit=semconv.TTA_DEPENDENCY_UP.unit, gauge=Gauge(data_points=[point])
    )
    resource = Resource(
        attributes=key_values(
            {
                "service.name": f"tta-{component}",
                "service.instance.id": "a",
                "tta.component": component,
                "deployment.environment.name": "production",
            }
        )
    )
    request = ExportMetricsServiceRequest(
        resource_metrics=[ResourceMetrics(resource=resource, scope_metrics=[ScopeMetrics(metrics=[metric])])]
    )
    response = httpx.post(
        f"{PROMETHEUS}/api/v1/otlp/v1/metrics",
        content=request.SerializeToString(),
        headers={"Content-Type": "application/x-protobuf"},
        auth=prometheus_auth(None),
        timeout=10,
    )
    response.raise_for_status()


def _firing(component: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{PROMETHEUS}/api/v1/alerts", auth=prometheus_auth(None), timeout=10)
    return [
        alert["labels"]
        for alert in response.json()["data"]["alerts"]
        if alert["labels"].get("alertname") == "TTARedisDown"
        and alert["labels"].get("tta_component") == component
        and alert["state"] == "firing"
    ]


def _reporting(component: str, up: int, until: Any, within: float) -> bool:
    """Report ``up`` every 5 s (as a service exports) until ``until()`` holds or ``within`` passes."""

    def report_then_check() -> bool:
        _report(component, up)
        return bool(until())

    return wait_until(report_then_check, timeout=within, interval=5)


def test_redis_down_on_every_instance_fires_then_resolves(stack: Stack) -> None:
    component = f"health-{uuid.uuid4().hex[:8]}"
    assert _reporting(component, 0, lambda: _firing(component), FIRES_WITHIN_S)
    assert _firing(component) == [
        {
            "alertname": "TTARedisDown",
            "severity": "critical",
            "component": "redis",
            "source": "health_check",
            "deployment_environment_name": "production",
            "tta_component": component,
            "tta_dependency_name": DEPENDENCY,
            "tta_dependency_type": "redis",
        }
    ]
    assert _reporting(component, 1, lambda: not _firing(component), RESOLVES_WITHIN_S)
