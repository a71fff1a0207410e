"""The collector loses nothing when a backend is down or when it is killed: its sending
queues are persisted with file_storage. The backend here is the real Prometheus; Loki
and Tempo cannot run natively (see docs/stack.md)."""

from __future__ import annotations

import os
import re
import signal
import time

import httpx
import pytest

from tests.stack.otlp_requests import send_counter
from tta_otel.ops.client_credentials import prometheus_auth
from tta_otel.ops.stack.runner import Stack
from tta_otel.testing.processes import wait_until

pytestmark = pytest.mark.integration
PROMETHEUS = "http://127.0.0.1:9090"


def _series_count(service: str, metric: str) -> int:
    """How many series of ``metric`` (its Prometheus name) the service has in Prometheus."""
    response = httpx.get(
        f"{PROMETHEUS}/api/v1/series",
        auth=prometheus_auth(),
        params={"match[]": f'{metric}{{service_name="{service}"}}'},
    )
    return len(response.json()["data"])


def _queued(exporter: str = "otlp_http/prometheus") -> float:
    metrics = httpx.get("http://127.0.0.1:8888/metrics", timeout=5).text
    pattern = rf'^otelcol_exporter_queue_size\{{[^}}]*exporter="{re.escape(exporter)}"[^}}]*\}} (\S+)$'
    return sum(float(value) for value in re.findall(pattern, metrics, flags=re.MULTILINE))


def _restore(stack: Stack) -> None:
    for name in ("prometheus", "otel-collector"):
        stack.start(name)
    stack.wait_ready(["prometheus", "otel-collector"], timeout=60)


def test_everything_sent_during_a_60_s_backend_outage_arrives(stack: Stack) -> None:
    service = f"outage-{os.getpid()}"
    stack.stop("prometheus")
    try:
        started = time.monotonic()
        sent = 0
        while time.monotonic() - started < 60:
            # a number: default-deny replaces the string values of keys the policy does not list
            send_counter(service, "tta.outage.probe", 1, {"sequence": sent})
            sent += 1
            time.sleep(2)
    finally:
        _restore(stack)
    assert wait_until(lambda: _series_count(service, "tta_outage_probe_total") == sent, timeout=90, interval=1)


def test_queued_data_survives_a_collector_killed_with_sigkill(stack: Stack) -> None:
    service = f"sigkill-{os.getpid()}"
    stack.stop("prometheus")
    try:
        send_counter(service, "tta.sigkill.probe", 1, {"kind": "queued"})
        assert wait_until(lambda: _queued() > 0, timeout=30)
        stack.stop("otel-collector", sig=signal.SIGKILL, grace=0)
    finally:
        _restore(stack)
    assert wait_until(lambda: _series_count(service, "tta_sigkill_probe_total") == 1, timeout=60, interval=1)
