"""``tta-otel report carbon``: arguments and errors that need no Prometheus."""

from __future__ import annotations

import argparse
from datetime import timedelta

import pytest

from tta_otel.ops.cli.main import main
from tta_otel.ops.cli.report_command import parse_period
from tta_otel.ops.reports.carbon import CarbonReport
from tta_otel.ops.reports.render import to_csv, write_report


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("90s", timedelta(seconds=90)),
        ("10m", timedelta(minutes=10)),
        ("24h", timedelta(days=1)),
        ("2w", timedelta(days=14)),
    ],
)
def test_periods_are_written_as_prometheus_durations(text: str, period: timedelta) -> None:
    assert parse_period(text) == period


@pytest.mark.parametrize("text", ["24", "1y", "0h", "-1h", "1.5h"])
def test_other_periods_are_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="is not a duration such as 30m, 24h or 7d"):
        parse_period(text)


def test_a_pdf_needs_an_output_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "carbon", "--format", "pdf"]) == 2
    assert "--format pdf needs --output PATH" in capsys.readouterr().err


EMPTY = CarbonReport(
    start="2026-11-25T00:00:00+00:00",
    end="2026-11-26T00:00:00+00:00",
    period_s=86400.0,
    energy_j=0.0,
    emissions_g=0.0,
    previous_emissions_g=None,
    trend=None,
    intensity_g_per_kwh=None,
    daily_emissions_g=0.0,
    daily_budget_g=None,
    idle_gpu_share=None,
)


def test_values_without_data_are_empty_cells_in_the_csv() -> None:
    lines = to_csv(EMPTY).splitlines()

    assert lines[0] == "section,name,metric,value"
    assert "total,,trend," in lines
    assert "total,,energy_j,0.0" in lines


def test_write_report_refuses_a_pdf_without_a_path() -> None:
    with pytest.raises(ValueError, match="a PDF needs --output PATH"):
        write_report(EMPTY, "pdf", None)
