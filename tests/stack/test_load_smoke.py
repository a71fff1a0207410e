"""A short load through the whole native stack: five simulated players play the example service
(under the tta_otel distro) over HTTP and its WebSocket for 20 seconds, with think times and
synthetic personal data in their query strings, headers, bodies and stream messages. Everything
they were answered reaches its store, nothing is refused or dropped on the way, and no planted
value is in any store. The long runs, with their figures, are benchmarks (docs/load.md)."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.load import LoadSettings, run_load
from examples.tta_service.players import LoadModel
from tta_otel.ops.stack.runner import Stack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def report(stack: Stack) -> dict[str, Any]:
    return run_load(
        LoadSettings(players=5, ramp_s=5, hold_s=20, model=LoadModel(think_median_s=1.0), freshness_every_s=4)
    )


def test_the_players_played_every_kind_of_interaction_and_were_answered(report: dict[str, Any]) -> None:
    assert set(report["requests"]["by_kind"]) == {"scene", "choice", "narrate", "stream", "fail", "crash"}
    assert report["requests"]["answered"] == report["requests"]["sent"]


def test_every_answered_request_reaches_every_store(report: dict[str, Any]) -> None:
    assert {name: check["lost"] for name, check in report["loss"].items()} == {
        "traces_in_jaeger": 0,
        "log_records_in_victorialogs": 0,
        "requests_counted_in_prometheus": 0,
    }
    assert all(check["expected"] > 0 for check in report["loss"].values())


def test_nothing_is_refused_or_dropped_by_the_collector_or_the_sdk(report: dict[str, Any]) -> None:
    assert not any(report["dropped"]["collector"].values())
    assert report["dropped"]["sdk"] == {}


def test_no_planted_value_is_found_in_any_store(report: dict[str, Any]) -> None:
    assert report["planted"]["values"] > 0
    assert report["planted"]["found"] == {"jaeger": [], "victorialogs": [], "prometheus": []}


def test_the_report_has_the_figures_of_a_benchmark(report: dict[str, Any]) -> None:
    """Measured, not judged here (timings belong to benchmarks/): each figure is present."""
    assert report["requests"]["per_s"] > 0
    assert report["through_the_stack_per_s"]["spans"] > 0
    assert report["series_of_the_service"] > 0
    assert report["collector"]["rss"]["max_mib"] > 0
    assert report["service"]["rss"]["max_mib"] > 0
    assert all(report["freshness"][kind] is not None for kind in report["freshness"])
