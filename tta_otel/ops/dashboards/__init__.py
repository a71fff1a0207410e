"""Grafana dashboards as code, built with Grafana's typed Foundation SDK (extra ``stack``).

Every TTA dashboard is a Python function (``overview.build``, ``performance.build`` ...) that
returns the dashboard model; ``tta-otel dashboards build`` writes them as JSON to
``grafana-dashboards/``, where docker compose's Grafana provisions them (folder TTA). The JSON is
committed and a unit test proves it is what the code builds, so edit the code, never the JSON::

    tta-otel dashboards build                  # write grafana-dashboards/*.json
    tta-otel dashboards lint                   # datasources, units, variables, links, PromQL, LogQL, TraceQL
    tta-otel dashboards push --grafana https://grafana.example.org --token-file token

Every dashboard has the variables ``datasource`` (Prometheus; ``logs`` and ``traces`` where it
reads Loki or Tempo), ``environment``, ``repository`` and ``component``; every panel has a unit,
and per-component panels link to the detail dashboard filtered the same way. ``queries()`` lists
every panel's query, for the stack test that runs each against a real Prometheus. The CLI side
only: a TTA service never imports this package.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import Dashboard

from tta_otel.ops.dashboards import ai_carbon, engagement, errors, long_term, overview, performance, pipeline

BUILDERS: Final[Mapping[str, Callable[[], Dashboard]]] = {
    "overview.json": overview.build,
    "performance.json": performance.build,
    "ai-and-carbon.json": ai_carbon.build,
    "errors.json": errors.build,
    "engagement.json": engagement.build,
    "long-term.json": long_term.build,
    "pipeline.json": pipeline.build,
}
"""File name in ``grafana-dashboards/`` -> the function that builds it."""


@dataclass(frozen=True)
class PanelQuery:
    """One query of one panel: which dashboard and panel, the datasource kind that runs it
    (``prometheus``, ``loki``, ``tempo``), its expression, and whether Grafana asks for an
    instant (tables, figures over the whole time range) rather than a range."""

    dashboard: str
    panel: str
    ref_id: str
    datasource: str
    expr: str
    instant: bool


def models() -> dict[str, dict[str, Any]]:
    """Every dashboard as the JSON object Grafana stores, by file name."""
    return {name: json.loads(json.dumps(build(), cls=JSONEncoder)) for name, build in BUILDERS.items()}


def render(model: Mapping[str, Any]) -> str:
    """The file text of a dashboard: stable key order, so that a rebuild changes only what changed."""
    return json.dumps(model, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write(directory: Path) -> list[Path]:
    """Write every dashboard into ``directory``; returns the files written."""
    written = []
    for name, model in models().items():
        path = directory / name
        path.write_text(render(model))
        written.append(path)
    return written


def read(directory: Path) -> dict[str, dict[str, Any]]:
    """The dashboards of ``directory`` (every ``*.json``), by file name."""
    return {path.name: json.loads(path.read_text()) for path in sorted(directory.glob("*.json"))}


def panels(model: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The panels of a dashboard, those inside collapsed rows included, rows left out."""
    found: list[dict[str, Any]] = []
    for panel in model.get("panels") or []:
        if panel.get("type") == "row":
            found.extend(panel.get("panels") or [])
        else:
            found.append(panel)
    return found


def _query_text(target: Mapping[str, Any]) -> str:
    return str(target.get("expr") or target.get("query") or "")


def queries(dashboards: Mapping[str, Mapping[str, Any]] | None = None) -> list[PanelQuery]:
    """Every query of every panel of ``dashboards`` (default: the ones this package builds)."""
    found: list[PanelQuery] = []
    for model in (dashboards or models()).values():
        for panel in panels(model):
            for target in panel.get("targets") or []:
                datasource = target.get("datasource") or panel.get("datasource") or {}
                found.append(
                    PanelQuery(
                        dashboard=str(model.get("uid")),
                        panel=str(panel.get("title")),
                        ref_id=str(target.get("refId", "")),
                        datasource=str(datasource.get("type", "")),
                        expr=_query_text(target),
                        instant=bool(target.get("instant")) and not target.get("range"),
                    )
                )
    return found
