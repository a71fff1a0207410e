"""`tta-otel dashboards lint`: the shipped dashboards keep every rule, and a dashboard that breaks
one is reported with the rule, the dashboard and the place. PromQL is parsed by Prometheus's own
parser: promtool of the stack's cached build (`make test` builds it first), or a running
Prometheus's /api/v1/parse_query (here an HTTP double that answers as Prometheus does)."""

from __future__ import annotations

import argparse
import copy
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tta_otel.environment_variables import TTA_OTEL_CACHE as CACHE_ENV
from tta_otel.ops import dashboards
from tta_otel.ops.cli import dashboards_command
from tta_otel.ops.dashboards import panels
from tta_otel.ops.dashboards.findings import Problem, expand
from tta_otel.ops.dashboards.lint import lint, prometheus_parser, promtool_parser
from tta_otel.ops.stack.components import components

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS = components(REPO)["prometheus"]
needs_promtool = pytest.mark.skipif(not PROMETHEUS.is_built(), reason="promtool is not built: tta-otel stack build")


def _tta_otel_dashboards(*argv: str) -> int:
    """``tta-otel dashboards <argv>``."""
    parser = argparse.ArgumentParser(prog="tta-otel")
    dashboards_command.add_parser(parser.add_subparsers())
    args = parser.parse_args(["dashboards", *argv])
    return int(args.handler(args))


def _parses(expr: str) -> str | None:
    """A stand-in parser for the rules that are not about PromQL: everything parses."""
    return None


def _overview() -> dict[str, Any]:
    return copy.deepcopy(dashboards.models()["overview.json"])


def _panel(model: dict[str, Any], title: str) -> dict[str, Any]:
    return next(panel for panel in panels(model) if panel["title"] == title)


def _rules(model: dict[str, Any]) -> list[tuple[str, str]]:
    models = {**dashboards.models(), "overview.json": model}
    return [(problem.where, problem.rule) for problem in lint(models, _parses)]


def test_the_shipped_dashboards_keep_every_rule_but_promql() -> None:
    assert lint(dashboards.read(REPO / "grafana-dashboards"), _parses) == []


@needs_promtool
def test_promtool_reports_a_broken_expression_with_its_message() -> None:
    model = _overview()
    _panel(model, "Request rate")["targets"][0]["expr"] = "sum(rate(x[$__rate_interval])"
    (problem,) = lint({**dashboards.models(), "overview.json": model}, promtool_parser(PROMETHEUS.binary("promtool")))
    assert (problem.where, problem.rule) == ("panel 'Request rate' query A", "promql")
    assert "unclosed left parenthesis" in problem.message


def test_a_hard_coded_datasource_uid_is_reported() -> None:
    model = _overview()
    _panel(model, "Request rate")["datasource"] = {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}
    assert _rules(model) == [("panel 'Request rate'", "datasource")]


def test_a_datasource_variable_of_another_kind_or_dashboard_is_reported() -> None:
    model = _overview()
    _panel(model, "Request rate")["targets"][0]["datasource"] = {"type": "loki", "uid": "${datasource}"}
    _panel(model, "Errors")["datasource"] = {"type": "loki", "uid": "${logs}"}
    del _panel(model, "Latency p50, p95, p99")["datasource"]
    assert sorted(_rules(model)) == [
        ("panel 'Errors'", "datasource"),
        ("panel 'Latency p50, p95, p99'", "datasource"),
        ("panel 'Request rate' (id 6) query A", "logql"),  # PromQL sent to Loki does not parse as LogQL
        ("panel 'Request rate' query A", "datasource"),
    ]


def test_a_panel_without_a_unit_is_reported_but_a_logs_panel_needs_none() -> None:
    model = _overview()
    del _panel(model, "Request rate")["fieldConfig"]["defaults"]["unit"]
    model["panels"].append(
        {"type": "logs", "title": "lines", "datasource": {"type": "prometheus", "uid": "${datasource}"}}
    )
    assert _rules(model) == [("panel 'Request rate'", "unit")]


def test_missing_filter_and_datasource_variables_are_reported() -> None:
    model = _overview()
    model["templating"]["list"] = [
        v for v in model["templating"]["list"] if v["name"] not in ("datasource", "component")
    ]
    rules = _rules(model)
    assert ("templating", "variables") in rules
    assert rules.count(("templating", "variables")) == 2
    assert ("panel 'Request rate'", "datasource") in rules
    assert ("panel 'Request rate' query A", "undefined-variable") in rules


def test_a_variable_no_dashboard_defines_is_reported_but_grafanas_own_are_not() -> None:
    model = _overview()
    _panel(model, "Request rate")["targets"][0]["expr"] = 'up{job=~"$job"}[$__rate_interval] + ${__range_s}'
    assert _rules(model) == [("panel 'Request rate' query A", "undefined-variable")]


def test_a_link_to_a_dashboard_that_does_not_exist_is_reported() -> None:
    model = _overview()
    _panel(model, "Request rate")["fieldConfig"]["defaults"]["links"][0]["url"] = "/d/tta-nowhere?${__url_time_range}"
    assert _rules(model) == [("panel 'Request rate' link 'Performance for ${__field.labels.tta_component}'", "link")]


def test_a_dashboard_without_time_controls_is_reported() -> None:
    model = _overview()
    model["time"] = {}
    model["refresh"] = False
    model["timepicker"]["hidden"] = True
    assert _rules(model) == [("time", "time")] * 3


def test_every_problem_reads_as_one_line() -> None:
    problem = Problem("overview.json", "panel 'Request rate'", "unit", "the panel has no unit")
    assert str(problem) == "overview.json: panel 'Request rate': the panel has no unit [unit]"


def test_expand_gives_grafanas_variables_sample_values_and_the_dashboards_a_placeholder() -> None:
    expr = 'rate(x{env=~"$environment", c=~"${component:regex}"}[$__rate_interval]) [[repository]] ${__range}'
    assert expand(expr) == 'rate(x{env=~"x", c=~"x"}[1m]) x 1h'
    assert expand(expr, {"environment": "prod"}, default=".*") == 'rate(x{env=~"prod", c=~".*"}[.*]) .* .*'


def test_label_values_variables_are_checked_by_their_selector() -> None:
    seen: list[str] = []
    lint({"overview.json": _overview()}, seen.append)  # type: ignore[arg-type]
    assert 'tta_component_info{deployment_environment_name=~"x"}' in seen
    assert not any(expr.startswith("label_values") for expr in seen)


class _Prometheus(BaseHTTPRequestHandler):
    """/api/v1/parse_query as Prometheus answers it: 200 with the tree, or 400 with the error."""

    def do_GET(self) -> None:
        query = parse_qs(urlparse(self.path).query)["query"][0]
        if query.count("(") == query.count(")"):
            status, body = 200, {"status": "success", "data": {"type": "vectorSelector"}}
        elif query == "teapot(":
            status, body = 418, "not JSON"  # type: ignore[assignment]
        else:
            status, body = 400, {"status": "error", "errorType": "bad_data", "error": "unclosed left parenthesis"}
        self.send_response(status)
        self.end_headers()
        self.wfile.write(body.encode() if isinstance(body, str) else json.dumps(body).encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def prometheus() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Prometheus)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_running_prometheus_parses_instead_of_promtool(prometheus: str) -> None:
    parse = prometheus_parser(prometheus)
    assert parse("sum(up)") is None
    assert parse("sum(up") == "unclosed left parenthesis"
    assert parse("teapot(") == "HTTP 418: not JSON"


def test_the_lint_command_reports_problems_and_fails(
    prometheus: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = _overview()
    del _panel(model, "Request rate")["fieldConfig"]["defaults"]["unit"]
    (tmp_path / "overview.json").write_text(json.dumps(model))
    assert _tta_otel_dashboards("lint", "--directory", str(tmp_path), "--prometheus", prometheus) == 1
    out = capsys.readouterr().out.splitlines()
    assert "overview.json: panel 'Request rate': the panel has no unit [unit]" in out
    assert out[-1].startswith("1 dashboards, ")
    assert _tta_otel_dashboards("lint", "--directory", str(tmp_path), "--prometheus", prometheus, "--json") == 1
    problems = json.loads(capsys.readouterr().out)
    assert {"dashboard": "overview.json", "where": "panel 'Request rate'", "rule": "unit"}.items() <= problems[
        0
    ].items()


def test_the_lint_command_passes_the_shipped_dashboards(prometheus: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _tta_otel_dashboards("lint", "--repo", str(REPO), "--prometheus", prometheus) == 0
    assert capsys.readouterr().out == "7 dashboards, 0 problems\n"


def test_the_lint_command_says_what_to_do_without_dashboards_or_promtool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _tta_otel_dashboards("lint", "--directory", str(tmp_path), "--prometheus", "http://127.0.0.1:1") == 1
    assert "run `tta-otel dashboards build`" in capsys.readouterr().err
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "empty-cache"))
    assert _tta_otel_dashboards("lint", "--repo", str(REPO)) == 1
    assert "run `tta-otel stack build`, or pass --prometheus URL" in capsys.readouterr().err


@needs_promtool
def test_every_shipped_promql_expression_parses_with_the_cached_promtool(capsys: pytest.CaptureFixture[str]) -> None:
    assert _tta_otel_dashboards("lint", "--repo", str(REPO)) == 0
    assert capsys.readouterr().out == "7 dashboards, 0 problems\n"
