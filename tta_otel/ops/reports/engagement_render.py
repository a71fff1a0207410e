"""Write an engagement report as JSON, CSV or PDF.

JSON is the report as it is; CSV is one flat table (``section,name,metric,value``) that a
spreadsheet or ``csv.DictReader`` reads back; the PDF has a summary page and a page of
charts. matplotlib (extra ``report``) is imported only for the PDF. Only the cohorts the
report shows are written: suppressed cohorts are a count, in every format.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tta_otel.ops.reports.engagement import MIN_CORRELATION_COHORTS, CohortEngagement, EngagementReport
from tta_otel.ops.reports.output import A4_LANDSCAPE, pdf_report, write_output

CSV_FIELDS = ("section", "name", "metric", "value")
_COHORT_METRICS = (
    "sessions",
    "completed",
    "completion_rate",
    "mean_duration_s",
    "mean_interactions",
    "mean_progress",
)
_MEASURE_TITLES = {"mean_duration_s": "mean session duration", "mean_interactions": "mean interactions per session"}


def to_json(report: EngagementReport) -> str:
    return json.dumps(asdict(report), indent=2)


def _csv_rows(report: EngagementReport) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"section": "total", "name": "", "metric": metric, "value": getattr(report, metric)}
        for metric in ("period_s", "k", "sessions", "completed", "completion_rate", "suppressed_cohorts")
    ]
    for cohort in report.cohorts:
        for metric in _COHORT_METRICS:
            rows.append(
                {"section": "cohort", "name": cohort.cohort, "metric": metric, "value": getattr(cohort, metric)}
            )
        for step, count in cohort.journey_steps.items():
            rows.append({"section": "journey_step", "name": cohort.cohort, "metric": step, "value": count})
    for correlation in report.correlations:
        for metric in ("pearson_r", "cohorts"):
            rows.append(
                {
                    "section": "correlation",
                    "name": correlation.measure,
                    "metric": metric,
                    "value": getattr(correlation, metric),
                }
            )
    return rows


def to_csv(report: EngagementReport) -> str:
    """Empty cells stand for values that are unknown or rest on fewer than k sessions."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in _csv_rows(report):
        writer.writerow({**row, "value": "" if row["value"] is None else row["value"]})
    return buffer.getvalue()


def _optional(value: float | None, template: str) -> str:
    return "-" if value is None else template.format(value)


def _cohort_lines(cohort: CohortEngagement) -> list[str]:
    steps = ", ".join(f"{step} {count}" for step, count in cohort.journey_steps.items()) or "none"
    return [
        f"  {cohort.cohort or '(no cohort)'}: {cohort.sessions} sessions, "
        f"completion {_optional(cohort.completion_rate, '{:.0%}')}, "
        f"mean duration {_optional(cohort.mean_duration_s, '{:.0f} s')}, "
        f"mean interactions {_optional(cohort.mean_interactions, '{:.1f}')}, "
        f"mean progress {_optional(cohort.mean_progress, '{:.2f}')}",
        f"      journey steps: {steps}",
    ]


def summary_lines(report: EngagementReport) -> list[str]:
    """The summary page's text, also what a person reads first."""
    lines = [
        f"Period: {report.start} to {report.end}",
        f"k = {report.k}: cohorts with fewer than {report.k} sessions are suppressed, "
        f"and left out of every total and correlation. Suppressed cohorts: {report.suppressed_cohorts}.",
        f"Sessions in the cohorts shown: {report.sessions}; completed {report.completed} "
        f"({_optional(report.completion_rate, '{:.0%}')})",
        "",
        "Per cohort ('-': no data, or fewer than k sessions behind the figure):",
    ]
    for cohort in report.cohorts:
        lines += _cohort_lines(cohort)
    if not report.cohorts:
        lines.append("  none shown")
    lines += ["", "Correlation of mean progress across cohorts (Pearson r):"]
    lines += [
        f"  with {_MEASURE_TITLES[c.measure]}: "
        + (
            f"{c.pearson_r:+.2f} over {c.cohorts} cohorts"
            if c.pearson_r is not None
            else f"not computed ({c.cohorts} cohorts with data; needs {MIN_CORRELATION_COHORTS} that differ)"
        )
        for c in report.correlations
    ]
    return lines


def write_pdf(report: EngagementReport, path: Path) -> None:
    """Two pages: the summary, then charts of completion, duration, progress against duration, and journeys."""
    labels = [cohort.cohort or "(no cohort)" for cohort in report.cohorts]
    with pdf_report(path, "TTA engagement report", summary_lines(report)) as (pdf, plt):
        charts, ((completion, duration), (scatter, journeys)) = plt.subplots(2, 2, figsize=A4_LANDSCAPE)
        charts.suptitle(f"Engagement by cohort (cohorts of at least {report.k} sessions)")
        completion.bar(labels, [c.completion_rate or 0.0 for c in report.cohorts], color="#4c956c")
        completion.set_title("Completion rate")
        duration.bar(labels, [(c.mean_duration_s or 0.0) / 60 for c in report.cohorts], color="#2c6e49")
        duration.set_title("Mean session duration (min)")
        measured = [c for c in report.cohorts if c.mean_progress is not None and c.mean_duration_s is not None]
        scatter.scatter(
            [c.mean_progress or 0.0 for c in measured],
            [(c.mean_duration_s or 0.0) / 60 for c in measured],
            color="#d68c45",
        )
        for cohort in measured:
            scatter.annotate(cohort.cohort, ((cohort.mean_progress or 0.0), (cohort.mean_duration_s or 0.0) / 60))
        (by_duration, *_) = report.correlations
        scatter.set_title(f"Mean progress against mean duration (r = {_optional(by_duration.pearson_r, '{:+.2f}')})")
        scatter.set_xlabel("mean progress (0 to 1)")
        scatter.set_ylabel("min")
        bottoms = [0.0] * len(report.cohorts)
        for step in sorted({step for c in report.cohorts for step in c.journey_steps}):
            shares = [c.journey_steps.get(step, 0) / (sum(c.journey_steps.values()) or 1) for c in report.cohorts]
            journeys.bar(labels, shares, bottom=bottoms, label=step)
            bottoms = [bottom + share for bottom, share in zip(bottoms, shares, strict=True)]
        journeys.set_title("Journey step distribution (share of steps)")
        if any(bottoms):
            journeys.legend(fontsize=7)
        for axes in (completion, duration, journeys):
            axes.tick_params(axis="x", labelrotation=20, labelsize=7)
        charts.tight_layout()
        pdf.savefig(charts)
        plt.close(charts)


def write_report(report: EngagementReport, fmt: str, path: Path | None) -> str | None:
    """Write ``fmt`` to ``path``; JSON and CSV are returned instead when no path is given."""
    return write_output(
        fmt,
        path,
        lambda kind: to_json(report) if kind == "json" else to_csv(report),
        lambda out: write_pdf(report, out),
    )
