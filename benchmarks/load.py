"""The load generator: N simulated players drive the example service (under the tta_otel distro)
over HTTP and WebSockets through the full native stack, then every store is read back.

    python -m benchmarks.load --players 20 --hold-s 60       # one run; JSON with --json
    python -m benchmarks.load --soak --soak-minutes 30       # a soak: memory must stay bounded
    python -m benchmarks.load --find-max --step 10           # the most players sustained

It starts its own native stack in a temporary directory (``--running-stack`` uses the one that
``tta-otel stack up`` started, with the environment of ``eval "$(tta-otel stack env)"``), a
throw-away redis-server and the example service; ramps the players up, holds, stops them, stops
the service (which flushes its telemetry) and waits for the stores. It reports requests/s,
spans/s, log records/s and metric points/s through the collector and the series of the
service; the collector's and the service's CPU and resident memory; freshness p50/p95 per store
under the load; what was lost (every answered request's trace in Jaeger, the log record of every
request that writes one in VictoriaLogs, every answered request counted in Prometheus); what was
refused or dropped (the collector's counters, the SDK's ``tta.telemetry.dropped``); and how many
planted values were found in any store (must be zero). docs/load.md has the load model and the
choices.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from faker import Faker

from benchmarks.freshness import KINDS as FRESHNESS_KINDS
from benchmarks.freshness import TARGET_P95_S, percentiles, seconds_until_found
from examples.tta_service.players import STREAM, Interaction, LoadModel, new_traceparent, play_load
from examples.tta_service.traffic import PlantedData
from tta_otel.ops.client_credentials import jaeger_auth, prometheus_auth, victorialogs_auth
from tta_otel.ops.reports.prometheus import PrometheusClient
from tta_otel.ops.secrets import SecretsDir
from tta_otel.ops.stack import gateways as gateway_topology
from tta_otel.ops.stack.runner import URLS, Stack, client_environment
from tta_otel.ops.stores import JaegerClient, VictoriaLogsClient
from tta_otel.testing.processes import distro_environment, instrumented_service, redis_server
from tta_otel.testing.stored import log_records_of_service, planted_in, spans_of_service, stored_text

REPO = Path(__file__).resolve().parents[1]
SERVICE = "tta-player-api"
COLLECTOR_METRICS_URL = "http://127.0.0.1:8888/metrics"
PLAYER_ROUTES = "/players/.*"
LOGGING_KINDS = frozenset({"scene", "fail", STREAM})
"""The interactions after which the service has written a log record in their trace: a scene
(INFO), a handled failure (ERROR with its exception) and a stream that ended (INFO)."""
DROP_COUNTERS = (
    "otelcol_receiver_refused",
    "otelcol_exporter_send_failed",
    "otelcol_exporter_enqueue_failed",
    "otelcol_processor_tta_privacy_failed_batches",
)
"""The collector's counters of what it refused or lost; each must not move during a run."""
THROUGH_THE_STACK = {"spans": "jaeger", "log_records": "victorialogs", "metric_points": "prometheus"}
"""Each signal's items, counted as its exporter sends them to its store."""
MAX_SLOPE_MIB_PER_HOUR = 10.0
"""The soak's bound on each process's memory growth after its warm-up: a least-squares slope of
resident memory of 10 MiB/hour or more fails. A leak of 1 KiB per request at 10 requests/s is
35 MiB/hour; at the bound a process takes more than four days to grow by 1 GiB."""
WARM_UP_FRACTION = 0.2
"""The first part of the hold left out of the slope: caches and pools filling up are no leak."""


@dataclass(frozen=True)
class LoadSettings:
    players: int = 20
    ramp_s: float = 10.0
    hold_s: float = 60.0
    model: LoadModel = field(default_factory=LoadModel)
    """What each player does and how long it thinks (examples/tta_service/players.py)."""
    freshness_every_s: float = 5.0
    """Mean seconds between freshness probes (one scene and one /health request each)."""
    sample_every_s: float = 5.0
    """Seconds between samples of the service's and the collector's CPU and memory."""
    settle_s: float = 90.0
    """How long the stores get, once the service stopped, to hold everything before it counts as lost."""
    seed: int = 16
    soak: bool = False
    max_slope_mib_per_hour: float = MAX_SLOPE_MIB_PER_HOUR


# ---- the collector's own metrics and the processes' resources ------------------------------------

_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][\w:]*)(?:\{(?P<labels>[^}]*)\})?\s+(?P<value>\S+)", re.MULTILINE)


@dataclass(frozen=True)
class CollectorSnapshot:
    """The collector tier's own metrics at one moment: the collector's (``:8888/metrics``) and,
    when the stack runs gateways (``--gateways``), each gateway's, summed."""

    at: float
    samples: tuple[tuple[str, str, float], ...]

    @classmethod
    def parse(cls, text: str, at: float) -> CollectorSnapshot:
        found = _SAMPLE.finditer(text)
        return cls(at, tuple((match["name"], match["labels"] or "", float(match["value"])) for match in found))

    @classmethod
    def scrape(cls) -> CollectorSnapshot:
        texts = [httpx.get(COLLECTOR_METRICS_URL, timeout=5).text]
        for index in range(1, gateway_topology.MAX_GATEWAYS + 1):
            with suppress(httpx.ConnectError):  # no such gateway
                url = f"http://127.0.0.1:{gateway_topology.gateway_ports(index).metrics}/metrics"
                texts.append(httpx.get(url, timeout=5).text)
        return cls.parse("\n".join(texts), time.monotonic())

    def total(self, name: str, label: str = "") -> float:
        """The sum of ``name``'s series whose labels contain ``label``; the name with or without
        the ``_total`` or ``_bytes`` suffix, as the collector's version serves it."""
        names = {name, f"{name}_total", f"{name}_bytes"}
        return sum(value for metric, labels, value in self.samples if metric in names and label in labels)


def _process_usage(pid: int) -> tuple[float, float]:
    """Resident memory (MiB) and CPU time used so far (s) of the process ``pid``, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+)", status, re.MULTILINE)
    rss_mib = int(match.group(1)) / 1024 if match else 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu_s = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime and stime
    return rss_mib, cpu_s


@dataclass(frozen=True)
class ResourceSample:
    at: float
    service_rss_mib: float
    service_cpu_s: float
    collector_rss_mib: float
    collector_cpu_s: float
    generator_cpu_s: float
    collector: CollectorSnapshot

    @classmethod
    def take(cls, service_pid: int) -> ResourceSample:
        collector = CollectorSnapshot.scrape()
        rss_mib, cpu_s = _process_usage(service_pid)
        return cls(
            collector.at,
            rss_mib,
            cpu_s,
            collector.total("otelcol_process_memory_rss") / 2**20,
            collector.total("otelcol_process_cpu_seconds"),
            time.process_time(),  # this process: the players, the probes and the sampler
            collector,
        )


def memory_slope_mib_per_hour(samples: Sequence[tuple[float, float]]) -> float | None:
    """The least-squares slope of (seconds, MiB) samples, in MiB/hour; None with fewer than three."""
    if len(samples) < 3:
        return None
    seconds, mib = zip(*samples, strict=True)
    if len(set(seconds)) < 2:
        return None
    return statistics.linear_regression(seconds, mib).slope * 3600


def _memory_slopes(samples: list[ResourceSample]) -> dict[str, float | None]:
    """Each process's memory slope over ``samples`` (``memory_slope_mib_per_hour``)."""
    return {
        process: memory_slope_mib_per_hour([(sample.at, getattr(sample, f"{process}_rss_mib")) for sample in samples])
        for process in ("service", "collector")
    }


def _after_warm_up(samples: list[ResourceSample], start: float, end: float) -> list[ResourceSample]:
    cut = start + WARM_UP_FRACTION * (end - start)
    return [sample for sample in samples if cut <= sample.at <= end]


# ---- the stores ------------------------------------------------------------------------------


class _Stores:
    """The stack's stores, asked with the credentials of ``tta-otel stack env``."""

    def __init__(self) -> None:
        # reading back every trace of a long run (a soak: thousands) takes Jaeger minutes, not seconds
        self.jaeger = JaegerClient(URLS["TTA_JAEGER_URL"], jaeger_auth(), timeout_s=600)
        self.logs = VictoriaLogsClient(URLS["TTA_VICTORIALOGS_URL"], victorialogs_auth())
        self.prometheus = PrometheusClient(URLS["TTA_PROMETHEUS_URL"], timeout_s=10, credentials=prometheus_auth())

    def value(self, promql: str) -> float | None:
        return self.prometheus.scalar(promql, datetime.now(UTC))

    def requests_counted(self, instance: str, route: str) -> float:
        """Requests of ``instance`` to routes matching ``route`` that Prometheus has counted."""
        selector = f'service_instance_id="{instance}", http_route=~"{route}"'
        promql = f"sum(http_server_request_duration_seconds_count{{{selector}}})"
        return self.value(promql) or 0.0


@dataclass
class _Stored:
    """What the stores hold of one service instance."""

    spans: list[dict[str, Any]]
    log_records: list[dict[str, Any]]
    requests_counted: float

    @classmethod
    def read(cls, stores: _Stores, instance: str, interactions: int) -> _Stored:
        limit = 2 * interactions + 1000
        return cls(
            spans_of_service(stores.jaeger, SERVICE, instance, limit=limit),
            log_records_of_service(stores.logs, SERVICE, instance, limit=20 * limit),
            stores.requests_counted(instance, PLAYER_ROUTES),
        )

    def loss(self, interactions: list[Interaction]) -> dict[str, dict[str, int]]:
        """For each check, what was expected, what is stored of it and what is missing."""
        answered = [interaction for interaction in interactions if interaction.answered]
        traces = {interaction.trace_id for interaction in answered}
        logging = {interaction.trace_id for interaction in answered if interaction.kind in LOGGING_KINDS}
        requests = sum(interaction.kind != STREAM for interaction in answered)
        stored_traces = {span["traceID"] for span in self.spans}
        logged = {str(record.get("trace_id", "")) for record in self.log_records}
        counted = int(self.requests_counted)
        return {
            "traces_in_jaeger": _expected(len(traces), len(traces & stored_traces)),
            "log_records_in_victorialogs": _expected(len(logging), len(logging & logged)),
            "requests_counted_in_prometheus": _expected(requests, min(requests, counted)),
        }


def _expected(expected: int, stored: int) -> dict[str, int]:
    return {"expected": expected, "stored": stored, "lost": expected - stored}


# ---- freshness under load --------------------------------------------------------------------


class _FreshnessProbe:
    """Now and then, a request whose telemetry is looked for at once: a scene request's trace (by
    its id) in Jaeger and its log record in VictoriaLogs, and a /health request (a route the
    players never use) in Prometheus's request count. Seconds from the response to each being
    queryable, as benchmarks/freshness.py measures them without load."""

    def __init__(self, service_url: str, stores: _Stores, instance: str, every_s: float, seed: int) -> None:
        self.url = service_url
        self.stores = stores
        self.instance = instance
        self.every_s = every_s
        self.rng = random.Random(seed)
        self.seconds: dict[str, list[float]] = {kind: [] for kind in FRESHNESS_KINDS}

    def _health_counted(self) -> float:
        return self.stores.requests_counted(self.instance, "/health")

    def run(self, stop: threading.Event, record: Callable[[Interaction], None]) -> None:
        deadline = time.monotonic() + 30  # the service's start-up /health requests, counted first
        while not self._health_counted() and time.monotonic() < deadline and not stop.wait(1):
            pass
        number = 0
        while not stop.wait(self.rng.uniform(0, 2 * self.every_s)):
            number += 1
            self._probe(number, record)

    def _probe(self, number: int, record: Callable[[Interaction], None]) -> None:
        trace_id, traceparent = new_traceparent()
        counted_before = self._health_counted()
        started = time.monotonic()
        try:
            status = httpx.get(
                f"{self.url}/players/probe-{number}/scene", headers={"traceparent": traceparent}, timeout=30
            ).status_code
        except httpx.HTTPError as error:
            record(Interaction("scene", trace_id, None, started, time.monotonic(), f"{type(error).__name__}: {error}"))
            return
        answered = time.monotonic()
        record(Interaction("scene", trace_id, status, started, answered))
        try:
            httpx.get(f"{self.url}/health", timeout=30)
        except httpx.HTTPError:
            return  # no sample this time; a player's request would have said why
        since = {"span_to_jaeger": answered, "log_to_victorialogs": answered, "metric_to_prometheus": time.monotonic()}
        found = {
            "span_to_jaeger": lambda: self.stores.jaeger.trace(trace_id) is not None,
            "log_to_victorialogs": lambda: bool(self.stores.logs.query(f'trace_id:="{trace_id}"', limit=1)),
            "metric_to_prometheus": lambda: self._health_counted() >= counted_before + 1,
        }
        for kind, seconds in seconds_until_found(since, found).items():
            self.seconds[kind].append(seconds)

    def report(self) -> dict[str, dict[str, float] | None]:
        return {kind: percentiles(values) if values else None for kind, values in self.seconds.items()}


# ---- one run ---------------------------------------------------------------------------------


class _Sampler:
    """Samples the service's and the collector's resources every ``every_s`` in a thread."""

    def __init__(self, service_pid: int, every_s: float) -> None:
        self.pid = service_pid
        self.every_s = every_s
        self.samples: list[ResourceSample] = []

    def take(self) -> ResourceSample:
        sample = ResourceSample.take(self.pid)
        self.samples.append(sample)
        return sample

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(self.every_s):
            self.take()


@contextmanager
def _threads(*targets: Callable[[threading.Event], None]) -> Iterator[threading.Event]:
    """Run each target in a thread until the block ends; they are told to stop, then joined."""
    stop = threading.Event()
    threads = [threading.Thread(target=target, args=(stop,), daemon=True) for target in targets]
    for thread in threads:
        thread.start()
    try:
        yield stop
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)


def _wait_for_the_stores(
    stores: _Stores, instance: str, interactions: list[Interaction], settle_s: float
) -> tuple[_Stored, float]:
    """Read the stores until nothing is missing or ``settle_s`` passes; what they hold, and when
    (seconds after the service stopped) they held all of it (inf if never)."""
    started = time.monotonic()
    while True:
        stored = _Stored.read(stores, instance, len(interactions))
        if not any(check["lost"] for check in stored.loss(interactions).values()):
            return stored, time.monotonic() - started
        if time.monotonic() - started > settle_s:
            return stored, float("inf")
        time.sleep(2)


def _planted_found(stores: _Stores, stored: _Stored, planted: list[PlantedData]) -> dict[str, list[str]]:
    """The names of the planted values found in each store: the service's spans in Jaeger, its log
    records in VictoriaLogs, and every label name and value Prometheus holds (of every series)."""
    texts = {
        "jaeger": stored_text(stored.spans),
        "victorialogs": stored_text(stored.log_records),
        "prometheus": stored_text([stores.prometheus.label_values()]),
    }
    return {
        store: sorted({name for player in planted for name in planted_in(text, player.secrets())})
        for store, text in texts.items()
    }


def _rate(count: float, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0


def _dropped(before: CollectorSnapshot, after: CollectorSnapshot) -> dict[str, float]:
    return {counter: after.total(counter) - before.total(counter) for counter in DROP_COUNTERS}


def _sdk_dropped(stores: _Stores, instance: str) -> dict[str, float]:
    """The service's ``tta.telemetry.dropped`` by signal and reason, where not zero."""
    by = "tta_telemetry_signal, tta_telemetry_reason"
    promql = f'sum by ({by}) (tta_telemetry_dropped_total{{service_instance_id="{instance}"}})'
    samples = stores.prometheus.query(promql, datetime.now(UTC))
    return {
        f"{sample.labels.get('tta_telemetry_signal')}/{sample.labels.get('tta_telemetry_reason')}": sample.value
        for sample in samples
        if sample.value
    }


def _memory(samples: list[ResourceSample], field: str) -> dict[str, float | None]:
    values = [getattr(sample, field) for sample in samples]
    return {
        "mean_mib": round(statistics.fmean(values), 1) if values else None,
        "max_mib": round(max(values), 1) if values else None,
    }


@dataclass
class _Run:
    """Everything one run saw, for its report."""

    settings: LoadSettings
    instance: str
    planted: list[PlantedData]
    interactions: list[Interaction]
    hold: dict[str, ResourceSample]
    samples: list[ResourceSample]
    freshness: dict[str, dict[str, float] | None]
    series: float
    stored: _Stored
    settled_s: float
    collector_dropped: dict[str, float]
    sdk_dropped: dict[str, float]
    planted_found: dict[str, list[str]]


def run_load(settings: LoadSettings) -> dict[str, Any]:
    """One run against the native stack already up, with this process's environment that of
    ``tta-otel stack env``; the report (``verdict`` says whether it passed)."""
    fake = Faker()
    fake.seed_instance(settings.seed)
    planted = [PlantedData.generate(fake) for _ in range(settings.players)]
    instance = str(uuid.uuid4())
    stores = _Stores()
    interactions: list[Interaction] = []
    hold: dict[str, ResourceSample] = {}
    before = CollectorSnapshot.scrape()
    with tempfile.TemporaryDirectory() as workdir, redis_server() as redis_url:
        config = Path(workdir) / "tta_config.yaml"
        config.write_text("monitoring:\n  component: player-api\n  repository: tta.dev\n  environment: load\n")
        env = distro_environment(
            URLS["TTA_OTLP_GRPC_ENDPOINT"],
            config,
            redis_url,
            OTEL_RESOURCE_ATTRIBUTES=f"service.instance.id={instance}",
            # every request header becomes a span attribute: the planted headers must be redacted there too
            OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST=".*",
        )
        # Leaving the block stops the service with SIGTERM: it flushes what it still holds, then exits.
        with instrumented_service(env, cwd=REPO) as service:
            sampler = _Sampler(service.process.pid, settings.sample_every_s)
            probe = _FreshnessProbe(service.url, stores, instance, settings.freshness_every_s, settings.seed)

            def mark(phase: str) -> None:
                hold[phase] = sampler.take()

            with _threads(sampler.run, lambda stop: probe.run(stop, interactions.append)):
                asyncio.run(
                    play_load(
                        service.url,
                        planted,
                        settings.model,
                        settings.ramp_s,
                        settings.hold_s,
                        settings.seed,
                        interactions.append,
                        on_hold=mark,
                    )
                )
            series = stores.value(f'count({{service_instance_id="{instance}"}})') or 0.0
    stored, settled_s = _wait_for_the_stores(stores, instance, interactions, settings.settle_s)
    return _report(
        _Run(
            settings,
            instance,
            planted,
            interactions,
            hold,
            sampler.samples,
            probe.report(),
            series,
            stored,
            settled_s,
            _dropped(before, CollectorSnapshot.scrape()),
            _sdk_dropped(stores, instance),
            _planted_found(stores, stored, planted),
        )
    )


def _report(run: _Run) -> dict[str, Any]:
    start, end = run.hold["start"], run.hold["end"]
    hold_s = end.at - start.at
    in_hold = [interaction for interaction in run.interactions if start.at <= interaction.ended <= end.at]
    loss = run.stored.loss(run.interactions)
    held = [sample for sample in run.samples if start.at <= sample.at <= end.at]
    steady = _after_warm_up(run.samples, start.at, end.at)
    slopes = _memory_slopes(steady)
    later_slopes = _memory_slopes(steady[len(steady) // 2 :])  # settling flattens there, a leak does not
    dropped = {**{name: value for name, value in run.collector_dropped.items() if value}, **run.sdk_dropped}
    verdict = {
        "zero_loss": not any(check["lost"] for check in loss.values()),
        "zero_dropped": not dropped,
        "zero_planted_found": not any(run.planted_found.values()),
        "every_request_answered": all(interaction.answered for interaction in run.interactions),
        "freshness_p95_under_target": all(
            value is not None and value["p95_s"] < TARGET_P95_S for value in run.freshness.values()
        ),
    }
    if run.settings.soak:
        verdict["memory_bounded"] = all(
            slope is not None and slope < run.settings.max_slope_mib_per_hour for slope in slopes.values()
        )

    def through(signal: str) -> float:
        name, store = f"otelcol_exporter_sent_{signal}", THROUGH_THE_STACK[signal]
        return end.collector.total(name, store) - start.collector.total(name, store)

    def process(name: str) -> dict[str, Any]:
        cpu_s = getattr(end, f"{name}_cpu_s") - getattr(start, f"{name}_cpu_s")
        return {
            "cpu_cores": round(cpu_s / hold_s, 3),
            "rss": _memory(held, f"{name}_rss_mib"),
            "rss_slope_mib_per_hour": _round(slopes[name]),
            "rss_slope_second_half_mib_per_hour": _round(later_slopes[name]),
        }

    return {
        "settings": asdict(run.settings),
        "instance": run.instance,
        "hold_s": round(hold_s, 1),
        "requests": {
            "sent": len(run.interactions),
            "answered": sum(interaction.answered for interaction in run.interactions),
            "by_kind": dict(sorted(Counter(interaction.kind for interaction in run.interactions).items())),
            "per_s": _rate(len(in_hold), hold_s),
            "unanswered": dict(
                Counter(f"{i.kind}: {i.error}" for i in run.interactions if not i.answered).most_common(5)
            ),
        },
        "through_the_stack_per_s": {signal: _rate(through(signal), hold_s) for signal in THROUGH_THE_STACK},
        "series_of_the_service": int(run.series),
        "collector": process("collector"),
        "service": process("service"),
        "generator": {"cpu_cores": round((end.generator_cpu_s - start.generator_cpu_s) / hold_s, 3)},
        "freshness": run.freshness,
        "loss": loss,
        "stores_complete_after_stop_s": _round(run.settled_s),
        "dropped": {"collector": run.collector_dropped, "sdk": run.sdk_dropped},
        "planted": {"values": sum(len(player.secrets()) for player in run.planted), "found": run.planted_found},
        "verdict": verdict,
        "passed": all(verdict.values()),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


# ---- the most players sustained --------------------------------------------------------------


def find_max(settings: LoadSettings, start: int, step: int, limit: int) -> dict[str, Any]:
    """Runs with ``start``, ``start + step``, ... players until one fails a check of its verdict
    (or ``limit`` is passed); the last that passed is the most sustained."""
    runs, best = [], None
    for players in range(start, limit + 1, step):
        report = run_load(replace(settings, players=players))
        runs.append({"players": players, **_headline(report)})
        if not report["passed"]:
            break
        best = report
    return {
        "max_sustained_players": best["settings"]["players"] if best else 0,
        "at_max": _headline(best) if best else None,
        "runs": runs,
    }


def _headline(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "requests_per_s": report["requests"]["per_s"],
        "spans_per_s": report["through_the_stack_per_s"]["spans"],
        "log_records_per_s": report["through_the_stack_per_s"]["log_records"],
        "freshness_p95_s": {kind: (value or {}).get("p95_s") for kind, value in report["freshness"].items()},
        "collector_cpu_cores": report["collector"]["cpu_cores"],
        "collector_rss_max_mib": report["collector"]["rss"]["max_mib"],
        "generator_cpu_cores": report["generator"]["cpu_cores"],
        "unanswered": report["requests"]["unanswered"],
        "failed": sorted(name for name, passed in report["verdict"].items() if not passed),
    }


# ---- the command -----------------------------------------------------------------------------


@contextmanager
def _own_stack(gateways: int = 0, log_nodes: int = 0) -> Iterator[None]:
    """The native stack in a temporary directory with fresh secrets (``gateways`` and
    ``log_nodes`` as ``stack up --gateways --log-nodes`` take them), and this process's
    environment that of ``tta-otel stack env``; stopped (by pid) at the end."""
    with tempfile.TemporaryDirectory() as state:
        secrets = SecretsDir(Path(state) / "secrets")
        secrets.init()
        stack = Stack(REPO, Path(state), secrets, gateways=gateways, log_nodes=log_nodes)
        stack.up(timeout=90)
        os.environ.update(client_environment(secrets))
        try:
            yield
        finally:
            stack.down()


def summary(report: dict[str, Any]) -> str:
    """A few lines for a person."""
    lines = [
        f"{report['settings']['players']} players, {report['hold_s']} s held: "
        f"{report['requests']['answered']}/{report['requests']['sent']} answered"
        + "".join(f" ({kind} x{count})" for kind, count in report["requests"]["unanswered"].items())
        + f", {report['requests']['per_s']} requests/s (the generator: {report['generator']['cpu_cores']} cores);"
        " through the stack per s: "
        + ", ".join(f"{value} {signal}" for signal, value in report["through_the_stack_per_s"].items()),
        "; ".join(
            f"{name}: {_resources(report[name], report['settings']['soak'])}" for name in ("collector", "service")
        ),
        "freshness p50/p95 s: "
        + ", ".join(
            f"{kind} {value['p50_s']}/{value['p95_s']}" if value else f"{kind} -"
            for kind, value in report["freshness"].items()
        ),
        "lost: " + ", ".join(f"{name} {check['lost']}/{check['expected']}" for name, check in report["loss"].items()),
        f"planted values: {report['planted']['values']}, found in a store: "
        + (", ".join(f"{store}: {names}" for store, names in report["planted"]["found"].items() if names) or "none"),
        "verdict: " + ", ".join(f"{name} {'ok' if passed else 'FAILED'}" for name, passed in report["verdict"].items()),
    ]
    return "\n".join(lines)


def _resources(process: dict[str, Any], soak: bool) -> str:
    """CPU and memory; the memory slope only for a soak (over a short hold it measures the warm-up)."""
    text = f"{process['cpu_cores']} cores, RSS max {process['rss']['max_mib']} MiB"
    whole, later = process["rss_slope_mib_per_hour"], process["rss_slope_second_half_mib_per_hour"]
    slopes = f"slope {whole} MiB/h, {later} in its second half"
    return text + (f" ({slopes})" if soak else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Drive the example service through the native stack with N players.")
    parser.add_argument("--players", type=int, default=LoadSettings.players)
    parser.add_argument("--ramp-s", type=float, default=LoadSettings.ramp_s)
    parser.add_argument("--hold-s", type=float, default=LoadSettings.hold_s)
    parser.add_argument("--think-median-s", type=float, default=LoadModel.think_median_s)
    parser.add_argument("--freshness-every-s", type=float, default=LoadSettings.freshness_every_s)
    parser.add_argument("--settle-s", type=float, default=LoadSettings.settle_s)
    parser.add_argument("--seed", type=int, default=LoadSettings.seed)
    parser.add_argument("--soak", action="store_true", help="hold for --soak-minutes and judge memory growth")
    parser.add_argument("--soak-minutes", type=float, default=30.0)
    parser.add_argument("--max-slope-mib-per-hour", type=float, default=MAX_SLOPE_MIB_PER_HOUR)
    parser.add_argument("--find-max", action="store_true", help="step the players up until a run fails")
    parser.add_argument("--step", type=int, default=10)
    parser.add_argument("--max-players", type=int, default=500)
    parser.add_argument(
        "--running-stack",
        action="store_true",
        help='use the stack of `tta-otel stack up` (eval "$(tta-otel stack env)" first)',
    )
    parser.add_argument("--gateways", type=int, default=0, help="its own stack with N gateway collectors")
    parser.add_argument("--log-nodes", type=int, default=0, help="its own stack with VictoriaLogs as N storage nodes")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    settings = LoadSettings(
        players=args.players,
        ramp_s=args.ramp_s,
        hold_s=args.soak_minutes * 60 if args.soak else args.hold_s,
        model=LoadModel(think_median_s=args.think_median_s),
        freshness_every_s=args.freshness_every_s,
        sample_every_s=10.0 if args.soak else LoadSettings.sample_every_s,
        settle_s=args.settle_s,
        seed=args.seed,
        soak=args.soak,
        max_slope_mib_per_hour=args.max_slope_mib_per_hour,
    )
    with nullcontext() if args.running_stack else _own_stack(args.gateways, args.log_nodes):
        if args.find_max:
            result = find_max(settings, args.players, args.step, args.max_players)
            print(json.dumps(result, indent=2))
            return 0
        report = run_load(settings)
    print(json.dumps(report, indent=2) if args.json else summary(report))
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
