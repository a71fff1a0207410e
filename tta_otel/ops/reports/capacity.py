"""The capacity report: for each component and store, its use now, its growth over the period,
when a straight line through its recent history reaches its limit, and what to do about it.

The use and the forecasts are those ``tta-otel status`` shows (``ops/status``: service memory
against the 2 GiB of ``TTAServiceMemoryExhaustionForecast``, Prometheus's storage against its
size retention, ``predict_linear`` and ``deriv`` over an hour and a day); the growth is the use
now against the use one period ago (``offset``). Each row carries the first recommendation rule
that applies, in this order:

1. ``at-limit``: the use has reached the limit - raise it now.
2. ``within-7-days``: the forecast reaches the limit within 7 days - add capacity this week.
3. ``within-30-days``: within 30 days - plan capacity this month.
4. ``little-headroom``: above 80 % of the limit - watch it.
5. ``over-provisioned``: below 20 % of the limit and not growing - the limit could come down.
6. ``ok``: none of the above.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tta_otel.ops.reports.output import A4_LANDSCAPE, pdf_report, rows_text, write_output
from tta_otel.ops.reports.prometheus import PrometheusClient
from tta_otel.ops.status import queries as q
from tta_otel.ops.status.collect import disk_forecasts, memory_forecasts
from tta_otel.ops.status.model import Forecast

RULES = ("at-limit", "within-7-days", "within-30-days", "little-headroom", "over-provisioned", "ok")
_ADVICE = {
    "at-limit": "at its limit: raise the limit or add capacity now",
    "within-7-days": "reaches its limit within 7 days: add capacity this week",
    "within-30-days": "reaches its limit within 30 days: plan capacity this month",
    "little-headroom": "above 80 % of its limit: watch it",
    "over-provisioned": "below 20 % of its limit and not growing: the limit could come down",
    "ok": "enough room",
}


@dataclass(frozen=True)
class CapacityRow:
    resource: str
    subject: str
    environment: str | None
    repository: str | None
    component: str | None
    used_bytes: float
    limit_bytes: float
    used_ratio: float
    growth_bytes: float | None  # over the report's period; None without data at its start
    runs_out_at: str | None
    rule: str
    recommendation: str


@dataclass(frozen=True)
class CapacityReport:
    start: str
    end: str
    rows: list[CapacityRow]


def rule_of(used: float, limit: float, growth: float | None, runs_out: datetime | None, now: datetime) -> str:
    """The first recommendation rule (module docstring) that applies."""
    if used >= limit:
        return "at-limit"
    if runs_out is not None and runs_out - now <= timedelta(days=7):
        return "within-7-days"
    if runs_out is not None and runs_out - now <= timedelta(days=30):
        return "within-30-days"
    if used > 0.8 * limit:
        return "little-headroom"
    if used < 0.2 * limit and (growth is None or growth <= 0):
        return "over-provisioned"
    return "ok"


def _growth(client: PrometheusClient, forecast: Forecast, period: timedelta, now: datetime) -> float | None:
    """The largest use (of the component's instances, or of the storage) now minus one period ago."""
    if forecast.resource == "disk":
        selector = q.DISK_NOW
    else:
        matchers = [*q.scope(forecast.environment, forecast.repository), f'{q.COMPONENT}="{forecast.component}"']
        selector = q.memory_now(matchers)
    now_value, then_value = client.scalar(f"max({selector})", now), client.scalar(f"max({selector})", now - period)
    return now_value - then_value if now_value is not None and then_value is not None else None


def build_capacity_report(
    client: PrometheusClient, period: timedelta, environment: str | None = None
) -> CapacityReport:
    now = datetime.now(UTC)
    forecasts = [*memory_forecasts(client, now, q.scope(environment)), *disk_forecasts(client, now)]
    rows = []
    for forecast in forecasts:
        growth = _growth(client, forecast, period, now)
        rule = rule_of(forecast.current_bytes, forecast.limit_bytes, growth, forecast.runs_out_at, now)
        rows.append(
            CapacityRow(
                forecast.resource,
                forecast.subject,
                forecast.environment,
                forecast.repository,
                forecast.component,
                forecast.current_bytes,
                forecast.limit_bytes,
                round(forecast.current_bytes / forecast.limit_bytes, 4),
                growth,
                forecast.runs_out_at.isoformat() if forecast.runs_out_at else None,
                rule,
                _ADVICE[rule],
            )
        )
    rows.sort(key=lambda row: (RULES.index(row.rule), row.resource, row.subject))
    return CapacityReport((now - period).isoformat(), now.isoformat(), rows)


def _summary(report: CapacityReport) -> list[str]:
    lines = [f"Period: {report.start} to {report.end}", "", "Rules, in order: " + ", ".join(RULES), ""]
    for row in report.rows:
        runs_out = f", runs out {row.runs_out_at}" if row.runs_out_at else ""
        lines.append(f"[{row.rule}] {row.resource} of {row.subject}: {row.used_ratio:.0%} of its limit{runs_out}")
        lines.append(f"      {row.recommendation}")
    return lines or ["No component or store reported its use in the period."]


def _pdf(report: CapacityReport, path: Path) -> None:
    with pdf_report(path, "TTA capacity report", _summary(report)) as (pdf, plt):
        figure, axes = plt.subplots(figsize=A4_LANDSCAPE)
        axes.barh([f"{row.resource}: {row.subject}" for row in report.rows], [row.used_ratio for row in report.rows])
        axes.axvline(0.8, color="#d68c45", linestyle="--")
        axes.set_xlim(0, 1)
        axes.set_title("Use as a share of the limit (dashed: 80 %)")
        pdf.savefig(figure)
        plt.close(figure)


def write_report(report: CapacityReport, fmt: str, path: Path | None) -> str | None:
    """JSON or CSV as text (or into ``path``); a PDF into ``path``."""
    return write_output(fmt, path, lambda f: rows_text(report, report.rows, CapacityRow, f), lambda p: _pdf(report, p))


__all__ = ["RULES", "CapacityReport", "CapacityRow", "build_capacity_report", "rule_of", "write_report"]
