"""The compose collector's Loki tenants and retention classes, run natively: the collector with
collector-config/compose.yaml sends each TTA repository's logs with its own X-Scope-OrgID, after the
privacy processors, and the logs of no known repository to the tenant "unassigned"; each record
arrives in a resource that names its retention class, the stream label of Loki's per-severity
retention. Loki itself cannot run here (AGPL, see docs/stack.md); an in-memory OTLP receiver stands
in for it (and for Prometheus's OTLP receiver) and records the headers."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from faker import Faker
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs, SeverityNumber
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from tests.stack.conftest import REPO
from tests.stack.otlp_requests import key_values, send
from tta_otel.ops.secrets import SecretsDir
from tta_otel.ops.stack.runner import running_component
from tta_otel.semconv import TTA_LOG_RETENTION_CLASS
from tta_otel.testing.otlp_sink import OtlpSink, attributes
from tta_otel.testing.processes import collector_addresses, health_port, wait_until

REPOSITORIES = ["tta.dev", "tta.prototype", "tta.prod", None]


@pytest.fixture(scope="module")
def loki() -> Iterator[OtlpSink]:
    with OtlpSink() as sink:
        yield sink


@dataclass(frozen=True)
class Collector:
    url: str
    debugging_ports: tuple[int, int]  # where pprof and zpages would listen


@pytest.fixture(scope="module")
def collector(
    tmp_path_factory: pytest.TempPathFactory, loki: OtlpSink, stack_secrets: SecretsDir
) -> Iterator[Collector]:
    """A private collector with the compose overlay; its Loki exporters point at the stand-in."""
    addresses = collector_addresses()
    configs = [REPO / "collector-config" / name for name in ("otelcol.yaml", "privacy.yaml", "compose.yaml")]
    environment = {
        **addresses,
        "TTA_PROMETHEUS_OTLP_ENDPOINT": f"{loki.endpoint}/v1/metrics",
        "TTA_LOKI_OTLP_ENDPOINT": loki.endpoint,
    }
    http, pprof, zpages = (
        int(addresses[f"TTA_COLLECTOR_{name}_ENDPOINT"].rpartition(":")[2]) for name in ("OTLP_HTTP", "PPROF", "ZPAGES")
    )
    state = tmp_path_factory.mktemp("compose-collector")
    with running_component(
        REPO,
        "otel-collector",
        state,
        stack_secrets,
        configs=configs,
        port=health_port(addresses),
        extra_environment=environment,
    ):
        yield Collector(f"https://127.0.0.1:{http}", (pprof, zpages))


def _send(collector: str, repository: str | None, *records: LogRecord) -> None:
    """``records`` in one request, under one resource of ``repository`` (None: none)."""
    resource: dict[str, Any] = {"service.name": "tenant-test"}
    if repository is not None:
        resource["tta.repository"] = repository
    request = ExportLogsServiceRequest(
        resource_logs=[
            ResourceLogs(
                resource=Resource(attributes=key_values(resource)), scope_logs=[ScopeLogs(log_records=list(records))]
            )
        ]
    )
    send("/v1/logs", request, collector)


def _record(body: str, severity_number: int = 0) -> LogRecord:
    return LogRecord(
        time_unix_nano=time.time_ns(),
        severity_number=SeverityNumber.ValueType(severity_number),
        body=AnyValue(string_value=body),
    )


def _tenants_of(loki: OtlpSink, marker: str) -> dict[str | None, set[str]]:
    """For each repository (None: none) whose marked record arrived, the tenants it arrived under."""
    found: dict[str | None, set[str]] = {}
    for headers, message in list(loki.received.headers):
        if not isinstance(message, ExportLogsServiceRequest):
            continue
        for resource_logs in message.resource_logs:
            if marker not in str(resource_logs):
                continue
            attributes = {kv.key: kv.value.string_value for kv in resource_logs.resource.attributes}
            found.setdefault(attributes.get("tta.repository"), set()).add(headers.get("x-scope-orgid", ""))
    return found


def test_each_repository_lands_in_its_own_tenant_after_redaction(collector: Collector, loki: OtlpSink) -> None:
    marker = uuid.uuid4().hex
    email = Faker().email()
    for repository in REPOSITORIES:
        _send(collector.url, repository, _record(f"{marker} mail from {email}"))

    assert wait_until(lambda: len(_tenants_of(loki, marker)) == len(REPOSITORIES), timeout=30), _tenants_of(
        loki, marker
    )
    assert _tenants_of(loki, marker) == {
        "tta.dev": {"tta.dev"},
        "tta.prototype": {"tta.prototype"},
        "tta.prod": {"tta.prod"},
        None: {"unassigned"},
    }
    assert email not in str(loki.received.logs)


# OTLP severity numbers: TRACE 1, DEBUG 5, INFO 9, WARN 13, ERROR 17, FATAL 21; 0 unset.
SEVERITY_CLASSES = {
    0: "info",
    1: "debug",
    5: "debug",
    8: "debug",
    9: "info",
    12: "info",
    13: "warn",
    17: "warn",
    21: "warn",
}


def _classes_of(loki: OtlpSink, marker: str) -> dict[int, tuple[str, str]]:
    """For each marked record that arrived (by the severity number in its body): its resource's
    retention class and the tenant it arrived under."""
    found = {}
    for headers, message in list(loki.received.headers):
        if not isinstance(message, ExportLogsServiceRequest):
            continue
        for resource_logs in message.resource_logs:
            resource = attributes(resource_logs.resource.attributes)
            for scope_logs in resource_logs.scope_logs:
                for record in scope_logs.log_records:
                    if record.body.string_value.startswith(marker):
                        found[int(record.body.string_value.split()[1])] = (
                            resource.get(TTA_LOG_RETENTION_CLASS, ""),
                            headers.get("x-scope-orgid", ""),
                        )
    return found


def test_each_record_arrives_in_a_resource_named_by_its_retention_class(collector: Collector, loki: OtlpSink) -> None:
    marker = uuid.uuid4().hex
    _send(collector.url, "tta.prod", *(_record(f"{marker} {number}", number) for number in SEVERITY_CLASSES))

    assert wait_until(lambda: len(_classes_of(loki, marker)) == len(SEVERITY_CLASSES), timeout=30), _classes_of(
        loki, marker
    )
    assert _classes_of(loki, marker) == {number: (name, "tta.prod") for number, name in SEVERITY_CLASSES.items()}


def test_the_log_counters_count_a_batch_of_several_classes_in_one_point_of_the_records_resource(
    collector: Collector, loki: OtlpSink
) -> None:
    """The counters count before the records are split by class: one delta point per series and
    batch (Prometheus's delta-to-cumulative conversion would keep only the first of several)."""
    service = f"count-{uuid.uuid4().hex[:8]}"
    resource = {"service.name": service, "tta.repository": "tta.dev"}
    records = [_record("[REDACTED:email] wrote", 5), _record("[REDACTED:email] wrote", 9), _record("failed", 17)]
    send(
        "/v1/logs",
        ExportLogsServiceRequest(
            resource_logs=[
                ResourceLogs(
                    resource=Resource(attributes=key_values(resource)), scope_logs=[ScopeLogs(log_records=records)]
                )
            ]
        ),
        collector.url,
    )

    def points() -> list[tuple[dict[str, Any], str, int]]:
        return [
            (attributes(resource_metrics.resource.attributes), metric.name, point.as_int)
            for message in list(loki.received.metrics)
            if isinstance(message, ExportMetricsServiceRequest)
            for resource_metrics in message.resource_metrics
            if attributes(resource_metrics.resource.attributes).get("service.name") == service
            for scope_metrics in resource_metrics.scope_metrics
            for metric in scope_metrics.metrics
            for point in metric.sum.data_points
        ]

    assert wait_until(lambda: len(points()) >= 2, timeout=30)
    assert sorted(points(), key=lambda point: point[1]) == [
        (resource, "tta.log.error_records", 1),
        (resource, "tta.log.redacted_records", 2),
    ]


def test_the_compose_collector_serves_no_debugging_extensions(collector: Collector) -> None:
    for port in collector.debugging_ports:
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"something listens on {port}"
