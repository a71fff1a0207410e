"""What every TTA dashboard shares: its datasource and filter variables, the label selector that
applies them, panel builders that insist on a unit, and the links between dashboards.

Datasources are never named by uid in a panel: each dashboard has a datasource variable per kind
(``datasource`` for Prometheus, ``logs`` for Loki, ``traces`` for Tempo), so the same JSON works
with the provisioned datasources of docker compose and with whatever another Grafana calls its own.
``tta-otel dashboards lint`` holds every dashboard to that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, TypeVar

from grafana_foundation_sdk.builders import dashboard as builder
from grafana_foundation_sdk.builders import logs, loki, nodegraph, prometheus, stat, table, tempo, timeseries
from grafana_foundation_sdk.builders.common import GraphThresholdsStyleConfig, ReduceDataOptions, VizLegendOptions
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.variants import Dataquery
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

from tta_otel import semconv
from tta_otel.semconv import prometheus_label

COMPONENT: Final = prometheus_label(semconv.TTA_COMPONENT)
ENVIRONMENT: Final = prometheus_label(semconv.DEPLOYMENT_ENVIRONMENT_NAME)
REPOSITORY: Final = prometheus_label(semconv.TTA_REPOSITORY)
TAG: Final = "tta"
ALL: Final = ".*"
RUNBOOKS: Final = "https://github.com/tta/tta-otel/blob/main/docs/runbooks"
# Every process under the distro announces itself (tta.component.info), so its labels list every
# environment, repository and component that runs: a new component appears without configuration.
_INVENTORY: Final = semconv.TTA_COMPONENT_INFO.prometheus

PROMETHEUS: Final = model.DataSourceRef(type_val="prometheus", uid="${datasource}")
LOKI: Final = model.DataSourceRef(type_val="loki", uid="${logs}")
TEMPO: Final = model.DataSourceRef(type_val="tempo", uid="${traces}")
DATASOURCE_VARIABLES: Final = {"prometheus": "datasource", "loki": "logs", "tempo": "traces"}

FILTERS: Final = f'{ENVIRONMENT}=~"$environment", {REPOSITORY}=~"$repository", {COMPONENT}=~"$component"'
"""The matchers that apply the environment, repository and component variables to a selector."""

Panel = Builder[model.Panel]


def selector(*matchers: str) -> str:
    """``{<the dashboard's filters>, <matchers>}``: the label selector of every service metric."""
    return "{" + ", ".join((FILTERS, *matchers)) + "}"


def rate(metric: str, *matchers: str, by: str, window: str = "$__rate_interval") -> str:
    return f"sum by ({by}) (rate({metric}{selector(*matchers)}[{window}]))"


def increase(metric: str, *matchers: str, by: str, window: str = "$__range") -> str:
    return f"sum by ({by}) (increase({metric}{selector(*matchers)}[{window}]))"


def quantile(q: float, histogram: str, *matchers: str, by: str) -> str:
    """The ``q`` quantile of an OTel histogram (``<histogram>_bucket``) per ``by``."""
    return (
        f"histogram_quantile({q}, sum by ({by}, le) (rate({histogram}_bucket{selector(*matchers)}[$__rate_interval])))"
    )


@dataclass(frozen=True)
class Query:
    """One PromQL target: its expression, its legend, whether Grafana asks for a single instant, and
    the least step between points of a range query (``interval``: e.g. one point a day)."""

    expr: str
    legend: str = ""
    instant: bool = False
    interval: str = ""


def _prometheus_targets(queries: Sequence[Query], table_format: bool = False) -> list[Builder[Dataquery]]:
    targets: list[Builder[Dataquery]] = []
    for index, query in enumerate(queries):
        target = prometheus.Dataquery().expr(query.expr).ref_id(chr(ord("A") + index)).datasource(PROMETHEUS)
        if query.legend:
            target.legend_format(query.legend)
        if query.instant:
            target.instant()
        else:
            target.range()
        if query.interval:
            target.interval(query.interval)
        if table_format:
            target.format(PromQueryFormat.TABLE)
        targets.append(target)
    return targets


def thresholds(base: str, *steps: tuple[float, str]) -> builder.ThresholdsConfig:
    """Absolute thresholds: ``base`` below the first step, then each step's colour from its value up."""
    return (
        builder.ThresholdsConfig()
        .mode(model.ThresholdsMode.ABSOLUTE)
        .steps([model.Threshold(value=None, color=base), *(model.Threshold(value=v, color=c) for v, c in steps)])
    )


def link(title: str, url: str) -> builder.DashboardLink:
    return builder.DashboardLink(title).type(model.DashboardLinkType.LINK).url(url)


def drilldown(uid: str, title: str, component: str = "${__field.labels.tta_component}") -> builder.DashboardLink:
    """A data link to dashboard ``uid`` filtered like this one (time range, datasource, environment,
    repository) and on the clicked series' component."""
    url = (
        f"/d/{uid}?${{__url_time_range}}&${{datasource:queryparam}}&${{environment:queryparam}}"
        f"&${{repository:queryparam}}&var-component={component}"
    )
    return link(f"{title} for ${{__field.labels.tta_component}}", url).tooltip(f"Open {title}, filtered the same way")


@dataclass
class Look:
    """What a numeric panel shows besides its queries."""

    description: str
    unit: str
    thresholds: builder.ThresholdsConfig | None = None
    links: Sequence[builder.DashboardLink] = ()
    width: int = 12
    height: int = 8
    min: float | None = None
    max: float | None = None
    decimals: int | None = None
    mappings: list[model.ValueMapping] = field(default_factory=list)


P = TypeVar("P", timeseries.Panel, stat.Panel, table.Panel)


def _dress(panel: P, title: str, look: Look) -> P:
    panel.title(title).description(look.description).unit(look.unit).datasource(PROMETHEUS)
    panel.span(look.width).height(look.height)
    if look.thresholds is not None:
        panel.thresholds(look.thresholds)
    if look.links:
        panel.data_links(list(look.links))
    if look.min is not None:
        panel.min(look.min)
    if look.max is not None:
        panel.max(look.max)
    if look.decimals is not None:
        panel.decimals(look.decimals)
    if look.mappings:
        panel.mappings(look.mappings)
    return panel


def graph(title: str, look: Look, *queries: Query) -> timeseries.Panel:
    panel = _dress(timeseries.Panel(), title, look).targets(_prometheus_targets(queries))
    legend = VizLegendOptions().display_mode(common.LegendDisplayMode.TABLE).placement(common.LegendPlacement.BOTTOM)
    panel.legend(legend.show_legend(True).calcs(["lastNotNull", "max"]))
    if look.thresholds is not None:
        panel.thresholds_style(GraphThresholdsStyleConfig().mode(common.GraphTresholdsStyleMode.DASHED))
    return panel


def single(title: str, look: Look, *queries: Query) -> stat.Panel:
    """A stat: the last value of each series, coloured by the thresholds."""
    return (
        _dress(stat.Panel(), title, look)
        .targets(_prometheus_targets(queries))
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .color_mode(common.BigValueColorMode.BACKGROUND)
        .graph_mode(common.BigValueGraphMode.NONE)
        .text_mode(common.BigValueTextMode.VALUE_AND_NAME)
    )


def grid(title: str, look: Look, *queries: Query, hide: Sequence[str] = ("Time",)) -> table.Panel:
    """A table of instant results, one row per series; ``hide`` names columns to leave out."""
    organize = model.DataTransformerConfig(
        id_val="organize", options={"excludeByName": dict.fromkeys(hide, True), "renameByName": {}}
    )
    panel = _dress(table.Panel(), title, look).targets(_prometheus_targets(queries, table_format=True))
    return panel.with_transformation(model.DataTransformerConfig(id_val="merge", options={})).with_transformation(
        organize
    )


def log_lines(title: str, description: str, expr: str) -> logs.Panel:
    """A Loki logs panel; its trace ids link to Tempo through the Loki datasource's derived field."""
    target = loki.Dataquery().expr(expr).ref_id("A").datasource(LOKI)
    return (
        logs.Panel()
        .title(title)
        .description(description)
        .datasource(LOKI)
        .with_target(target)
        .span(24)
        .height(10)
        .show_time(True)
        .wrap_log_message(True)
        .enable_log_details(True)
        .sort_order(common.LogsSortOrder.DESCENDING)
    )


def service_map(title: str, description: str) -> nodegraph.Panel:
    """Tempo's service graph (its metrics generator writes the edges to Prometheus)."""
    target = tempo.TempoQuery().query_type("serviceMap").ref_id("A").datasource(TEMPO)
    return (
        nodegraph.Panel()
        .title(title)
        .description(description)
        .datasource(TEMPO)
        .with_target(target)
        .span(24)
        .height(10)
    )


def label_variable(name: str, label: str, metric_selector: str, key: str, *, multi: bool) -> builder.QueryVariable:
    """A variable over the values of label ``key`` on the series ``metric_selector`` selects; a
    multi-value one has an All that matches any value (``.*``), selected by default."""
    variable = (
        builder.QueryVariable(name)
        .label(label)
        .datasource(PROMETHEUS)
        .query(f"label_values({metric_selector}, {key})")
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(model.VariableSort.ALPHABETICAL_ASC)
    )
    if multi:
        variable.multi(True).include_all(True).all_value(ALL).current(
            model.VariableOption(selected=True, text=["All"], value=["$__all"])
        )
    return variable


def variables(
    *kinds: str, inventory: str = _INVENTORY, datasource_regex: str | None = None
) -> list[Builder[model.VariableModel]]:
    """The datasource variables of ``kinds`` (Prometheus always; ``datasource_regex`` narrows the
    Prometheus-type datasources offered) and the filters, read from the series ``inventory``: one
    environment at a time (objectives are per environment), any repositories and components (all
    by default)."""
    found: list[Builder[model.VariableModel]] = []
    for kind in ("prometheus", *kinds):
        datasource = builder.DatasourceVariable(DATASOURCE_VARIABLES[kind]).label(kind.capitalize()).type(kind)
        if kind == "prometheus" and datasource_regex is not None:
            datasource.regex(datasource_regex)
        found.append(datasource)
    in_environment = f'{ENVIRONMENT}=~"$environment"'
    found += [
        label_variable("environment", "Environment", inventory, ENVIRONMENT, multi=False),
        label_variable("repository", "Repository", f"{inventory}{{{in_environment}}}", REPOSITORY, multi=True),
        label_variable(
            "component",
            "Component",
            f'{inventory}{{{in_environment}, {REPOSITORY}=~"$repository"}}',
            COMPONENT,
            multi=True,
        ),
    ]
    return found


def dashboard(
    uid: str,
    title: str,
    description: str,
    rows: Sequence[tuple[str, Sequence[Panel]]],
    *,
    kinds: Sequence[str] = (),
    extra_variables: Sequence[Builder[model.VariableModel]] = (),
    annotations: Sequence[Builder[model.AnnotationQuery]] = (),
    time_from: str = "now-1h",
    refresh: str = "30s",
    filter_variables: Sequence[Builder[model.VariableModel]] | None = None,
    menu_keeps_context: bool = True,
) -> model.Dashboard:
    """A TTA dashboard: the last hour (``time_from``), refreshed every 30 s (``refresh``), the shared
    variables (or ``filter_variables``), a menu of the other TTA dashboards (keeping the time range
    and variables), and its panels in rows, numbered in reading order (data links and ``viewPanel``
    URLs rely on stable ids). ``menu_keeps_context=False``: the menu opens the others with their own
    time range and variables (a dashboard whose datasource and range would mislead them)."""
    board = (
        builder.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags([TAG])
        .editable()
        .time(time_from, "now")
        .refresh(refresh)
        .timezone("browser")
        .tooltip(model.DashboardCursorSync.CROSSHAIR)
        .timepicker(builder.TimePicker().refresh_intervals(["10s", "30s", "1m", "5m", "15m", "1h"]).hidden(False))
        .variables([*(variables(*kinds) if filter_variables is None else filter_variables), *extra_variables])
        .link(
            builder.DashboardLink("TTA dashboards")
            .type(model.DashboardLinkType.DASHBOARDS)
            .tags([TAG])
            .as_dropdown(True)
            .include_vars(menu_keeps_context)
            .keep_time(menu_keeps_context)
        )
    )
    for annotation in annotations:
        board.annotation(annotation)
    for row_title, panels in rows:
        board.with_row(builder.Row(row_title))
        for panel in panels:
            board.with_panel(panel)
    built = board.build()
    for number, numbered in enumerate(built.panels or [], start=1):
        numbered.id_val = number
    return built
