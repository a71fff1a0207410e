"""``Status`` for people (rich tables, one screen per environment) and for scripts (JSON).

The JSON form is versioned by ``"schema"``; docs/status.md documents every field and
tests/unit/test_status_render.py checks the document against that description. Numbers are
plain floats (ratios from 0 to 1, seconds, bytes, per second), absent figures ``null``.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from tta_otel.ops.status.model import (
    Alert,
    Collector,
    Component,
    Dependency,
    Environment,
    Forecast,
    Health,
    Status,
    Store,
    Verdict,
)

SCHEMA = 1
_STYLES = {Health.HEALTHY: "green", Health.DEGRADED: "yellow", Health.DOWN: "bold red"}


def _iso(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


def _component(c: Component) -> dict[str, Any]:
    return {
        "repository": c.repository,
        "component": c.name,
        "status": Verdict.of(c.findings()).health.label,
        "instances": c.instances,
        "instances_up": c.instances_up,
        "versions": list(c.versions),
        "request_rate": c.request_rate,
        "error_ratio": c.error_ratio,
        "p95_latency_s": c.p95_latency_s,
        "budget_left": c.budget_left,
    }


def _dependency(d: Dependency) -> dict[str, Any]:
    return {
        "repository": d.repository,
        "component": d.component,
        "name": d.name,
        "type": d.type,
        "instances": d.instances,
        "instances_up": d.instances_up,
    }


def _forecast(f: Forecast) -> dict[str, Any]:
    return {
        "resource": f.resource,
        "subject": f.subject,
        "repository": f.repository,
        "component": f.component,
        "current_bytes": f.current_bytes,
        "limit_bytes": f.limit_bytes,
        "history": f.history,
        "runs_out_at": _iso(f.runs_out_at),
        "outlook": f.outlook(),
    }


def _alert(a: Alert) -> dict[str, Any]:
    return {"name": a.name, "severity": a.severity, "summary": a.summary, "starts_at": a.starts_at, "labels": a.labels}


def _store(s: Store) -> dict[str, Any]:
    return {
        "name": s.name,
        "url": s.url,
        "reachable": s.reachable,
        "ready": s.ready,
        "scraped_up": s.scraped_up,
        "detail": s.detail,
    }


def _collector(c: Collector) -> dict[str, Any]:
    return {
        "up": c.up,
        "accepted_per_s": c.accepted_per_s,
        "refused_per_s": c.refused_per_s,
        "export_failures_per_s": c.export_failures_per_s,
        "queue_fill": dict(sorted(c.queue_fill.items())),
    }


def _verdict(verdict: Verdict) -> dict[str, Any]:
    return {"status": verdict.health.label, "reasons": list(verdict.reasons)}


def as_dict(status: Status) -> dict[str, Any]:
    now = status.generated_at
    verdict = status.verdict()
    platform = status.platform
    return {
        "schema": SCHEMA,
        "generated_at": _iso(now),
        **_verdict(verdict),
        "exit_code": int(verdict.health),
        "platform": {
            **_verdict(platform.verdict(now)),
            "collector": _collector(platform.collector),
            "stores": [_store(s) for s in platform.stores],
            "forecasts": [_forecast(f) for f in platform.forecasts],
            "alerts": [_alert(a) for a in platform.alerts],
        },
        "environments": [
            {
                "name": e.name,
                **_verdict(e.verdict(now)),
                "components": [_component(c) for c in e.components],
                "dependencies": [_dependency(d) for d in e.dependencies],
                "forecasts": [_forecast(f) for f in e.forecasts],
                "alerts": [_alert(a) for a in e.alerts],
            }
            for e in status.environments
        ],
    }


def as_json(status: Status) -> str:
    return json.dumps(as_dict(status), indent=2)


def error_json(message: str) -> str:
    """What ``--json`` prints when nothing could be asked: down, and why."""
    return json.dumps({"schema": SCHEMA, "status": "down", "exit_code": 2, "reasons": [message]}, indent=2)


def _health(health: Health) -> Text:
    return Text(health.label, style=_STYLES[health])


def _number(value: float | None, form: str) -> str:
    return "-" if value is None else format(value, form)


def _bytes(value: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024:
            return f"{value:.0f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def _platform_table(status: Status) -> Table:
    table = Table(title="Platform", title_justify="left")
    for column in ("part", "state", "details"):
        table.add_column(column)
    c = status.platform.collector
    fill = ", ".join(f"{name} {value:.0%}" for name, value in sorted(c.queue_fill.items())) or "-"
    table.add_row(
        "otel-collector",
        _health(Verdict.of(c.findings()).health),
        f"accepted {_number(c.accepted_per_s, '.3g')}/s, refused {_number(c.refused_per_s, '.3g')}/s, "
        f"export failures {_number(c.export_failures_per_s, '.3g')}/s, queues {fill}",
    )
    for s in status.platform.stores:
        scraped = "" if s.scraped_up is None else f", scraped {'up' if s.scraped_up else 'down'}"
        state = "ready" if s.ready else ("not ready" if s.reachable else "unreachable")
        table.add_row(s.name, _health(Verdict.of(s.findings()).health), f"{state} at {s.url}{scraped} {s.detail}")
    return table


def _forecast_table(forecasts: list[Forecast], status: Status) -> Table:
    table = Table(title="Forecasts (predict_linear)", title_justify="left")
    for column in ("resource", "of", "now", "limit", "outlook"):
        table.add_column(column)
    for f in forecasts:
        outlook = Text(f.outlook(), style=_STYLES[Verdict.of(f.findings(status.generated_at)).health])
        table.add_row(f.resource, f.subject, _bytes(f.current_bytes), _bytes(f.limit_bytes), outlook)
    return table


def _components_table(environment: Environment) -> Table:
    table = Table(title=f"Components in {environment.name}", title_justify="left")
    for column in ("repository", "component", "up", "versions", "req/s", "5xx", "p95", "budget left", "state"):
        table.add_column(column, justify="right" if column in {"up", "req/s", "5xx", "p95", "budget left"} else "left")
    for c in environment.components:
        table.add_row(
            c.repository,
            c.name,
            f"{c.instances_up}/{c.instances}",
            ", ".join(c.versions) or "-",
            _number(c.request_rate, ".3g"),
            _number(c.error_ratio, ".2%"),
            "-" if c.p95_latency_s is None else f"{c.p95_latency_s * 1000:.0f} ms",
            _number(c.budget_left, ".0%"),
            _health(Verdict.of(c.findings()).health),
        )
    return table


def _dependencies_table(environment: Environment) -> Table:
    table = Table(title=f"Dependencies in {environment.name}", title_justify="left")
    for column in ("repository", "component", "type", "name", "up"):
        table.add_column(column)
    for d in environment.dependencies:
        style = _STYLES[Verdict.of(d.findings()).health]
        table.add_row(d.repository, d.component, d.type, d.name, Text(f"{d.instances_up}/{d.instances}", style=style))
    return table


def _alerts_table(alerts: tuple[Alert, ...], where: str) -> Table:
    table = Table(title=f"Firing alerts ({where})", title_justify="left")
    for column in ("alert", "severity", "since", "summary"):
        table.add_column(column)
    for a in alerts:
        style = _STYLES[Verdict.of(a.findings()).health]
        table.add_row(a.name, Text(a.severity, style=style), a.starts_at[:19], a.summary)
    return table


def render(status: Status) -> RenderableType:
    """The screen: the verdict and its reasons, the platform, then each environment."""
    verdict = status.verdict()
    parts: list[RenderableType] = [
        Text.assemble(
            f"TTA status at {status.generated_at:%Y-%m-%d %H:%M:%S} UTC: ",
            (verdict.health.label.upper(), _STYLES[verdict.health]),
        ),
        *(Text(f"  - {reason}") for reason in verdict.reasons),
        _platform_table(status),
    ]
    if status.platform.forecasts:
        parts.append(_forecast_table(list(status.platform.forecasts), status))
    if status.platform.alerts:
        parts.append(_alerts_table(status.platform.alerts, "platform"))
    for e in status.environments:
        parts.append(_components_table(e))
        if e.dependencies:
            parts.append(_dependencies_table(e))
        if e.forecasts:
            parts.append(_forecast_table(list(e.forecasts), status))
        if e.alerts:
            parts.append(_alerts_table(e.alerts, e.name))
    if not status.environments:
        parts.append(Text("No component has reported in the last hour (tta_component_info)."))
    return Group(*parts)
