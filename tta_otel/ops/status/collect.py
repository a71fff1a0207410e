"""Ask Prometheus, the stores and Alertmanager once, and build the ``Status`` they describe.

Components are discovered from ``tta_component_info`` alone: a process started under the distro
appears without any configuration here. Every component figure is keyed by (repository,
environment, component).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime

from tta_otel.ops.reports.prometheus import PrometheusClient, Sample
from tta_otel.ops.status import queries as q
from tta_otel.ops.status.model import (
    Collector,
    Component,
    Dependency,
    Environment,
    Forecast,
    Platform,
    Status,
    runs_out_at,
)
from tta_otel.ops.status.stores import alert_of, endpoints, firing_alerts, in_scope, probe

Key = tuple[str, str, str]


def _key(labels: dict[str, str]) -> Key:
    return labels.get(q.REPOSITORY, ""), labels.get(q.ENVIRONMENT, ""), labels.get(q.COMPONENT, "")


def _by_key(samples: list[Sample]) -> dict[Key, float]:
    return {_key(sample.labels): sample.value for sample in samples}


def _finite(value: float | None) -> float | None:
    """NaN (a quantile or ratio of nothing) is no figure."""
    return None if value is None or math.isnan(value) else value


def _components(client: PrometheusClient, at: datetime, matchers: list[str]) -> list[Component]:
    seen: dict[Key, set[str]] = defaultdict(set)
    versions: dict[Key, set[str]] = defaultdict(set)
    for sample in client.query(q.instances(matchers, q.SEEN_WINDOW), at):
        seen[_key(sample.labels)].add(sample.labels.get(q.INSTANCE, ""))
    up: dict[Key, set[str]] = defaultdict(set)
    for sample in client.query(q.instances(matchers, q.UP_WINDOW), at):
        up[_key(sample.labels)].add(sample.labels.get(q.INSTANCE, ""))
        versions[_key(sample.labels)].add(sample.labels.get(q.VERSION, "unknown"))
    rates = _by_key(client.query(q.request_rate(matchers), at))
    errors = _by_key(client.query(q.error_rate(matchers), at))
    p95 = _by_key(client.query(q.p95_latency(matchers), at))
    requests = _by_key(client.query(q.budget_requests(matchers), at))
    failed = _by_key(client.query(q.budget_errors(matchers), at))
    found = []
    for key in sorted(seen.keys() | up.keys()):
        rate = rates.get(key)
        total = requests.get(key)
        found.append(
            Component(
                repository=key[0],
                environment=key[1],
                name=key[2],
                instances=len(seen[key] | up[key]),
                instances_up=len(up[key]),
                versions=tuple(sorted(versions[key])),
                request_rate=rate,
                error_ratio=errors.get(key, 0.0) / rate if rate else None,
                p95_latency_s=_finite(p95.get(key)),
                budget_left=1 - failed.get(key, 0.0) / total / q.OBJECTIVE_ERRORS if total else None,
            )
        )
    return found


def _dependencies(client: PrometheusClient, at: datetime, matchers: list[str]) -> list[Dependency]:
    def keyed(samples: list[Sample]) -> dict[tuple[Key, str, str], float]:
        return {
            (_key(s.labels), s.labels.get(q.DEPENDENCY_NAME, ""), s.labels.get(q.DEPENDENCY_TYPE, "")): s.value
            for s in samples
        }

    reporting = keyed(client.query(q.dependencies(matchers, "count"), at))
    up = keyed(client.query(q.dependencies(matchers, "sum"), at))
    return [
        Dependency(*key, name, kind, instances=int(count), instances_up=int(up.get((key, name, kind), 0)))
        for (key, name, kind), count in sorted(reporting.items())
    ]


def memory_forecasts(client: PrometheusClient, at: datetime, matchers: list[str]) -> list[Forecast]:
    """Each service instance's memory against the limit of TTAServiceMemoryExhaustionForecast."""
    fitted = {tuple(sorted(s.labels.items())): s.value for s in client.query(q.memory_fitted(matchers), at)}
    slope = {tuple(sorted(s.labels.items())): s.value for s in client.query(q.memory_slope(matchers), at)}
    forecasts = []
    for sample in client.query(q.memory_now(matchers), at):
        labels = {k: v for k, v in sample.labels.items() if k != "__name__"}
        signature = tuple(sorted(labels.items()))
        history = signature in fitted and signature in slope
        repository, environment, component = _key(labels)
        forecasts.append(
            Forecast(
                "memory",
                f"{component} {labels.get(q.INSTANCE, '')[:8]}",
                sample.value,
                q.MEMORY_LIMIT_BYTES,
                runs_out_at(at, fitted[signature], slope[signature], q.MEMORY_LIMIT_BYTES) if history else None,
                history,
                environment,
                repository,
                component,
            )
        )
    return forecasts


def disk_forecasts(client: PrometheusClient, at: datetime) -> list[Forecast]:
    """Prometheus's storage against its size retention."""
    limit = client.scalar(f"max({q.DISK_LIMIT})", at)
    current = client.scalar(f"max({q.DISK_NOW})", at)
    if limit is None or current is None:
        return []
    fitted = client.scalar(f"max({q.DISK_FITTED})", at)
    slope = client.scalar(f"max({q.DISK_SLOPE})", at)
    history = fitted is not None and slope is not None
    eta = runs_out_at(at, fitted, slope, limit) if fitted is not None and slope is not None else None
    return [Forecast("disk", "prometheus storage", current, limit, eta, history)]


def _total(client: PrometheusClient, at: datetime, expressions: tuple[str, ...]) -> float | None:
    """The sum of what each expression answers; None when none answers."""
    values = [v for v in (client.scalar(e, at) for e in expressions) if v is not None]
    return sum(values) if values else None


def _collector(client: PrometheusClient, at: datetime) -> Collector:
    up = [sample.value for sample in client.query(q.COLLECTOR_UP, at)]
    fill = {s.labels.get("exporter", "?"): s.value for s in client.query(q.COLLECTOR_QUEUE_FILL, at)}
    return Collector(
        up=bool(up) and all(value == 1 for value in up),
        accepted_per_s=_total(client, at, q.COLLECTOR_ACCEPTED),
        refused_per_s=client.scalar(q.COLLECTOR_REFUSED, at),
        export_failures_per_s=_total(client, at, q.COLLECTOR_FAILURES),
        queue_fill={exporter: value for exporter, value in fill.items() if _finite(value) is not None},
    )


def collect(
    client: PrometheusClient,
    at: datetime,
    credentials: tuple[str, str] | None,
    environment: str | None = None,
    repository: str | None = None,
) -> Status:
    """Everything status shows, as of ``at``. Raises ``PrometheusError`` when Prometheus cannot be asked."""
    matchers = q.scope(environment, repository)
    components = _components(client, at, matchers)
    dependencies = _dependencies(client, at, matchers)
    memory = memory_forecasts(client, at, matchers)
    collector = _collector(client, at)
    disk = disk_forecasts(client, at)
    scraped = {s.labels.get("job", ""): s.value == 1 for s in client.query(q.SCRAPED_UP, at)}
    stores = tuple(probe(e, scraped.get(e.name)) for e in endpoints(client.url, credentials))
    answers = firing_alerts() or []
    alerts = [
        alert
        for alert in map(alert_of, answers)
        if alert.severity != "none" and in_scope(alert, environment, repository)  # none: the Watchdog, always firing
    ]
    names = sorted(
        {c.environment for c in components}
        | {d.environment for d in dependencies}
        | {f.environment for f in memory if f.environment is not None}
        | {a.labels[q.ENVIRONMENT] for a in alerts if q.ENVIRONMENT in a.labels}
    )
    screens = tuple(
        Environment(
            name,
            tuple(c for c in components if c.environment == name),
            tuple(d for d in dependencies if d.environment == name),
            tuple(f for f in memory if f.environment == name),
            tuple(a for a in alerts if a.labels.get(q.ENVIRONMENT) == name),
        )
        for name in names
    )
    platform_alerts = tuple(a for a in alerts if q.ENVIRONMENT not in a.labels)
    return Status(at, Platform(collector, stores, tuple(disk), platform_alerts), screens)
