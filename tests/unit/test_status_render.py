"""Specification of what ``tta-otel status`` prints: the JSON document follows the schema in
docs/status.md (taken from the page), and the screen shows each part, from constructed data."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
from rich.console import Console

from tta_otel.ops.status import render
from tta_otel.ops.status.model import (
    Alert,
    Collector,
    Component,
    Dependency,
    Environment,
    Forecast,
    Platform,
    Status,
    Store,
)

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
GIB = 1024**3


def _schema() -> dict[str, Any]:
    (block,) = re.findall(r"```json\n(.*?)```", (REPO / "docs" / "status.md").read_text(), re.DOTALL)
    schema: dict[str, Any] = json.loads(block)
    return schema


def _status(budget_left: float = 0.9, victorialogs_ready: bool = True) -> Status:
    collector = Collector(True, 120.5, 0.0, None, {"otlp_grpc/jaeger": 0.0, "otlp_http/prometheus": 0.05})
    stores = (
        Store("prometheus", "http://127.0.0.1:9090", True, True, "", True),
        Store("alertmanager", "http://127.0.0.1:9093", True, True, "", True),
        Store("jaeger", "http://127.0.0.1:16686", True, True),
        Store("victorialogs", "http://127.0.0.1:9428", victorialogs_ready, victorialogs_ready),
    )
    disk = Forecast("disk", "prometheus storage", 2 * GIB, 10e9, None, False)
    memory = Forecast(
        "memory",
        "player-api 1a2b3c4d",
        1.5 * GIB,
        2 * GIB,
        NOW + timedelta(days=3),
        True,
        "production",
        "tta.prod",
        "player-api",
    )
    production = Environment(
        "production",
        (Component("tta.prod", "production", "player-api", 2, 2, ("1.4.0",), 12.25, 0.001, 0.085, budget_left),),
        (Dependency("tta.prod", "production", "player-api", "cache:6379/0", "redis", 2, 2),),
        (memory,),
        (
            Alert(
                "TTAServiceMemoryExhaustionForecast",
                "warning",
                "player-api will run out of memory within 4 hours",
                "2026-11-30T03:30:00Z",
                {"alertname": "TTAServiceMemoryExhaustionForecast", "deployment_environment_name": "production"},
            ),
        ),
    )
    staging = Environment("staging", (Component("tta.dev", "staging", "narrative-engine", 1, 0, (), None),))
    return Status(NOW, Platform(collector, stores, (disk,)), (production, staging))


def test_the_document_follows_the_schema_of_the_docs() -> None:
    jsonschema.validate(render.as_dict(_status()), _schema())


def test_the_document_carries_the_verdict_and_its_exit_code() -> None:
    document = render.as_dict(_status())
    assert (document["schema"], document["status"], document["exit_code"], document["reasons"]) == (
        1,
        "down",
        2,
        [
            "[staging] narrative-engine (tta.dev): no instance reporting",
            "[production] memory of player-api 1a2b3c4d runs out 2026-12-03 04:00 UTC",
            "[production] TTAServiceMemoryExhaustionForecast firing (warning)",
        ],
    )


def test_each_environment_has_its_own_verdict() -> None:
    screens = {e["name"]: (e["status"], len(e["reasons"])) for e in render.as_dict(_status())["environments"]}
    assert screens == {"production": ("degraded", 2), "staging": ("down", 1)}


def test_a_component_is_written_with_every_figure() -> None:
    (component,) = render.as_dict(_status())["environments"][0]["components"]
    assert component == {
        "repository": "tta.prod",
        "component": "player-api",
        "status": "healthy",
        "instances": 2,
        "instances_up": 2,
        "versions": ["1.4.0"],
        "request_rate": 12.25,
        "error_ratio": 0.001,
        "p95_latency_s": 0.085,
        "budget_left": 0.9,
    }


def test_a_forecast_gives_its_date_and_its_outlook() -> None:
    (forecast,) = render.as_dict(_status())["environments"][0]["forecasts"]
    assert (forecast["runs_out_at"], forecast["outlook"]) == (
        "2026-12-03T04:00:00+00:00",
        "runs out 2026-12-03 04:00 UTC",
    )


def test_a_store_stopped_is_written_unreachable_and_the_platform_degraded() -> None:
    platform = render.as_dict(_status(victorialogs_ready=False))["platform"]
    (store,) = [s for s in platform["stores"] if s["name"] == "victorialogs"]
    assert (store["reachable"], store["ready"], platform["status"], platform["reasons"]) == (
        False,
        False,
        "degraded",
        ["victorialogs unreachable"],
    )


def test_the_error_document_is_down_with_its_reason() -> None:
    assert json.loads(render.error_json("Prometheus at http://127.0.0.1:9090 cannot be reached")) == {
        "schema": 1,
        "status": "down",
        "exit_code": 2,
        "reasons": ["Prometheus at http://127.0.0.1:9090 cannot be reached"],
    }


def _screen(status: Status) -> str:
    console = Console(record=True, width=200, color_system=None)
    console.print(render.render(status))
    return console.export_text()


def test_the_screen_starts_with_the_verdict_and_its_reasons() -> None:
    lines = _screen(_status()).splitlines()
    assert lines[:2] == [
        "TTA status at 2026-11-30 04:00:00 UTC: DOWN",
        "  - [staging] narrative-engine (tta.dev): no instance reporting",
    ]


def test_the_screen_has_a_table_per_part_and_environment() -> None:
    titles = [
        line.strip()
        for line in _screen(_status()).splitlines()
        if line and not line.startswith(("┏", "┃", "┡", "│", "└", " "))
    ]
    assert titles == [
        "TTA status at 2026-11-30 04:00:00 UTC: DOWN",
        "Platform",
        "Forecasts (predict_linear)",
        "Components in production",
        "Dependencies in production",
        "Forecasts (predict_linear)",
        "Firing alerts (production)",
        "Components in staging",
    ]


def test_a_component_row_shows_its_figures() -> None:
    (row,) = [line for line in _screen(_status()).splitlines() if "player-api" in line and "1.4.0" in line]
    cells = [cell.strip() for cell in row.split("│")[1:-1]]
    assert cells == ["tta.prod", "player-api", "2/2", "1.4.0", "12.2", "0.10%", "85 ms", "90%", "healthy"]
