"""TTA errors: error rates by type and component, the top error groups by fingerprint, critical
therapeutic-content errors, and the error log lines (Loki, linked to their traces in Tempo)."""

from __future__ import annotations

from typing import Final

from grafana_foundation_sdk.models import dashboard as model

from tta_otel import semconv
from tta_otel.ops.dashboards.common import (
    ALL,
    COMPONENT,
    FILTERS,
    Look,
    Panel,
    Query,
    dashboard,
    graph,
    grid,
    increase,
    label_variable,
    link,
    log_lines,
    rate,
    selector,
    single,
    thresholds,
)
from tta_otel.semconv import prometheus_label

ERRORS: Final = semconv.TTA_ERRORS.prometheus
TIME_TO_RESOLVE: Final = semconv.TTA_ERROR_TIME_TO_RESOLVE.prometheus
FINGERPRINT: Final = prometheus_label(semconv.TTA_ERROR_FINGERPRINT)
CRITICAL: Final = prometheus_label(semconv.TTA_ERROR_CRITICAL)
ERROR_TYPE: Final = prometheus_label(semconv.ERROR_TYPE)

UID: Final = "tta-errors"
_CRITICAL = f'{CRITICAL}="true"'
_OF_COMPONENT = f'{{{COMPONENT}=~"$component"}}'
_GROUP = f"{FINGERPRINT}, {ERROR_TYPE}, {COMPONENT}, tta_error_severity"
_THIS_GROUP = (
    f"/d/{UID}?${{__url_time_range}}&${{datasource:queryparam}}&${{logs:queryparam}}&${{environment:queryparam}}"
    f"&${{repository:queryparam}}&var-component=${{__data.fields.{COMPONENT}}}&var-fingerprint=${{__data.fields.{FINGERPRINT}}}"
)
LOG_QUERY: Final = (
    '{service_name=~".+", ' + FILTERS + f'}} | severity_text=~"ERROR|CRITICAL|FATAL" | {FINGERPRINT}=~"$fingerprint"'
)
"""Error log lines of the selected services: Loki indexes the same resource labels as Prometheus
(loki/loki.yaml) and keeps the error attributes as structured metadata."""


def _rates() -> list[Panel]:
    return [
        graph(
            "Error rate by type and component",
            Look("Errors per second (tta.errors) by exception type and component.", "eps", width=16),
            Query(rate(ERRORS, by=f"{COMPONENT}, {ERROR_TYPE}"), "{{tta_component}} {{error_type}}"),
        ),
        single(
            "Critical content errors",
            Look(
                "Errors over the dashboard's time range that kept therapeutic content from a player "
                "(critical routes and operations, docs/errors.md); any fires TTACriticalContentErrors.",
                "short",
                thresholds("green", (1, "red")),
                width=8,
            ),
            Query(f"sum(increase({ERRORS}{selector(_CRITICAL)}[$__range])) or vector(0)", "critical", instant=True),
        ),
        graph(
            "Critical content errors by group",
            Look(
                "Critical errors per second by fingerprint and type.",
                "eps",
                thresholds("green", (0.0001, "red")),
                width=24,
            ),
            Query(rate(ERRORS, _CRITICAL, by=_GROUP), "{{tta_component}} {{error_type}} {{tta_error_fingerprint}}"),
        ),
    ]


def _groups() -> list[Panel]:
    return [
        grid(
            "Top error groups",
            Look(
                "The ten most frequent error groups over the dashboard's time range. Click a fingerprint to "
                "show only its log lines below; `tta-otel errors` lists them with first and last seen.",
                "short",
                links=[link("Log lines of ${__data.fields.tta_error_fingerprint}", _THIS_GROUP)],
                width=16,
                height=9,
            ),
            Query(f"topk(10, {increase(ERRORS, by=_GROUP)})", instant=True),
        ),
        single(
            "Median time to resolve",
            Look(
                "From first seen to `tta-otel errors --resolve`, over the dashboard's time range. The CLI "
                "records it with the group's component only, so the environment filter does not apply.",
                "s",
                width=8,
                height=9,
            ),
            Query(
                f"histogram_quantile(0.5, sum by (le) (increase({TIME_TO_RESOLVE}_bucket{_OF_COMPONENT}[$__range])))",
                "median",
                instant=True,
            ),
        ),
    ]


def build() -> model.Dashboard:
    fingerprint = label_variable(
        "fingerprint", "Error group", f"{ERRORS}{selector()}", FINGERPRINT, multi=True
    ).all_value(ALL)
    return dashboard(
        UID,
        "TTA errors",
        "Error rates, error groups by fingerprint, critical content errors and error log lines with their traces.",
        [
            ("Error rates", _rates()),
            ("Error groups", _groups()),
            (
                "Log lines",
                [
                    log_lines(
                        "Error log lines",
                        "ERROR log records of the selected services and error groups (Loki, docker compose only: "
                        "the native stack writes logs to a file, docs/stack.md). Each line's trace id opens its "
                        "trace in Tempo (the Loki datasource's derived field).",
                        LOG_QUERY,
                    )
                ],
            ),
        ],
        kinds=("loki",),
        extra_variables=[fingerprint],
    )
