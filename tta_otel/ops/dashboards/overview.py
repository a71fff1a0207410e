"""TTA overview: is every component meeting its objectives, are its dependencies and the telemetry
pipeline healthy, and which alerts fire. Each per-component panel drills down to the detail
dashboard filtered on that component."""

from __future__ import annotations

from typing import Final

from grafana_foundation_sdk.builders import dashboard as builder
from grafana_foundation_sdk.models import dashboard as model

from tta_otel import semconv
from tta_otel.ops.dashboards.common import (
    COMPONENT,
    ENVIRONMENT,
    PROMETHEUS,
    RUNBOOKS,
    Look,
    Panel,
    Query,
    dashboard,
    drilldown,
    graph,
    grid,
    link,
    quantile,
    rate,
    selector,
    single,
    thresholds,
)
from tta_otel.semconv import prometheus_label

HTTP_DURATION: Final = semconv.HTTP_SERVER_REQUEST_DURATION.prometheus
HTTP_REQUESTS: Final = semconv.HTTP_SERVER_REQUEST_DURATION.prometheus_count
STATUS_CODE: Final = prometheus_label(semconv.HTTP_RESPONSE_STATUS_CODE)
DB_DURATION: Final = semconv.DB_CLIENT_OPERATION_DURATION.prometheus
DB_SYSTEM: Final = prometheus_label(semconv.DB_SYSTEM_NAME)
POOL_CONNECTIONS: Final = semconv.DB_CLIENT_CONNECTION_COUNT.prometheus
POOL_MAX: Final = semconv.DB_CLIENT_CONNECTION_MAX.prometheus
ERRORS: Final = semconv.TTA_ERRORS.prometheus
ALERT_TIME_TO_ACKNOWLEDGE: Final = semconv.TTA_ALERT_TIME_TO_ACKNOWLEDGE.prometheus
ALERT_TIME_TO_RESOLVE: Final = semconv.TTA_ALERT_TIME_TO_RESOLVE.prometheus

UID: Final = "tta-overview"
OBJECTIVE: Final = 0.995
"""Availability objective of every component over 30 days (prometheus/rules/availability.yml)."""
LATENCY_OBJECTIVE_S: Final = 1.0
"""99 % of requests within 1 s (prometheus/rules/latency.yml)."""

_SERVER_ERROR = f'{STATUS_CODE}=~"5.."'
_NOT_SERVER_ERROR = f'{STATUS_CODE}!~"5.."'
_BY = COMPONENT
_WITHIN_OBJECTIVE = selector('le="1"')
_IN_USE = selector('db_client_connection_state="used"')


def _good_ratio(window: str) -> str:
    good = f"sum by ({_BY}) (increase({HTTP_REQUESTS}{selector(_NOT_SERVER_ERROR)}[{window}]))"
    return f"{good} / sum by ({_BY}) (increase({HTTP_REQUESTS}{selector()}[{window}]))"


UP_MAPPINGS: Final[list[model.ValueMapping]] = [
    model.ValueMap(
        options={
            "0": model.ValueMappingResult(text="DOWN", color="red"),
            "1": model.ValueMappingResult(text="UP", color="green"),
        }
    )
]


def _service_level() -> list[Panel]:
    performance = drilldown("tta-performance", "Performance")
    return [
        single(
            "Availability (30 d)",
            Look(
                f"Share of HTTP requests answered without a 5xx over the last 30 days, per component, against "
                f"the {OBJECTIVE:.1%} objective (red below it).",
                "percentunit",
                thresholds("red", (OBJECTIVE, "green")),
                links=[performance],
                decimals=3,
                width=8,
            ),
            Query(_good_ratio("30d"), "{{tta_component}}", instant=True),
        ),
        single(
            "Error budget left (30 d)",
            Look(
                f"Share of the 30-day error budget ({1 - OBJECTIVE:.1%} of requests may fail) not yet spent: "
                "1 - (failed share / budget). Below 0 the objective is missed.",
                "percentunit",
                thresholds("red", (0.0, "orange"), (0.25, "green")),
                links=[performance],
                decimals=1,
                width=8,
            ),
            Query(f"1 - (1 - ({_good_ratio('30d')})) / {1 - OBJECTIVE:.3f}", "{{tta_component}}", instant=True),
        ),
        single(
            "Requests slower than 1 s (1 h)",
            Look(
                "Share of requests over the last hour slower than the latency objective (99 % within 1 s).",
                "percentunit",
                thresholds("green", (0.01, "red")),
                links=[performance],
                decimals=2,
                width=8,
            ),
            Query(
                f"1 - sum by ({_BY}) (increase({HTTP_DURATION}_bucket{_WITHIN_OBJECTIVE}[1h])) "
                f"/ sum by ({_BY}) (increase({HTTP_REQUESTS}{selector()}[1h]))",
                "{{tta_component}}",
                instant=True,
            ),
        ),
    ]


def _traffic() -> list[Panel]:
    performance = drilldown("tta-performance", "Performance")
    errors = drilldown("tta-errors", "Errors")
    return [
        graph(
            "Request rate",
            Look("HTTP requests per second, per component.", "reqps", links=[performance], width=8),
            Query(rate(HTTP_REQUESTS, by=_BY), "{{tta_component}}"),
        ),
        graph(
            "Latency p50, p95, p99",
            Look(
                "HTTP request duration quantiles per component; the dashed line is the 1 s objective.",
                "s",
                thresholds("green", (LATENCY_OBJECTIVE_S, "red")),
                links=[performance],
                width=8,
            ),
            *(
                Query(quantile(q, HTTP_DURATION, by=_BY), f"{{{{tta_component}}}} p{round(q * 100)}")
                for q in (0.5, 0.95, 0.99)
            ),
        ),
        graph(
            "Errors",
            Look(
                "Errors recorded per second (tta.errors: exceptions on spans and in logs), per component; "
                "the 5xx share of requests is on the Performance dashboard.",
                "eps",
                links=[errors],
                width=8,
            ),
            Query(rate(ERRORS, by=_BY), "{{tta_component}}"),
        ),
        graph(
            "Server error ratio (5xx)",
            Look(
                f"Share of requests answered with a 5xx, per component; the objective allows {1 - OBJECTIVE:.1%}.",
                "percentunit",
                thresholds("green", (1 - OBJECTIVE, "red")),
                links=[errors],
                width=24,
                min=0,
            ),
            Query(
                f"({rate(HTTP_REQUESTS, _SERVER_ERROR, by=_BY)} or 0 * {rate(HTTP_REQUESTS, by=_BY)}) "
                f"/ {rate(HTTP_REQUESTS, by=_BY)}",
                "{{tta_component}}",
            ),
        ),
    ]


def _dependencies() -> list[Panel]:
    performance = drilldown("tta-performance", "Performance")
    neo4j = f'{DB_SYSTEM}="neo4j"'
    operations = rate(f"{DB_DURATION}_count", neo4j, by=_BY, window="5m")
    failed = rate(f"{DB_DURATION}_count", neo4j, 'error_type!=""', by=_BY, window="5m")
    return [
        single(
            "Redis pool in use",
            Look(
                "Connections in use over the pool's maximum, per component (redis-py pools).",
                "percentunit",
                thresholds("green", (0.8, "orange"), (0.95, "red")),
                links=[performance],
                width=6,
            ),
            Query(
                f"sum by ({_BY}) ({POOL_CONNECTIONS}{_IN_USE}) / sum by ({_BY}) ({POOL_MAX}{selector()})",
                "{{tta_component}}",
            ),
        ),
        single(
            "Neo4j error ratio (5 m)",
            Look(
                "Share of Neo4j operations that failed over the last 5 minutes, per component (above 50 % "
                "for 2 minutes fires TTANeo4jDown).",
                "percentunit",
                thresholds("green", (0.01, "orange"), (0.5, "red")),
                links=[performance],
                width=6,
            ),
            Query(f"({failed} or 0 * {operations}) / {operations}", "{{tta_component}}"),
        ),
        single(
            "Telemetry backends",
            Look(
                "Whether Prometheus scrapes the collector, itself and Alertmanager (up). They serve the whole "
                "stack, so the environment and component filters do not apply.",
                "none",
                thresholds("red", (1, "green")),
                links=[link("Pipeline health", "/d/tta-pipeline?${__url_time_range}&${datasource:queryparam}")],
                width=12,
                mappings=UP_MAPPINGS,
            ),
            Query('up{job=~"otel-collector|prometheus|alertmanager"}', "{{job}}"),
        ),
    ]


def _alerts() -> list[Panel]:
    runbook = link("Runbook for ${__data.fields.alertname}", f"{RUNBOOKS}/${{__data.fields.alertname}}.md")
    return [
        grid(
            "Firing alerts",
            Look(
                "Alerts firing now (Prometheus's ALERTS series), of this environment and of the stack itself. "
                "Click an alert for its runbook (docs/runbooks/<alertname>.md, the runbook_url of every rule).",
                "none",
                links=[runbook.target_blank(True)],
                width=16,
                height=8,
            ),
            Query(
                f'sum by (alertname, severity, {_BY}, {ENVIRONMENT}) (ALERTS{{alertstate="firing", '
                f'{ENVIRONMENT}=~"$environment|"}})',
                instant=True,
            ),
            hide=("Time", "Value"),
        ),
        single(
            "Median time to acknowledge and resolve",
            Look(
                "Medians over the dashboard's time range, from tta-otel alerts serve (docs/alerting-escalation.md).",
                "s",
                width=8,
                height=8,
            ),
            Query(
                f"histogram_quantile(0.5, sum by (le) (increase({ALERT_TIME_TO_ACKNOWLEDGE}_bucket[$__range])))",
                "acknowledge",
                instant=True,
            ),
            Query(
                f"histogram_quantile(0.5, sum by (le) (increase({ALERT_TIME_TO_RESOLVE}_bucket[$__range])))",
                "resolve",
                instant=True,
            ),
        ),
    ]


DEPLOYMENTS: Final = "tta:deployment:new_version"
"""A component's version that did not run an hour before (prometheus/rules/deployments.yml)."""


def _deployments() -> builder.AnnotationQuery:
    """A mark where a new version of a component started: the first minute of its deployment record."""
    new = f"{DEPLOYMENTS}{selector()}"
    return (
        builder.AnnotationQuery()
        .name("Deployments")
        .datasource(PROMETHEUS)
        .enable(True)
        .icon_color("blue")
        .expr(f"{new} unless {new} offset 1m")
    )


def build() -> model.Dashboard:
    return dashboard(
        UID,
        "TTA overview",
        "Objectives, traffic, dependencies and alerts of every TTA component; click a component to drill down.",
        [
            ("Service level", _service_level()),
            ("Traffic and errors", _traffic()),
            ("Dependencies", _dependencies()),
            ("Alerts", _alerts()),
        ],
        annotations=[_deployments()],
    )
