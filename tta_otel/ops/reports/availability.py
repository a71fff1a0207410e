"""The availability report: the overview dashboard's service level over any period, per component.

For each component: the requests of the period, those answered with a 5xx, the availability
(the share without a 5xx) against the 99.5 % objective, the error budget left, the share slower
than the 1 s latency objective and the errors recorded (``tta.errors``) - the figures of the
overview dashboard's "Service level" row (``ops/dashboards/overview.py``), which shows the last
30 days. Every figure is a sum of increases, so a period longer than Prometheus keeps is read from
the long-term tier with the same answer (``sources.py``; ``--source``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from tta_otel import semconv
from tta_otel.ops.reports.output import rows_text, write_output
from tta_otel.ops.reports.prometheus import PeriodQueries, PrometheusClient
from tta_otel.ops.reports.sources import PROMETHEUS
from tta_otel.semconv import prometheus_label

OBJECTIVE: Final = 0.995
"""Availability objective of every component (prometheus/rules/availability.yml, the overview dashboard)."""
LATENCY_OBJECTIVE_LE: Final = "1"
"""The bucket of the 1 s latency objective (prometheus/rules/latency.yml)."""

_REQUESTS: Final = semconv.HTTP_SERVER_REQUEST_DURATION.prometheus_count
_BUCKETS: Final = f"{semconv.HTTP_SERVER_REQUEST_DURATION.prometheus}_bucket"
_ERRORS: Final = semconv.TTA_ERRORS.prometheus
_COMPONENT: Final = prometheus_label(semconv.TTA_COMPONENT)
_SERVER_ERROR: Final = f'{prometheus_label(semconv.HTTP_RESPONSE_STATUS_CODE)}=~"5.."'


@dataclass(frozen=True)
class ComponentAvailability:
    component: str
    requests: float
    server_errors: float
    availability: float | None  # None without requests
    error_budget_left: float | None  # 1 - (failed share / (1 - objective)); below 0: objective missed
    slower_than_objective: float | None
    errors: float


@dataclass(frozen=True)
class AvailabilityReport:
    start: str
    end: str
    source: str
    objective: float
    components: list[ComponentAvailability]


class _Queries(PeriodQueries):
    def by_component(self, metric: str, *matchers: str) -> dict[str, float]:
        promql = f"sum by ({_COMPONENT}) ({self._increase(metric, *matchers)})"
        return {sample.labels.get(_COMPONENT, ""): sample.value for sample in self._client.query(promql, self._end)}


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole > 0 else None


def build_availability_report(
    client: PrometheusClient,
    period: timedelta,
    end: datetime | None = None,
    environment: str | None = None,
    source: str = PROMETHEUS,
) -> AvailabilityReport:
    """The period that ends at ``end`` (now by default), from ``source``."""
    end = end or datetime.now(UTC)
    queries = _Queries(client, period, end, environment, source)
    requests = queries.by_component(_REQUESTS)
    failed = queries.by_component(_REQUESTS, _SERVER_ERROR)
    fast = queries.by_component(_BUCKETS, f'le="{LATENCY_OBJECTIVE_LE}"')
    errors = queries.by_component(_ERRORS)
    rows = []
    for component in sorted(set(requests) | set(errors)):
        total, bad = requests.get(component, 0.0), failed.get(component, 0.0)
        availability = None if total <= 0 else 1 - bad / total
        slow = _share(total - fast.get(component, 0.0), total)
        rows.append(
            ComponentAvailability(
                component=component,
                requests=total,
                server_errors=bad,
                availability=availability,
                error_budget_left=None if availability is None else 1 - (1 - availability) / (1 - OBJECTIVE),
                slower_than_objective=slow,
                errors=errors.get(component, 0.0),
            )
        )
    return AvailabilityReport((end - period).isoformat(), end.isoformat(), source, OBJECTIVE, rows)


def write_report(report: AvailabilityReport, fmt: str, path: Path | None) -> str | None:
    """JSON or CSV as text (or into ``path``)."""

    def no_pdf(path: Path) -> None:
        raise ValueError("the availability report is JSON or CSV")

    return write_output(fmt, path, lambda f: rows_text(report, report.components, ComponentAvailability, f), no_pdf)


__all__ = [
    "OBJECTIVE",
    "AvailabilityReport",
    "ComponentAvailability",
    "build_availability_report",
    "write_report",
]
