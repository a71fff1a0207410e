"""TTA long term: service level, traffic, errors and engagement over months, read from the
long-term tier (VictoriaMetrics; docs/data-lifecycle.md#the-long-term-metrics-tier).

Prometheus keeps raw samples for ``metrics.raw`` (15 days); its rules record each counter's
5-minute increases (``tta:<metric>:increase5m``, prometheus/rules/long-term.yml) and remote-write
them to VictoriaMetrics, which keeps them for ``metrics.long_term``. A period's increase is the sum
of its 5-minute increases, so every panel here is ``sum_over_time`` of those series, the query
``tta-otel report`` writes for the same period (``tta_otel.ops.reports.sources``). The datasource
variable offers the long-term datasource only, and the filters read their values from the
long-term series: nothing here needs a raw series.
"""

from __future__ import annotations

from typing import Final

from grafana_foundation_sdk.models import dashboard as model

from tta_otel import semconv
from tta_otel.ops.dashboards.common import (
    COMPONENT,
    FILTERS,
    Look,
    Panel,
    Query,
    dashboard,
    graph,
    single,
    thresholds,
    variables,
)
from tta_otel.ops.dashboards.overview import LATENCY_OBJECTIVE_S, OBJECTIVE
from tta_otel.ops.reports.sources import LONG_TERM, long_term_series, period_increase
from tta_otel.semconv import prometheus_label

UID: Final = "tta-long-term"
DATASOURCE_REGEX: Final = "/long term/"
"""Grafana's name of the long-term datasource contains this (grafana-dashboards/provisioning)."""
REQUESTS: Final = semconv.HTTP_SERVER_REQUEST_DURATION.prometheus_count
BUCKETS: Final = f"{semconv.HTTP_SERVER_REQUEST_DURATION.prometheus}_bucket"
ERRORS: Final = semconv.TTA_ERRORS.prometheus
SESSIONS_STARTED: Final = semconv.TTA_ENGAGEMENT_SESSIONS_STARTED.prometheus
SESSIONS_COMPLETED: Final = semconv.TTA_ENGAGEMENT_SESSIONS_COMPLETED.prometheus
STATUS_CODE: Final = prometheus_label(semconv.HTTP_RESPONSE_STATUS_CODE)
COHORT: Final = prometheus_label(semconv.TTA_COHORT)
_NOT_SERVER_ERROR: Final = f'{STATUS_CODE}!~"5.."'
_WITHIN_OBJECTIVE: Final = f'le="{LATENCY_OBJECTIVE_S:g}"'


def total(counter: str, *matchers: str, by: str, window: str = "$__range") -> str:
    """The increase of ``counter`` over ``window`` from the long-term tier, grouped ``by``: the
    query ``tta-otel report`` writes for the same period (``sources.period_increase``)."""
    return f"sum by ({by}) ({period_increase(counter, ', '.join((FILTERS, *matchers)), window, LONG_TERM)})"


def _good_ratio() -> str:
    return f"{total(REQUESTS, _NOT_SERVER_ERROR, by=COMPONENT)} / {total(REQUESTS, by=COMPONENT)}"


def _service_level() -> list[Panel]:
    return [
        single(
            "Availability",
            Look(
                f"Share of HTTP requests answered without a 5xx over the time range, per component, against the "
                f"{OBJECTIVE:.1%} objective (red below it).",
                "percentunit",
                thresholds("red", (OBJECTIVE, "green")),
                decimals=3,
                width=8,
            ),
            Query(_good_ratio(), "{{tta_component}}", instant=True),
        ),
        single(
            "Error budget left",
            Look(
                f"Share of the time range's error budget ({1 - OBJECTIVE:.1%} of requests may fail) not spent: "
                "1 - (failed share / budget). Below 0 the objective is missed.",
                "percentunit",
                thresholds("red", (0.0, "orange"), (0.25, "green")),
                decimals=1,
                width=8,
            ),
            Query(f"1 - (1 - ({_good_ratio()})) / {1 - OBJECTIVE:.3f}", "{{tta_component}}", instant=True),
        ),
        single(
            f"Requests slower than {LATENCY_OBJECTIVE_S:g} s",
            Look(
                "Share of requests over the time range slower than the latency objective (99 % within 1 s).",
                "percentunit",
                thresholds("green", (0.01, "red")),
                decimals=2,
                width=8,
            ),
            Query(
                f"1 - {total(BUCKETS, _WITHIN_OBJECTIVE, by=COMPONENT)} / {total(REQUESTS, by=COMPONENT)}",
                "{{tta_component}}",
                instant=True,
            ),
        ),
    ]


def _per_day() -> list[Panel]:
    return [
        graph(
            "Requests per day",
            Look("HTTP requests per day, per component.", "short", width=8, min=0),
            Query(total(REQUESTS, by=COMPONENT, window="1d"), "{{tta_component}}", interval="1d"),
        ),
        graph(
            "Errors per day",
            Look("Errors recorded per day (tta.errors), per component.", "short", width=8, min=0),
            Query(total(ERRORS, by=COMPONENT, window="1d"), "{{tta_component}}", interval="1d"),
        ),
        graph(
            "Sessions started per day",
            Look("Player sessions started per day, per cohort.", "short", width=8, min=0),
            Query(total(SESSIONS_STARTED, by=COHORT, window="1d"), "{{tta_cohort}}", interval="1d"),
        ),
        graph(
            "Completion rate per week",
            Look(
                "Sessions completed over sessions started, per cohort and week (above 100 % when sessions "
                "started the week before completed in this one).",
                "percentunit",
                thresholds("orange", (0.5, "green")),
                width=24,
                min=0,
            ),
            Query(
                f"{total(SESSIONS_COMPLETED, by=COHORT, window='1w')} "
                f"/ {total(SESSIONS_STARTED, by=COHORT, window='1w')}",
                "{{tta_cohort}}",
                interval="1w",
            ),
        ),
    ]


def build() -> model.Dashboard:
    return dashboard(
        UID,
        "TTA long term",
        "Service level, traffic, errors and engagement over months, from the long-term tier's 5-minute series.",
        [("Service level over the time range", _service_level()), ("Per day and per week", _per_day())],
        time_from="now-90d",
        refresh="1h",
        filter_variables=variables(inventory=long_term_series(REQUESTS), datasource_regex=DATASOURCE_REGEX),
        # its datasource (the long-term tier) and 90 days would leave the others' raw series empty
        menu_keeps_context=False,
    )
