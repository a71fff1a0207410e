"""Write a carbon report as JSON, CSV or PDF.

JSON is the report as it is; CSV is one flat table (``section,name,metric,value``) that a
spreadsheet or ``csv.DictReader`` reads back; the PDF has a summary page and a page of
charts. matplotlib (extra ``report``) is imported only for the PDF.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tta_otel.ops.reports.carbon import CarbonReport
from tta_otel.ops.reports.output import A4_LANDSCAPE, pdf_report, write_output

CSV_FIELDS = ("section", "name", "metric", "value")


def to_json(report: CarbonReport) -> str:
    return json.dumps(asdict(report), indent=2)


def _csv_rows(report: CarbonReport) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for metric in (
        "period_s",
        "energy_j",
        "emissions_g",
        "previous_emissions_g",
        "trend",
        "intensity_g_per_kwh",
        "daily_emissions_g",
        "daily_budget_g",
        "idle_gpu_share",
    ):
        rows.append({"section": "total", "name": "", "metric": metric, "value": getattr(report, metric)})
    for section, shares in (("component", report.by_component), ("source", report.by_source)):
        for share in shares:
            for metric in ("energy_j", "emissions_g", "share"):
                rows.append({"section": section, "name": share.name, "metric": metric, "value": getattr(share, metric)})
    for model in report.by_model:
        for metric, value in asdict(model).items():
            if metric != "model":
                rows.append({"section": "model", "name": model.model, "metric": metric, "value": value})
    for rank, candidate in enumerate(report.ranking, start=1):
        rows.append({"section": "ranking", "name": candidate.model, "metric": "rank", "value": rank})
        rows.append({"section": "ranking", "name": candidate.model, "metric": "score", "value": candidate.score})
    for recommendation in report.recommendations:
        rows.append(
            {
                "section": "recommendation",
                "name": recommendation.rule,
                "metric": "message",
                "value": recommendation.message,
            }
        )
    return rows


def to_csv(report: CarbonReport) -> str:
    """Empty cells stand for values the period has no data for."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in _csv_rows(report):
        writer.writerow({**row, "value": "" if row["value"] is None else row["value"]})
    return buffer.getvalue()


def _summary_lines(report: CarbonReport) -> list[str]:
    def optional(value: float | None, template: str) -> str:
        return "no data" if value is None else template.format(value)

    lines = [
        f"Period: {report.start} to {report.end}",
        f"Energy: {report.energy_j / 3.6e6:.4f} kWh ({report.energy_j:.0f} J)",
        f"Emissions: {report.emissions_g:.2f} gCO2e; per day {report.daily_emissions_g:.2f} g; "
        f"budget {optional(report.daily_budget_g, '{:.1f} g')}",
        f"Previous period: {optional(report.previous_emissions_g, '{:.2f} g')}; "
        f"trend {optional(report.trend, '{:+.0%}')}",
        f"Grid intensity: {optional(report.intensity_g_per_kwh, '{:.0f} gCO2e/kWh')}; "
        f"idle GPU share {optional(report.idle_gpu_share, '{:.0%}')}",
        "",
        "Per model (gCO2e per 1,000 tokens):",
    ]
    lines += [
        f"  {m.model}: {m.emissions_g:.3f} g, {m.tokens} tokens, {optional(m.g_per_1k_tokens, '{:.4f}')} g/1k tokens, "
        f"mean latency {optional(m.mean_latency_s, '{:.2f} s')}"
        for m in report.by_model
    ]
    lines += ["", "Ranking (best first): " + ", ".join(c.model for c in report.ranking), "", "Recommendations:"]
    lines += [f"  [{r.rule}] {r.message}" for r in report.recommendations] or ["  none"]
    return lines


def write_pdf(report: CarbonReport, path: Path) -> None:
    """Two pages: the summary and recommendations, then charts of the shares and carbon per token."""
    with pdf_report(path, "TTA carbon report", _summary_lines(report)) as (pdf, plt):
        charts, ((by_component, by_source), (per_token, by_model)) = plt.subplots(2, 2, figsize=A4_LANDSCAPE)
        charts.suptitle("Emissions by component, source and model")
        for axes, shares, title in (
            (by_component, report.by_component, "gCO2e by component"),
            (by_source, report.by_source, "gCO2e by energy source"),
        ):
            axes.bar([s.name for s in shares], [s.emissions_g for s in shares], color="#4c956c")
            axes.set_title(title)
            axes.set_ylabel("gCO2e")
        priced = [m for m in report.by_model if m.g_per_1k_tokens is not None]
        per_token.bar([m.model for m in priced], [m.g_per_1k_tokens or 0.0 for m in priced], color="#2c6e49")
        per_token.set_title("gCO2e per 1,000 tokens")
        by_model.bar([m.model for m in report.by_model], [m.emissions_g for m in report.by_model], color="#d68c45")
        by_model.set_title("gCO2e by model")
        for axes in (by_component, by_source, per_token, by_model):
            axes.tick_params(axis="x", labelrotation=20, labelsize=7)
        charts.tight_layout()
        pdf.savefig(charts)
        plt.close(charts)


def write_report(report: CarbonReport, fmt: str, path: Path | None) -> str | None:
    """Write ``fmt`` to ``path``; JSON and CSV are returned instead when no path is given."""
    return write_output(
        fmt,
        path,
        lambda kind: to_json(report) if kind == "json" else to_csv(report),
        lambda out: write_pdf(report, out),
    )
