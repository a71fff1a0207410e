"""The collector loses nothing when a store is down or when it is killed: its sending queues
are persisted with file_storage and retried until delivered. Each signal is checked against
its real store of the native stack: metrics in Prometheus, traces in Jaeger, logs in
VictoriaLogs (Loki and Tempo run under compose only, see docs/stack.md)."""

from __future__ import annotations

import os
import re
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.stack.otlp_requests import send_counter, send_log, send_span
from tta_otel.ops.client_credentials import jaeger_auth, prometheus_auth, victorialogs_auth
from tta_otel.ops.stack.runner import URLS, Stack
from tta_otel.ops.stores import JaegerClient, VictoriaLogsClient
from tta_otel.testing.processes import wait_until
from tta_otel.testing.stored import log_records_of_service, spans_of_service

pytestmark = pytest.mark.integration

# a number: default-deny replaces the string values of keys the policy does not list
SEQUENCE = "sequence"


def _send_metric(service: str, sequence: int) -> None:
    send_counter(service, "tta.reliability.probe", 1, {SEQUENCE: sequence})


def _send_span(service: str, sequence: int) -> None:
    send_span(service, uuid.uuid4().bytes, "reliability probe", {SEQUENCE: sequence})


def _send_log(service: str, sequence: int) -> None:
    send_log(service, uuid.uuid4().bytes, "reliability probe", {SEQUENCE: sequence})


def _metrics_in_prometheus(service: str) -> list[int]:
    response = httpx.get(
        f"{URLS['TTA_PROMETHEUS_URL']}/api/v1/series",
        auth=prometheus_auth(),
        params={"match[]": f'tta_reliability_probe_total{{service_name="{service}"}}'},
        timeout=10,
    )
    return sorted(int(series[SEQUENCE]) for series in response.json()["data"])


def _spans_in_jaeger(service: str) -> list[int]:
    def sequence(span: dict[str, Any]) -> int:
        return next(int(tag["value"]) for tag in span["tags"] if tag["key"] == SEQUENCE)

    jaeger = JaegerClient(URLS["TTA_JAEGER_URL"], jaeger_auth())
    return sorted(sequence(span) for span in spans_of_service(jaeger, service))


def _logs_in_victorialogs(service: str) -> list[int]:
    logs = VictoriaLogsClient(URLS["TTA_VICTORIALOGS_URL"], victorialogs_auth())
    return sorted(int(record[SEQUENCE]) for record in log_records_of_service(logs, service))


@dataclass(frozen=True)
class Route:
    """One signal's route through the collector: how a probe is sent, the store and the exporter
    that sends to it, and the probes the store holds (their sequence numbers, sorted)."""

    store: str
    exporter: str
    send: Callable[[str, int], None]
    stored: Callable[[str], list[int]]


ROUTES = [
    pytest.param(Route("prometheus", "otlp_http/prometheus", _send_metric, _metrics_in_prometheus), id="metrics"),
    pytest.param(Route("jaeger", "otlp_grpc/jaeger", _send_span, _spans_in_jaeger), id="traces"),
    pytest.param(Route("victorialogs", "otlp_http/victorialogs", _send_log, _logs_in_victorialogs), id="logs"),
]


def _queued(exporter: str) -> float:
    metrics = httpx.get("http://127.0.0.1:8888/metrics", timeout=5).text
    pattern = rf'^otelcol_exporter_queue_size\{{[^}}]*exporter="{re.escape(exporter)}"[^}}]*\}} (\S+)$'
    return sum(float(value) for value in re.findall(pattern, metrics, flags=re.MULTILINE))


def _restore(stack: Stack, store: str) -> None:
    for name in (store, "otel-collector"):
        stack.start(name)
    stack.wait_ready([store, "otel-collector"], timeout=60)


def _assert_stored(route: Route, service: str, expected: list[int], timeout: float) -> None:
    """The store ends up holding exactly the probes sent: none lost, none twice."""
    wait_until(lambda: route.stored(service) == expected, timeout=timeout, interval=1)
    assert route.stored(service) == expected


@pytest.mark.parametrize("route", ROUTES)
def test_everything_sent_during_a_60_s_store_outage_arrives(stack: Stack, route: Route) -> None:
    service = f"outage-{route.store}-{os.getpid()}"
    stack.stop(route.store)
    try:
        started = time.monotonic()
        sent = 0
        while time.monotonic() - started < 60:
            route.send(service, sent)
            sent += 1
            time.sleep(2)
    finally:
        _restore(stack, route.store)
    _assert_stored(route, service, list(range(sent)), timeout=90)


@pytest.mark.parametrize("route", ROUTES)
def test_queued_data_survives_a_collector_killed_with_sigkill(stack: Stack, route: Route) -> None:
    service = f"sigkill-{route.store}-{os.getpid()}"
    stack.stop(route.store)
    try:
        route.send(service, 0)
        assert wait_until(lambda: _queued(route.exporter) > 0, timeout=30)
        stack.stop("otel-collector", sig=signal.SIGKILL, grace=0)
    finally:
        _restore(stack, route.store)
    _assert_stored(route, service, [0], timeout=60)
