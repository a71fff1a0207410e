"""What ``tta-otel status`` found, and how healthy each part is.

The classification is the exit status: 0 healthy, 1 degraded, 2 down. Each part is judged on
its own and the worst part decides, so a script (``tta.sh monitoring status``) and a person
read the same verdict. Each rule follows the severity of the alert that watches the same
thing (docs/alerting.md): what pages is down, what makes a ticket is degraded.

Down (2):
- a component seen in the last hour has no instance reporting now;
- Prometheus or Alertmanager is unreachable or not ready (nothing else can be known or sent);
- the collector is not scraped up (``up{job="otel-collector"}`` 0 or absent);
- a critical alert is firing.

Degraded (1):
- a warning alert is firing;
- a dependency is down for at least one instance of a component;
- Jaeger or VictoriaLogs is unreachable or not ready (the collector queues their data meanwhile);
- the collector refuses data, fails exports, or has a sending queue at least 80 % full;
- a component's error budget left is below 25 %;
- a memory or disk forecast runs out within 7 days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum

BUDGET_LOW: float = 0.25
"""Below this share of the error budget left, a component is degraded."""
QUEUE_FULL: float = 0.8
"""From this fill of a collector sending queue on, the collector is degraded."""
FORECAST_DEGRADED: timedelta = timedelta(days=7)
"""A resource forecast to run out sooner than this is degraded: time to act in working hours."""
FORECAST_HORIZON: timedelta = timedelta(days=30)
"""Beyond this a forecast reads "not within 30 days": a straight line says little further out."""
CORE_STORES: frozenset[str] = frozenset({"prometheus", "alertmanager"})
"""Stores whose loss is down: without Prometheus nothing is known, without Alertmanager no one is paged."""


class Health(IntEnum):
    """Ordered so that ``max`` is the worst; the value is the exit status."""

    HEALTHY = 0
    DEGRADED = 1
    DOWN = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Verdict:
    """A health and the reasons for it: every reason that is not healthy, worst first."""

    health: Health = Health.HEALTHY
    reasons: tuple[str, ...] = ()

    @staticmethod
    def of(findings: list[tuple[Health, str]]) -> Verdict:
        bad = sorted((f for f in findings if f[0] is not Health.HEALTHY), key=lambda f: -f[0])
        return Verdict(max((h for h, _ in bad), default=Health.HEALTHY), tuple(reason for _, reason in bad))


@dataclass(frozen=True)
class Component:
    """One component of one repository in one environment (they never mix)."""

    repository: str
    environment: str
    name: str
    instances: int  # seen in the last hour
    instances_up: int  # reporting in the last 2 minutes
    versions: tuple[str, ...]
    request_rate: float | None = None  # requests per second, last 5 minutes
    error_ratio: float | None = None  # 5xx share, last 5 minutes; None without requests
    p95_latency_s: float | None = None
    budget_left: float | None = None  # share of the 7-day error budget not spent; None without requests

    def findings(self) -> list[tuple[Health, str]]:
        found: list[tuple[Health, str]] = []
        if self.instances_up == 0:
            found.append((Health.DOWN, f"{self.name} ({self.repository}): no instance reporting"))
        if self.budget_left is not None and self.budget_left < BUDGET_LOW:
            found.append(
                (Health.DEGRADED, f"{self.name} ({self.repository}): {self.budget_left:.0%} error budget left")
            )
        return found


@dataclass(frozen=True)
class Dependency:
    repository: str
    environment: str
    component: str
    name: str
    type: str
    instances: int  # instances of the component reporting a check
    instances_up: int  # of which the last check succeeded

    def findings(self) -> list[tuple[Health, str]]:
        if self.instances_up < self.instances:
            down = self.instances - self.instances_up
            text = f"{self.component} ({self.repository}): {self.type} {self.name} down for {down} of {self.instances}"
            return [(Health.DEGRADED, text)]
        return []


@dataclass(frozen=True)
class Forecast:
    """A resource against its limit, and when a straight line through its recent history reaches it."""

    resource: str  # "memory" or "disk"
    subject: str  # what runs out: a component instance, Prometheus's storage
    current_bytes: float
    limit_bytes: float
    runs_out_at: datetime | None  # None: not within FORECAST_HORIZON, or too little history
    history: bool  # whether there was enough history to draw the line
    environment: str | None = None
    repository: str | None = None
    component: str | None = None

    def outlook(self) -> str:
        if not self.history:
            return "too little history"
        if self.runs_out_at is None:
            return f"not within {FORECAST_HORIZON.days} days"
        return f"runs out {self.runs_out_at:%Y-%m-%d %H:%M} UTC"

    def findings(self, now: datetime) -> list[tuple[Health, str]]:
        if self.runs_out_at is not None and self.runs_out_at - now < FORECAST_DEGRADED:
            return [(Health.DEGRADED, f"{self.resource} of {self.subject} {self.outlook()}")]
        return []


def runs_out_at(now: datetime, fitted: float, slope: float, limit: float) -> datetime | None:
    """When the line ``fitted + slope * t`` (bytes, bytes per second, from ``now``) reaches ``limit``;
    None when it falls or stays flat, or reaches it beyond FORECAST_HORIZON."""
    if fitted >= limit:
        return now
    if slope <= 0:
        return None
    eta = timedelta(seconds=(limit - fitted) / slope)
    return now + eta if eta <= FORECAST_HORIZON else None


@dataclass(frozen=True)
class Store:
    name: str
    url: str
    reachable: bool
    ready: bool
    detail: str = ""  # why it is not ready; never a credential
    scraped_up: bool | None = None  # up{job=name}; None where Prometheus does not scrape it

    def findings(self) -> list[tuple[Health, str]]:
        if self.reachable and self.ready:
            return []
        health = Health.DOWN if self.name in CORE_STORES else Health.DEGRADED
        state = "not ready" if self.reachable else "unreachable"
        return [(health, f"{self.name} {state}: {self.detail}".rstrip(": "))]


@dataclass(frozen=True)
class Collector:
    up: bool  # every scraped collector instance is up, and there is one
    accepted_per_s: float | None
    refused_per_s: float | None
    export_failures_per_s: float | None
    queue_fill: dict[str, float] = field(default_factory=dict)  # exporter -> size / capacity

    def findings(self) -> list[tuple[Health, str]]:
        found: list[tuple[Health, str]] = []
        if not self.up:
            found.append((Health.DOWN, "otel-collector: not scraped up"))
        if self.refused_per_s:
            found.append((Health.DEGRADED, f"otel-collector: refusing {self.refused_per_s:.3g} items/s"))
        if self.export_failures_per_s:
            found.append((Health.DEGRADED, f"otel-collector: {self.export_failures_per_s:.3g} export failures/s"))
        for exporter, fill in sorted(self.queue_fill.items()):
            if fill >= QUEUE_FULL:
                found.append((Health.DEGRADED, f"otel-collector: queue of {exporter} {fill:.0%} full"))
        return found


@dataclass(frozen=True)
class Alert:
    name: str
    severity: str
    summary: str
    starts_at: str
    labels: dict[str, str]

    def findings(self) -> list[tuple[Health, str]]:
        if self.severity == "critical":
            return [(Health.DOWN, f"{self.name} firing (critical)")]
        if self.severity == "warning":
            return [(Health.DEGRADED, f"{self.name} firing (warning)")]
        return []


@dataclass(frozen=True)
class Environment:
    """One screen: an environment's components, dependencies, memory forecasts and alerts."""

    name: str
    components: tuple[Component, ...] = ()
    dependencies: tuple[Dependency, ...] = ()
    forecasts: tuple[Forecast, ...] = ()
    alerts: tuple[Alert, ...] = ()

    def findings(self, now: datetime) -> list[tuple[Health, str]]:
        return [
            *(f for c in self.components for f in c.findings()),
            *(f for d in self.dependencies for f in d.findings()),
            *(f for forecast in self.forecasts for f in forecast.findings(now)),
            *(f for a in self.alerts for f in a.findings()),
        ]

    def verdict(self, now: datetime) -> Verdict:
        return Verdict.of(self.findings(now))


@dataclass(frozen=True)
class Platform:
    """What every environment shares: the collector, the stores, their forecasts, and alerts of no environment."""

    collector: Collector
    stores: tuple[Store, ...]
    forecasts: tuple[Forecast, ...] = ()
    alerts: tuple[Alert, ...] = ()

    def findings(self, now: datetime) -> list[tuple[Health, str]]:
        return [
            *self.collector.findings(),
            *(f for s in self.stores for f in s.findings()),
            *(f for forecast in self.forecasts for f in forecast.findings(now)),
            *(f for a in self.alerts for f in a.findings()),
        ]

    def verdict(self, now: datetime) -> Verdict:
        return Verdict.of(self.findings(now))


@dataclass(frozen=True)
class Status:
    generated_at: datetime
    platform: Platform
    environments: tuple[Environment, ...]

    def verdict(self) -> Verdict:
        """The worst of every part; each reason of an environment names it."""
        now = self.generated_at
        return Verdict.of(
            [
                *self.platform.findings(now),
                *((h, f"[{e.name}] {reason}") for e in self.environments for h, reason in e.findings(now)),
            ]
        )
