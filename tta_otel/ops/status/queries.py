"""The PromQL of ``tta-otel status``, one function per question; names come from ``semconv``.

Every component query groups by repository, environment and component together, so a component
of ``tta.dev`` never mixes with one of the same name in ``tta.prod``; ``--environment`` and
``--repository`` become matchers of every such query. The recording rules of
``prometheus/rules/availability.yml`` group by environment and component only, which is why the
ratios here are computed from the raw histogram instead.
"""

from __future__ import annotations

import json
from typing import Final

from tta_otel import semconv
from tta_otel.semconv import prometheus_label

REPOSITORY: Final = prometheus_label(semconv.TTA_REPOSITORY)
ENVIRONMENT: Final = prometheus_label(semconv.DEPLOYMENT_ENVIRONMENT_NAME)
COMPONENT: Final = prometheus_label(semconv.TTA_COMPONENT)
INSTANCE: Final = prometheus_label(semconv.SERVICE_INSTANCE_ID)
VERSION: Final = prometheus_label(semconv.SERVICE_VERSION)
DEPENDENCY_NAME: Final = prometheus_label(semconv.TTA_DEPENDENCY_NAME)
DEPENDENCY_TYPE: Final = prometheus_label(semconv.TTA_DEPENDENCY_TYPE)
STATUS_CODE: Final = prometheus_label(semconv.HTTP_RESPONSE_STATUS_CODE)
ROUTE: Final = prometheus_label(semconv.HTTP_ROUTE)
KEY: Final = f"{REPOSITORY}, {ENVIRONMENT}, {COMPONENT}"
"""The grouping of every component query."""

SEEN_WINDOW: Final = "1h"
"""A component seen within the last hour is expected to report (as TTAComponentAbsent expects)."""
UP_WINDOW: Final = "2m"
"""An instance with a ``tta_component_info`` point in the last 2 minutes reports now (TTAComponentAbsent's window)."""
RATE_WINDOW: Final = "5m"
BUDGET_WINDOW: Final = "7d"
"""The error budget's window: within the stack's 15 days of retention, longer than every burn-rate window."""
OBJECTIVE_ERRORS: Final = 0.005
"""The availability objective's error budget, 0.5 % of requests (``prometheus/rules/availability.yml``)."""
MEMORY_LIMIT_BYTES: Final = 2 * 1024**3
"""The memory assumed for one TTA service process, as ``TTAServiceMemoryExhaustionForecast`` assumes it."""
MEMORY_FIT: Final = "1h"
DISK_FIT: Final = "1d"
_HEALTH_ROUTES: Final = f'{ROUTE}!~"/healthz|/readyz"'
_SERVER_ERRORS: Final = f'{STATUS_CODE}=~"5.."'
COLLECTOR_JOB: Final = "otel-collector"
SCRAPED_JOBS: Final = ("otel-collector", "prometheus", "alertmanager")


def scope(environment: str | None = None, repository: str | None = None) -> list[str]:
    """The matchers of ``--environment`` and ``--repository``, quoted with JSON's escaping (PromQL's)."""
    matchers = []
    if environment is not None:
        matchers.append(f"{ENVIRONMENT}={json.dumps(environment)}")
    if repository is not None:
        matchers.append(f"{REPOSITORY}={json.dumps(repository)}")
    return matchers


def _selector(name: str, *matchers: str) -> str:
    return f"{name}{{{', '.join(matchers)}}}" if matchers else name


def instances(matchers: list[str], window: str) -> str:
    """One series per instance (and version) with a ``tta_component_info`` point within ``window``."""
    info = _selector(semconv.TTA_COMPONENT_INFO.prometheus, *matchers)
    return f"max by ({KEY}, {INSTANCE}, {VERSION}) (max_over_time({info}[{window}]))"


def _requests(matchers: list[str], *extra: str) -> str:
    return _selector(semconv.HTTP_SERVER_REQUEST_DURATION.prometheus_count, _HEALTH_ROUTES, *matchers, *extra)


def request_rate(matchers: list[str]) -> str:
    return f"sum by ({KEY}) (rate({_requests(matchers)}[{RATE_WINDOW}]))"


def error_rate(matchers: list[str]) -> str:
    return f"sum by ({KEY}) (rate({_requests(matchers, _SERVER_ERRORS)}[{RATE_WINDOW}]))"


def p95_latency(matchers: list[str]) -> str:
    buckets = _selector(semconv.HTTP_SERVER_REQUEST_DURATION.prometheus_bucket, _HEALTH_ROUTES, *matchers)
    return f"histogram_quantile(0.95, sum by ({KEY}, le) (rate({buckets}[{RATE_WINDOW}])))"


def budget_requests(matchers: list[str]) -> str:
    return f"sum by ({KEY}) (increase({_requests(matchers)}[{BUDGET_WINDOW}]))"


def budget_errors(matchers: list[str]) -> str:
    return f"sum by ({KEY}) (increase({_requests(matchers, _SERVER_ERRORS)}[{BUDGET_WINDOW}]))"


def dependencies(matchers: list[str], aggregation: str) -> str:
    """``count`` (instances reporting a check) or ``sum`` (instances whose last check succeeded)."""
    up = _selector(semconv.TTA_DEPENDENCY_UP.prometheus, *matchers)
    return f"{aggregation} by ({KEY}, {DEPENDENCY_NAME}, {DEPENDENCY_TYPE}) (last_over_time({up}[{UP_WINDOW}]))"


def _with_history(expression: str, series: str, half: str) -> str:
    """``expression`` only for series that existed half the fit window ago: a line through a
    process's start-up alone would forecast its warm-up, not a trend."""
    return f"{expression} and {series} offset {half}"


def memory_now(matchers: list[str]) -> str:
    return _selector(semconv.PROCESS_MEMORY_USAGE.prometheus, *matchers)


def memory_fitted(matchers: list[str]) -> str:
    """The regression line's value now (``predict_linear(..., 0)``), for instances with an hour's trend."""
    series = memory_now(matchers)
    return _with_history(f"predict_linear({series}[{MEMORY_FIT}], 0)", series, "30m")


def memory_slope(matchers: list[str]) -> str:
    """The same regression's slope (``deriv``), bytes per second."""
    series = memory_now(matchers)
    return _with_history(f"deriv({series}[{MEMORY_FIT}])", series, "30m")


DISK_NOW: Final = "prometheus_tsdb_storage_blocks_bytes"
DISK_LIMIT: Final = "prometheus_tsdb_retention_limit_bytes > 0"
DISK_FITTED: Final = _with_history(f"predict_linear({DISK_NOW}[{DISK_FIT}], 0)", DISK_NOW, "12h")
DISK_SLOPE: Final = _with_history(f"deriv({DISK_NOW}[{DISK_FIT}])", DISK_NOW, "12h")


_JOB: Final = f'job="{COLLECTOR_JOB}"'
COLLECTOR_UP: Final = f"up{{{_JOB}}}"
COLLECTOR_ACCEPTED: Final = tuple(
    f'sum(rate({{__name__=~"{semconv.OTELCOL_RECEIVER_ACCEPTED}_{item}(_total)?", {_JOB}}}[{RATE_WINDOW}]))'
    for item in semconv.OTELCOL_SIGNAL_ITEMS
)
"""One query per signal: ``rate`` drops the metric name, so one regex over several names would
leave series that differ by nothing but it, which Prometheus refuses."""
COLLECTOR_REFUSED: Final = "sum(otelcol:receiver_refused:rate5m)"
"""The recording rules of ``prometheus/rules/telemetry-pipeline.yml``, one series per signal each."""
COLLECTOR_FAILURES: Final = (
    "sum(otelcol:exporter_send_failed:rate5m)",
    "sum(otelcol:exporter_enqueue_failed:rate5m)",
)
COLLECTOR_QUEUE_FILL: Final = (
    f"max by (exporter) ({semconv.OTELCOL_EXPORTER_QUEUE_SIZE} / {semconv.OTELCOL_EXPORTER_QUEUE_CAPACITY})"
)
SCRAPED_UP: Final = f'up{{job=~"{"|".join(SCRAPED_JOBS)}"}}'


def every_query(matchers: list[str]) -> list[str]:
    """Every expression status asks, for the test that each queries a name the pipeline produces."""
    return [
        instances(matchers, SEEN_WINDOW),
        request_rate(matchers),
        error_rate(matchers),
        p95_latency(matchers),
        budget_requests(matchers),
        budget_errors(matchers),
        dependencies(matchers, "count"),
        memory_now(matchers),
        memory_fitted(matchers),
        memory_slope(matchers),
        DISK_NOW,
        DISK_LIMIT,
        DISK_FITTED,
        DISK_SLOPE,
        COLLECTOR_UP,
        *COLLECTOR_ACCEPTED,
        COLLECTOR_REFUSED,
        *COLLECTOR_FAILURES,
        COLLECTOR_QUEUE_FILL,
        SCRAPED_UP,
    ]
