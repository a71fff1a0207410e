"""Log-based alerts from real log traffic: records sent through the collector become the counters
the log rules read (count connector, after the privacy processors), in Prometheus, and the alert
expressions select the component that logged them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml
from faker import Faker
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.logs.v1.logs_pb2 import (
    SEVERITY_NUMBER_ERROR,
    SEVERITY_NUMBER_INFO,
    LogRecord,
    ResourceLogs,
    ScopeLogs,
)
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from tests.stack.conftest import REPO
from tests.stack.otlp_requests import key_values, send
from tta_otel.ops.client_credentials import prometheus_auth
from tta_otel.ops.stack.runner import URLS, Stack
from tta_otel.testing.processes import wait_until

ERRORS = 100  # above TTAErrorLogBurst's 50 in 5 minutes
REQUESTS = 10  # a burst over 10 seconds, as a service logs it: the collector counts batch by batch
RULES = {
    rule["alert"]: rule["expr"]
    for group in yaml.safe_load((REPO / "prometheus" / "rules" / "logs.yml").read_text())["groups"]
    for rule in group["rules"]
}


def _query(promql: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{URLS['TTA_PROMETHEUS_URL']}/api/v1/query", params={"query": promql}, auth=prometheus_auth(), timeout=10
    )
    return list(response.json()["data"]["result"])


@pytest.fixture(scope="module")
def component(stack: Stack) -> Iterator[str]:
    """A component that logs 100 errors in 10 s, each with an e-mail address the collector redacts,
    and an info line with each batch."""
    name = f"log-alerts-{uuid.uuid4().hex[:8]}"
    fake = Faker()
    resource = Resource(
        attributes=key_values(
            {"service.name": f"tta-{name}", "tta.component": name, "deployment.environment.name": "production"}
        )
    )
    for _ in range(REQUESTS):
        now = time.time_ns()
        records = [
            LogRecord(
                time_unix_nano=now,
                severity_number=SEVERITY_NUMBER_ERROR,
                severity_text="ERROR",
                body=AnyValue(string_value=f"cannot save the answer of {fake.email()}"),
            )
            for _ in range(ERRORS // REQUESTS)
        ]
        records.append(
            LogRecord(time_unix_nano=now, severity_number=SEVERITY_NUMBER_INFO, body=AnyValue(string_value="shown"))
        )
        request = ExportLogsServiceRequest(
            resource_logs=[ResourceLogs(resource=resource, scope_logs=[ScopeLogs(log_records=records)])]
        )
        send("/v1/logs", request)
        time.sleep(1)
    yield name


def _value(promql: str) -> float | None:
    result = _query(promql)
    return float(result[0]["value"][1]) if result else None


def test_error_records_are_counted_per_component(component: str) -> None:
    counted = f'sum(tta_log_error_records_total{{tta_component="{component}"}})'
    assert wait_until(lambda: _value(counted) == ERRORS, timeout=45), _value(counted)


def test_records_redacted_by_the_collector_are_counted(component: str) -> None:
    counted = f'sum(tta_log_redacted_records_total{{tta_component="{component}"}})'
    assert wait_until(lambda: _value(counted) == ERRORS, timeout=45), _value(counted)


def test_the_error_burst_expression_selects_the_component(component: str) -> None:
    def selected() -> set[str]:
        return {series["metric"]["tta_component"] for series in _query(RULES["TTAErrorLogBurst"])}

    assert wait_until(lambda: component in selected(), timeout=45), selected()
