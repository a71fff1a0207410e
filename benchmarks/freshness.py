"""Freshness: how long after a span ends, a log call returns or a counter moves in a TTA
service the data is queryable in its store, through the real native stack: spans in Jaeger
(the trace by id), log records in VictoriaLogs (LogsQL), counters in Prometheus (PromQL).
Target: p95 under 5 s.

The service side is tta_otel's own configuration (the same code ``opentelemetry-instrument``
runs) with its defaults: 1 s batch delays, a metric export every 5 s. Each sample starts at a
random moment of the metric export cycle, as real updates do. The baseline, in the same run:
the same kind of data written straight into each store over OTLP (benchmarks/direct_writes.py),
which is what the store itself needs before a query finds it; and ``one_query_s``, what one
query of each store takes, the resolution of every figure. Also measures ``tta-otel stack up``
with cached binaries, from an empty state directory.
"""

from __future__ import annotations

import logging
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from opentelemetry import metrics, trace
from opentelemetry.instrumentation.logging.handler import LoggingHandler

from benchmarks import direct_writes
from tta_otel.config import load_config
from tta_otel.configurator import configure_telemetry
from tta_otel.ops.client_credentials import jaeger_auth, prometheus_auth, victorialogs_auth
from tta_otel.ops.secrets import SecretsDir
from tta_otel.ops.stack.runner import URLS, Stack, client_environment
from tta_otel.ops.stores import JaegerClient, VictoriaLogsClient

REPO = Path(__file__).resolve().parents[1]
TARGET_P95_S = 5.0
KINDS = ("span_to_jaeger", "log_to_victorialogs", "metric_to_prometheus")
_GIVE_UP_S = 30.0


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_s": round(statistics.median(ordered), 2),
        "p95_s": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 2),
        "max_s": round(ordered[-1], 2),
    }


def seconds_until_found(since: Mapping[str, float], found: Mapping[str, Callable[[], bool]]) -> dict[str, float]:
    """For each kind, seconds from ``since[kind]`` until ``found[kind]()`` first holds (inf after
    30 s); each is polled in its own thread, so a slow query of one store delays no other."""

    def poll(kind: str) -> float:
        deadline = time.monotonic() + _GIVE_UP_S
        while time.monotonic() < deadline:
            if found[kind]():
                return time.monotonic() - since[kind]
            time.sleep(0.05)
        return float("inf")

    with ThreadPoolExecutor(max_workers=len(found)) as pool:
        return dict(zip(found, pool.map(poll, found), strict=True))


class _Stores:
    """Whether a probe is queryable yet, in each store of the stack, asked as a person would."""

    def __init__(self) -> None:
        self.jaeger = JaegerClient(URLS["TTA_JAEGER_URL"], jaeger_auth())
        self.logs = VictoriaLogsClient(URLS["TTA_VICTORIALOGS_URL"], victorialogs_auth())

    def _in_prometheus(self, metric: str, probe: int) -> bool:
        response = httpx.get(
            f"{URLS['TTA_PROMETHEUS_URL']}/api/v1/query",
            auth=prometheus_auth(),
            params={"query": f'{metric}{{probe="{probe}"}}'},
            timeout=5,
        )
        return bool(response.json()["data"]["result"])

    def found(self, trace_id: str, marker: str, metric: str, probe: int) -> dict[str, Callable[[], bool]]:
        """The check of each kind: the trace by id, the log body's marker, the counter's probe label."""
        return {
            "span_to_jaeger": lambda: self.jaeger.trace(trace_id) is not None,
            "log_to_victorialogs": lambda: bool(self.logs.query(f'"{marker}"', limit=1)),
            "metric_to_prometheus": lambda: self._in_prometheus(metric, probe),
        }


def _probe() -> int:
    """A counter's probe label: a number, because default-deny replaces the string values of
    attribute keys the privacy policy does not list (numbers pass)."""
    return uuid.uuid4().int % 10**12


class _Service:
    """The service side: a span, a log call and a counter through tta_otel's configuration."""

    def __init__(self, state: Path) -> None:
        config = state / "tta_config.yaml"
        config.write_text("monitoring:\n  component: freshness-probe\n")
        telemetry = configure_telemetry(load_config(config))
        assert telemetry is not None
        self.telemetry = telemetry
        self.logger = logging.getLogger("freshness")
        self.logger.addHandler(LoggingHandler(logger_provider=telemetry.logger_provider))
        self.logger.propagate = False
        self.tracer = trace.get_tracer("freshness")
        self.counter = metrics.get_meter("freshness").create_counter("tta.freshness.probe")

    def sample(self, stores: _Stores) -> dict[str, float]:
        marker = uuid.uuid4().hex
        with self.tracer.start_as_current_span(f"probe-{marker}") as span:
            trace_id = f"{span.get_span_context().trace_id:032x}"
        since = {"span_to_jaeger": time.monotonic()}
        self.logger.warning("probe %s", marker)
        since["log_to_victorialogs"] = time.monotonic()
        probe = _probe()
        self.counter.add(1, {"probe": probe})
        since["metric_to_prometheus"] = time.monotonic()
        return seconds_until_found(since, stores.found(trace_id, marker, "tta_freshness_probe_total", probe))


def _straight_to_the_store(stores: _Stores) -> dict[str, float]:
    trace_id, marker, probe = uuid.uuid4().hex, uuid.uuid4().hex, _probe()
    direct_writes.span_to_jaeger(trace_id)
    since = {"span_to_jaeger": time.monotonic()}
    direct_writes.log_to_victorialogs(marker)
    since["log_to_victorialogs"] = time.monotonic()
    direct_writes.counter_to_prometheus(probe)
    since["metric_to_prometheus"] = time.monotonic()
    return seconds_until_found(since, stores.found(trace_id, marker, "tta_freshness_baseline_total", probe))


def _query_seconds(stores: _Stores, rounds: int = 5) -> dict[str, float]:
    """The median time of one query of each store, for a probe it does not have: how late a poll
    can see what arrived (the resolution of every figure above, baseline included)."""
    found = stores.found(uuid.uuid4().hex, uuid.uuid4().hex, "tta_freshness_probe_total", _probe())
    times: dict[str, list[float]] = {kind: [] for kind in found}
    for _ in range(rounds):
        for kind, check in found.items():
            started = time.monotonic()
            check()
            times[kind].append(time.monotonic() - started)
    return {kind: round(statistics.median(values), 3) for kind, values in times.items()}


def measure(samples: int = 10) -> dict[str, Any]:
    through: dict[str, list[float]] = {kind: [] for kind in KINDS}
    direct: dict[str, list[float]] = {kind: [] for kind in KINDS}
    with tempfile.TemporaryDirectory() as state:
        secrets = SecretsDir(Path(state) / "secrets")
        secrets.init()
        stack = Stack(REPO, Path(state), secrets)
        started = time.monotonic()
        stack.up()
        stack_up_s = time.monotonic() - started
        os.environ.update(
            {
                **client_environment(secrets),  # the token file and the CA, as `tta-otel stack env` gives them
                "OTEL_EXPORTER_OTLP_ENDPOINT": URLS["TTA_OTLP_GRPC_ENDPOINT"],
                "TTA_PSEUDONYM_KEY": "a synthetic benchmark key of 32 bytes or more",
            }
        )
        service = _Service(Path(state))
        stores = _Stores()
        try:
            jitter = random.Random(5)
            for _ in range(samples):
                # Updates happen at any moment of the 5 s export cycle, not just after an export.
                time.sleep(jitter.uniform(0, 5))
                for kind, seconds in service.sample(stores).items():
                    through[kind].append(seconds)
                for kind, seconds in _straight_to_the_store(stores).items():
                    direct[kind].append(seconds)
            query_s = _query_seconds(stores)
        finally:
            service.telemetry.shutdown()
            stack.down()
    through_the_collector = {kind: percentiles(values) for kind, values in through.items()}
    return {
        "through_the_collector": through_the_collector,
        "baseline_straight_to_the_store": {kind: percentiles(values) for kind, values in direct.items()},
        "p95_under_target": {kind: value["p95_s"] < TARGET_P95_S for kind, value in through_the_collector.items()},
        "one_query_s": query_s,
        "stack_up_with_cached_binaries_s": round(stack_up_s, 2),
        "samples": samples,
        "target": {"p95_s": TARGET_P95_S},
    }


if __name__ == "__main__":
    import json

    print(json.dumps(measure(), indent=2))
