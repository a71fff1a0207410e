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
    Route("prometheus", "otlp_http/prometheus", _send_metric, _metrics_in_prometheus),
    Route("jaeger", "otlp_grpc/jaeger", _send_span, _spans_in_jaeger),
    Route("victorialogs", "otlp_http/victorialogs", _send_log, _logs_in_victorialogs),
]
"""One route per signal; each test runs them together, so one outage or one restart covers all three."""


def _queued(exporter: str) -> float:
    metrics = httpx.get("http://127.0.0.1:8888/metrics", timeout=5).text
    pattern = rf'^otelcol_exporter_queue_size\{{[^}}]*exporter="{re.escape(exporter)}"[^}}]*\}} (\S+)$'
    return sum(float(value) for value in re.findall(pattern, metrics, flags=re.MULTILINE))


def _restore(stack: Stack, *names: str) -> None:
    for name in (*names, "otel-collector"):
        stack.start(name)
    stack.wait_ready([*names, "otel-collector"], timeout=60)


def _assert_stored(service: str, expected: dict[str, list[int]], timeout: float) -> None:
    """Each store ends up holding exactly the probes sent to it: none lost, none twice."""

    def stored() -> dict[str, list[int]]:
        return {route.store: route.stored(service) for route in ROUTES}

    wait_until(lambda: stored() == expected, timeout=timeout, interval=1)
    assert stored() == expected


def test_everything_sent_during_a_60_s_outage_of_every_store_arrives(stack: Stack) -> None:
    service = f"outage-{os.getpid()}"
    stores = [route.store for route in ROUTES]
    for store in stores:
        stack.stop(store)
    try:
        started = time.monotonic()
        sent = 0
        while time.monotonic() - started < 60:
            for route in ROUTES:
                route.send(service, sent)
            sent += 1
            time.sleep(2)
    finally:
        _restore(stack, *stores)
    _assert_stored(service, {store: list(range(sent)) for store in stores}, timeout=90)


def test_queued_data_survives_a_collector_killed_with_sigkill(stack: Stack) -> None:
    service = f"sigkill-{os.getpid()}"
    stores = [route.store for route in ROUTES]
    for store in stores:
        stack.stop(store)
    try:
        for route in ROUTES:
            route.send(service, 0)
        assert wait_until(lambda: all(_queued(route.exporter) > 0 for route in ROUTES), timeout=30)
        stack.stop("otel-collector", sig=signal.SIGKILL, grace=0)
    finally:
        _restore(stack, *stores)
    _assert_stored(service, {store: [0] for store in stores}, timeout=60)


def test_a_collector_restarted_under_traffic_loses_nothing_it_accepted(stack: Stack) -> None:
    """A configuration change is applied by a restart (SIGTERM, start again): every probe the
    collector accepted before or after it arrives; the ones refused while it was down were never
    its to lose (a service's SDK retries those)."""
    service = f"restart-{os.getpid()}"
    accepted: dict[str, list[int]] = {route.store: [] for route in ROUTES}

    def probe(sequence: int) -> None:
        for route in ROUTES:
            try:
                route.send(service, sequence)
            except httpx.HTTPError:
                continue
            accepted[route.store].append(sequence)

    for sequence in range(10):
        probe(sequence)
    try:
        stack.stop("otel-collector")
        probe(10)
    finally:
        _restore(stack)
    for sequence in range(11, 21):
        probe(sequence)
    assert all(10 not in sequences for sequences in accepted.values())
    _assert_stored(service, accepted, timeout=60)
