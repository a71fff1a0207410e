"""The PromQL of ``tta-otel status`` evaluated by Prometheus's own engine (``promtool test rules``
of the stack's cached build) over constructed series: forecasts skip what is too young to have a
trend, and two repositories' components with one name stay apart."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tta_otel.ops.stack.components import components
from tta_otel.ops.status import queries

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS = components(REPO)["prometheus"]
pytestmark = pytest.mark.skipif(not PROMETHEUS.is_built(), reason="promtool is not built: tta-otel stack build")

MEMORY = "process_memory_usage_bytes"
ONE_HOUR_OLD = '{deployment_environment_name="p", tta_component="a", service_instance_id="old"}'
FIFTEEN_MINUTES_OLD = '{deployment_environment_name="p", tta_component="a", service_instance_id="young"}'


def _promtool(tmp_path: Path, series: dict[str, str], expr: str, eval_time: str, expected: list[dict[str, Any]]) -> str:
    """``promtool test rules`` of one expression over ``series`` (one point a minute); its output
    when it fails, "" when Prometheus computes ``expected``."""
    (tmp_path / "rules.yml").write_text("groups: []\n")
    test = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [{"series": name, "values": values} for name, values in series.items()],
                "promql_expr_test": [{"expr": expr, "eval_time": eval_time, "exp_samples": expected}],
            }
        ],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(test))
    result = subprocess.run(
        [str(PROMETHEUS.binary("promtool")), "test", "rules", "test.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return "" if result.returncode == 0 else result.stdout + result.stderr


MEMORY_SERIES = {
    f"{MEMORY}{ONE_HOUR_OLD}": "1000+100x60",  # 100 bytes more a minute for an hour
    f"{MEMORY}{FIFTEEN_MINUTES_OLD}": "_x45 1000+100x15",  # started 15 minutes ago
}


def test_the_memory_line_is_fitted_only_where_there_is_half_an_hour_of_history(tmp_path: Path) -> None:
    expected = [{"labels": ONE_HOUR_OLD, "value": 7000}]
    assert _promtool(tmp_path, MEMORY_SERIES, queries.memory_fitted(queries.scope("p")), "60m", expected) == ""


def test_the_memory_slope_is_bytes_per_second(tmp_path: Path) -> None:
    expected = [{"labels": ONE_HOUR_OLD, "value": 100 / 60}]
    assert _promtool(tmp_path, MEMORY_SERIES, queries.memory_slope(queries.scope("p")), "60m", expected) == ""


def test_the_same_component_in_two_repositories_is_two_rows(tmp_path: Path) -> None:
    requests = "http_server_request_duration_seconds_count"
    series = {
        f'{requests}{{tta_repository="tta.dev", deployment_environment_name="p", tta_component="a", '
        'http_route="/x", http_response_status_code="200"}': "0+60x10",
        f'{requests}{{tta_repository="tta.prod", deployment_environment_name="p", tta_component="a", '
        'http_route="/x", http_response_status_code="200"}': "0+120x10",
    }
    expected = [
        {"labels": '{tta_repository="tta.dev", deployment_environment_name="p", tta_component="a"}', "value": 1},
        {"labels": '{tta_repository="tta.prod", deployment_environment_name="p", tta_component="a"}', "value": 2},
    ]
    assert _promtool(tmp_path, series, queries.request_rate(queries.scope("p")), "10m", expected) == ""


def test_a_health_probe_is_no_request_of_the_objective(tmp_path: Path) -> None:
    requests = "http_server_request_duration_seconds_count"
    key = 'tta_repository="tta.dev", deployment_environment_name="p", tta_component="a"'
    series = {
        f'{requests}{{{key}, http_route="/x", http_response_status_code="500"}}': "0+60x10",
        f'{requests}{{{key}, http_route="/readyz", http_response_status_code="503"}}': "0+60x10",
    }
    expected = [{"labels": f"{{{key}}}", "value": 1}]
    assert _promtool(tmp_path, series, queries.error_rate(queries.scope()), "10m", expected) == ""
