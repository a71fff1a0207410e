"""Counting errors from a counter's raw samples: every rise counts, a drop is a restart."""

from __future__ import annotations

from tta_otel.ops.reports.errors import _Tally

WINDOW_START, PERIOD_START = 0.0, 600.0


def tally(samples: list[tuple[float, float]]) -> _Tally:
    counted = _Tally({})
    counted.add_series(samples, PERIOD_START, WINDOW_START)
    return counted


def test_rises_in_the_period_count_and_set_first_and_last_seen() -> None:
    counted = tally([(5.0, 0.0), (700.0, 2.0), (750.0, 2.0), (800.0, 5.0)])

    assert (counted.count, counted.previous_count, counted.first_seen, counted.last_seen) == (5.0, 0.0, 700.0, 800.0)


def test_rises_before_the_period_count_for_the_previous_period() -> None:
    counted = tally([(5.0, 0.0), (100.0, 3.0), (700.0, 4.0)])

    assert (counted.count, counted.previous_count) == (1.0, 3.0)


def test_a_drop_is_a_restart_from_zero() -> None:
    counted = tally([(5.0, 4.0), (700.0, 6.0), (750.0, 1.0)])

    assert counted.count == 3.0


def test_a_series_that_began_in_the_window_without_its_zero_counts_from_zero() -> None:
    assert tally([(650.0, 1.0)]).count == 1.0


def test_a_series_already_there_when_the_window_began_starts_from_its_first_sample() -> None:
    assert tally([(10.0, 7.0), (700.0, 7.0)]).count == 0.0
