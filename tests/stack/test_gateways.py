"""No single point of loss (docs/gateways.md): with the collector as an agent in front of two gateway
collectors, a gateway killed with SIGKILL under load loses nothing. Every span of every trace and
every log record that the agent accepted arrives in Jaeger and VictoriaLogs, the supervisor starts
the killed gateway again, and the other one exports after the kill. How many spans the agent
handed the other gateway while the killed one was down is measured and printed, not asserted:
the outage lasts about a second, and on a busy machine the agent can lag by as much.

The package's stack is reused: its single collector is stopped, the agent and two gateways take
its ports and the same stores, and the single collector comes back afterwards.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.stack.conftest import REPO
from tests.stack.otlp_requests import COLLECTOR_HTTP, collector_auth, logs_request, traces_request
from tta_otel.ops.client_credentials import jaeger_auth
from tta_otel.ops.stack import gateways
from tta_otel.ops.stack.runner import URLS, Stack
from tta_otel.ops.stack.supervisor import Supervisor
from tta_otel.ops.stores import JaegerClient, VictoriaLogsClient
from tta_otel.testing.processes import wait_until

pytestmark = pytest.mark.integration

LOAD_S = 16.0
KILL_AT_S = 5.0
TICK_S = 0.1
TRACES_PER_TICK = 2
SPANS_PER_TRACE = 20
RECORDS_PER_TRACE = 10
"""About 400 spans and 200 log records a second, in 20 traces; each record is written inside a span.
Few traces of many spans: Jaeger's search loads trace by trace, and is slow on a busy machine."""
VICTIM, SURVIVOR = 1, 2


@pytest.fixture(scope="module")
def topology(stack: Stack) -> Iterator[Stack]:
    """The package's stack with an agent and two gateways in place of its collector, supervised
    (one pass a second, as `stack up` does); the single collector is back afterwards."""
    stack.stop("otel-collector")
    with_gateways = Stack(REPO, stack.state_dir, stack.secrets, gateways=2)
    stop = threading.Event()
    supervisor = threading.Thread(target=Supervisor(with_gateways).run, args=(stop, 1.0), daemon=True)
    try:
        with_gateways.up(timeout=60)
        supervisor.start()
        yield with_gateways
    finally:
        stop.set()
        if supervisor.is_alive():
            supervisor.join(10)
        for name in ("otel-collector", *with_gateways.gateway_names()):  # the agent first: it drains to them
            with_gateways.stop(name)
        # the package's own stack object starts its collector again (and records one collector),
        # so that it owns the process the tests after this one stop and wait for
        stack.up(timeout=60)


def _spans(gateway: int, counter: str) -> float:
    """A span counter of gateway ``gateway``'s own metrics: ``otelcol_receiver_accepted_spans``
    (taken from the agent) or ``otelcol_exporter_sent_spans`` (handed to Jaeger)."""
    port = gateways.gateway_ports(gateway).metrics
    metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    pattern = rf"^{counter}(?:_total)?(?:\{{[^}}]*\}})? (\S+)$"
    return sum(float(value) for value in re.findall(pattern, metrics, flags=re.MULTILINE))


ACCEPTED, SENT = "otelcol_receiver_accepted_spans", "otelcol_exporter_sent_spans"


def _ready(gateway: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{gateways.gateway_ports(gateway).health}/", timeout=0.2).is_success
    except httpx.HTTPError:
        return False


@dataclass
class Load:
    """What the load sent (every trace id, in hex), and what happened around the kill: the victim's
    pid, how long it was not ready, and the spans the survivor had taken from the agent and handed
    to Jaeger at the kill, and had taken the last time it was looked at while the victim was down."""

    service: str
    traces: list[str] = field(default_factory=list)
    requests: int = 0
    victim_pid: int | None = None
    killed_at: float | None = None
    outage_s: float | None = None
    survivor_at_kill: float = 0.0
    survivor_sent_at_kill: float = 0.0
    survivor_while_down: float = 0.0
    duration_s: float = 0.0

    def watch(self, now: float, victim_pid: int | None) -> None:
        """Between the kill and the victim's return (a new process that answers its health check:
        the killed one may still answer for a moment after SIGKILL): the survivor's progress, or
        the end of the outage."""
        if self.killed_at is None or self.outage_s is not None:
            return
        if victim_pid not in (None, self.victim_pid) and _ready(VICTIM):
            self.outage_s = now - self.killed_at
        else:
            self.survivor_while_down = _spans(SURVIVOR, ACCEPTED)


def _send(client: httpx.Client, path: str, message: Any) -> None:
    """One OTLP request, tried again for up to 10 s while the agent does not answer (it reloads its
    configuration when a gateway leaves or joins), as the SDK's exporters do."""
    deadline = time.monotonic() + 10
    while True:
        try:
            response = client.post(
                f"{COLLECTOR_HTTP}{path}",
                content=message.SerializeToString(),
                headers={"Content-Type": "application/x-protobuf"},
            )
            if response.status_code != 503 or time.monotonic() > deadline:
                response.raise_for_status()
                return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)


def _drive(stack: Stack, seconds: float = LOAD_S, kill_at: float | None = KILL_AT_S, name: str = "gateways") -> Load:
    """Spans and logs every ``TICK_S`` for ``seconds``; the victim gets SIGKILL at ``kill_at`` (None: never)."""
    load = Load(f"{name}-{os.getpid()}")
    victim = stack.service(gateways.gateway_name(VICTIM))
    auth = collector_auth()
    with httpx.Client(verify=auth["verify"], headers=auth["headers"], timeout=10) as client:
        started = time.monotonic()
        while (elapsed := time.monotonic() - started) < seconds:
            if kill_at is not None and load.killed_at is None and elapsed >= kill_at:
                load.victim_pid = stack.pid(victim)
                assert load.victim_pid is not None
                os.kill(load.victim_pid, signal.SIGKILL)
                load.killed_at = time.monotonic()
                load.survivor_at_kill = load.survivor_while_down = _spans(SURVIVOR, ACCEPTED)
                load.survivor_sent_at_kill = _spans(SURVIVOR, SENT)
            load.watch(time.monotonic(), stack.pid(victim))
            trace_ids = [uuid.uuid4().bytes for _ in range(TRACES_PER_TICK)]
            _send(client, "/v1/traces", traces_request(load.service, trace_ids, SPANS_PER_TRACE))
            _send(client, "/v1/logs", logs_request(load.service, trace_ids, RECORDS_PER_TRACE))
            load.traces += [trace_id.hex() for trace_id in trace_ids]
            load.requests += 2
            time.sleep(max(0.0, started + (load.requests // 2) * TICK_S - time.monotonic()))
        load.duration_s = time.monotonic() - started
    return load


SPAN_IDS = {f"{number:016x}" for number in range(1, SPANS_PER_TRACE + 1)}


class StoredTraces:
    """The load's traces as Jaeger holds them: which are not whole (a span id missing), and how
    many spans it holds twice. One search for all of them: each request to Jaeger costs a bcrypt
    check of its password, more than a search of a few thousand spans."""

    def __init__(self, trace_ids: list[str], service: str) -> None:
        self._store = JaegerClient(URLS["TTA_JAEGER_URL"], jaeger_auth(), timeout_s=60)
        self._expected = set(trace_ids)
        self._service = service
        self.not_whole = len(trace_ids)
        self.duplicates = 0

    def all_whole(self) -> bool:
        span_ids: dict[str, list[str]] = {}
        for trace in self._store.find(self._service, {}, lookback="1h", limit=len(self._expected) + 100):
            for span in trace.get("spans") or []:
                span_ids.setdefault(str(span["traceID"]).zfill(32), []).append(str(span["spanID"]).zfill(16))
        whole = {trace_id for trace_id, ids in span_ids.items() if set(ids) == SPAN_IDS}
        self.not_whole = len(self._expected - whole)
        self.duplicates = sum(len(ids) - len(set(ids)) for ids in span_ids.values())
        return self.not_whole == 0 and set(span_ids) == self._expected


def _log_records(store: VictoriaLogsClient, load: Load) -> tuple[int, int]:
    """(distinct records by trace and span id, records) of the load's log records."""
    query = f'service.name:="{load.service}" | stats count_uniq(trace_id, span_id) as distinct, count() as records'
    rows = store.query(query, limit=1)
    return (int(rows[0]["distinct"]), int(rows[0]["records"])) if rows else (0, 0)


def test_a_gateway_killed_with_sigkill_under_load_loses_no_span_and_no_log(
    topology: Stack, log_store: VictoriaLogsClient
) -> None:
    victim = gateways.gateway_name(VICTIM)
    load = _drive(topology)
    assert load.killed_at is not None

    # the supervisor started the killed gateway again, as a new process, while the load went on
    assert load.outage_s is not None
    assert topology.restarts(victim) == 1
    assert topology.pid(topology.service(victim)) not in (None, load.victim_pid)

    load_ended = time.monotonic()
    traces = StoredTraces(load.traces, load.service)
    records_sent = len(load.traces) * RECORDS_PER_TRACE
    assert wait_until(traces.all_whole, timeout=75, interval=3), f"{traces.not_whole} traces not whole"
    assert wait_until(lambda: _log_records(log_store, load)[0] == records_sent, timeout=30, interval=1)
    distinct, records = _log_records(log_store, load)
    spans_sent = len(load.traces) * SPANS_PER_TRACE
    print(
        f"\ngateways: {len(load.traces)} traces ({spans_sent} spans) and {records_sent} log records in"
        f" {load.duration_s:.1f} s ({(spans_sent + records_sent) / load.duration_s:.0f} items/s); the killed"
        f" gateway was ready again {load.outage_s:.1f} s after the kill, the survivor took"
        f" {load.survivor_while_down - load.survivor_at_kill:.0f} spans meanwhile; all stored"
        f" {time.monotonic() - load_ended:.1f} s after the load ended; stored twice: {traces.duplicates} spans,"
        f" {records - distinct} log records"
    )
    assert distinct == records_sent
    # and the survivor handed spans to Jaeger after the kill
    assert _spans(SURVIVOR, SENT) > load.survivor_sent_at_kill


def test_a_gateway_that_stays_down_leaves_the_ring_and_the_survivor_takes_its_share(topology: Stack) -> None:
    victim = gateways.gateway_name(VICTIM)
    topology.stop(victim, signal.SIGKILL)  # held: the supervisor leaves it down
    assert wait_until(lambda: topology.gateway_members() == [SURVIVOR], timeout=10, interval=0.2)

    load = _drive(topology, seconds=4.0, kill_at=None, name="gateway-down")
    traces = StoredTraces(load.traces, load.service)
    assert wait_until(traces.all_whole, timeout=75, interval=3), f"{traces.not_whole} traces not whole"
    assert not topology.is_running(victim)  # every trace, half of them the victim's share, went to the survivor

    topology.start(victim)
    assert wait_until(lambda: topology.gateway_members() == [VICTIM, SURVIVOR], timeout=30, interval=0.2)
    taken = _spans(VICTIM, ACCEPTED)
    _drive(topology, seconds=1.0, kill_at=None, name="gateway-back")
    assert wait_until(lambda: _spans(VICTIM, ACCEPTED) > taken, timeout=30, interval=0.5)
