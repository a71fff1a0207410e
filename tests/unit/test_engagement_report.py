"""``tta-otel report engagement``: the k-anonymity rule, the correlation and the renderers, on
canned Prometheus answers (the stack test runs the same report against the real Prometheus)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from tta_otel import semconv
from tta_otel.ops.cli.main import main
from tta_otel.ops.reports.engagement import EngagementReport, build_engagement_report, pearson
from tta_otel.ops.reports.engagement_render import summary_lines, to_csv, write_report
from tta_otel.ops.reports.prometheus import PrometheusClient, Sample

END = datetime(2026, 11, 26, tzinfo=UTC)


class CannedPrometheus(PrometheusClient):
    """Answers each query with the samples planted for its metric; remembers the queries."""

    def __init__(self, samples: dict[str, list[Sample]]) -> None:
        super().__init__("http://prometheus.invalid")
        self.samples = samples
        self.queries: list[str] = []

    def query(self, promql: str, at: datetime) -> list[Sample]:
        self.queries.append(promql)
        metric = promql.split("increase(")[1].partition("{")[0]
        return self.samples.get(metric, [])


def _cohorts(**values: float) -> list[Sample]:
    return [Sample({semconv.prometheus_label(semconv.TTA_COHORT): cohort}, value) for cohort, value in values.items()]


def _report(samples: dict[str, list[Sample]], k: int = 10) -> EngagementReport:
    return build_engagement_report(CannedPrometheus(samples), timedelta(days=7), k=k, end=END)


def test_every_query_is_an_increase_over_the_period_in_one_environment() -> None:
    prometheus = CannedPrometheus({})

    build_engagement_report(prometheus, timedelta(days=7), end=END, environment="production")

    assert prometheus.queries[0] == (
        "sum by (tta_cohort) (increase(tta_engagement_sessions_started_total"
        '{deployment_environment_name="production"}[604800s]))'
    )
    assert prometheus.queries[-1] == (
        "sum by (tta_cohort, tta_journey_step) (increase(tta_engagement_journey_steps_total"
        '{deployment_environment_name="production"}[604800s]))'
    )


def test_an_estimate_just_under_k_sessions_is_suppressed() -> None:
    report = _report({semconv.TTA_ENGAGEMENT_SESSIONS_STARTED.prometheus: _cohorts(a=9.999, b=10.0)})

    assert ([c.cohort for c in report.cohorts], report.suppressed_cohorts) == (["b"], 1)


def test_a_cohort_seen_only_in_other_series_counts_as_suppressed() -> None:
    report = _report(
        {
            semconv.TTA_ENGAGEMENT_SESSIONS_STARTED.prometheus: _cohorts(b=10),
            semconv.TTA_ENGAGEMENT_SESSIONS_COMPLETED.prometheus: _cohorts(a=3, b=5),
        }
    )

    assert ([c.cohort for c in report.cohorts], report.suppressed_cohorts) == (["b"], 1)


def test_a_mean_resting_on_fewer_than_k_sessions_is_left_empty() -> None:
    report = _report(
        {
            semconv.TTA_ENGAGEMENT_SESSIONS_STARTED.prometheus: _cohorts(b=12),
            semconv.TTA_ENGAGEMENT_SESSION_DURATION.prometheus_sum: _cohorts(b=900.0),
            semconv.TTA_ENGAGEMENT_SESSION_DURATION.prometheus_count: _cohorts(b=3),
            semconv.TTA_ENGAGEMENT_PROGRESS.prometheus_sum: _cohorts(b=5.0),
            semconv.TTA_ENGAGEMENT_PROGRESS.prometheus_count: _cohorts(b=10),
        }
    )

    (cohort,) = report.cohorts
    assert (cohort.mean_duration_s, cohort.mean_interactions, cohort.mean_progress) == (None, None, 0.5)


def test_pearson_is_the_sample_correlation_coefficient() -> None:
    assert pearson([0.2, 0.5, 0.8], [10, 20, 25]) == pytest.approx(4.5 / (0.18 * (350 / 3)) ** 0.5)


@pytest.mark.parametrize(("xs", "ys"), [([0.2, 0.8], [1.0, 2.0]), ([0.5, 0.5, 0.5], [1.0, 2.0, 3.0])])
def test_pearson_needs_three_points_that_differ(xs: list[float], ys: list[float]) -> None:
    assert pearson(xs, ys) is None


EMPTY = _report({})


def test_an_empty_report_has_no_totals_and_no_correlations() -> None:
    assert (EMPTY.sessions, EMPTY.completion_rate, EMPTY.suppressed_cohorts, EMPTY.cohorts) == (0, None, 0, [])
    assert [(c.measure, c.pearson_r, c.cohorts) for c in EMPTY.correlations] == [
        ("mean_duration_s", None, 0),
        ("mean_interactions", None, 0),
    ]


def test_values_without_data_are_empty_cells_in_the_csv() -> None:
    lines = to_csv(EMPTY).splitlines()

    assert lines[0] == "section,name,metric,value"
    assert "total,,completion_rate," in lines
    assert "correlation,mean_duration_s,pearson_r," in lines


def test_the_summary_says_why_there_is_no_correlation() -> None:
    assert summary_lines(EMPTY)[-2:] == [
        "  with mean session duration: not computed (0 cohorts with data; needs 3 that differ)",
        "  with mean interactions per session: not computed (0 cohorts with data; needs 3 that differ)",
    ]


def test_json_is_returned_when_no_file_is_given() -> None:
    text = write_report(EMPTY, "json", None)

    assert text is not None
    assert (json.loads(text)["k"], json.loads(text)["suppressed_cohorts"]) == (10, 0)


def test_csv_is_returned_when_no_file_is_given() -> None:
    text = write_report(EMPTY, "csv", None)

    assert text is not None
    assert next(csv.DictReader(io.StringIO(text))) == {
        "section": "total",
        "name": "",
        "metric": "period_s",
        "value": "604800.0",
    }


def test_a_pdf_without_journeys_still_has_two_pages(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"

    write_report(EMPTY, "pdf", path)

    pages = PdfReader(path).pages
    assert (len(pages), "none shown" in pages[0].extract_text()) == (2, True)


def test_a_pdf_needs_a_path() -> None:
    with pytest.raises(ValueError, match="a PDF needs --output PATH"):
        write_report(EMPTY, "pdf", None)


def test_the_cli_refuses_a_pdf_without_an_output_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "engagement", "--format", "pdf"]) == 2
    assert "--format pdf needs --output PATH" in capsys.readouterr().err


@pytest.mark.parametrize("k", ["1", "0", "ten", "-3"])
def test_the_cli_refuses_a_k_below_two(k: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "engagement", "--k", k])

    assert exit_info.value.code == 2
    assert f"{k!r} is not a whole number of sessions of at least 2" in capsys.readouterr().err
