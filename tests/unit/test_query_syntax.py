"""LogQL and TraceQL syntax checks: every query of the dashboards (Loki, Tempo) and of Loki's rules
parses by the lezer grammars of Grafana's query editors (`make setup` installs them with `npm ci`
in scripts/query-syntax/), Grafana's variables first replaced by sample values of their kind. A
syntax error is reported with its file, panel (title and id) and line and column in the query as
written; the false errors of the allow-list are not, and each is proven still false."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tta_otel.ops import dashboards
from tta_otel.ops.dashboards import panels, query_syntax
from tta_otel.ops.dashboards.findings import Problem
from tta_otel.ops.dashboards.lint import lint
from tta_otel.ops.dashboards.query_syntax import (
    FALSE_ERRORS,
    FalseError,
    check,
    check_dashboards,
    check_rule_files,
    dashboard_queries,
    parse,
    rule_queries,
    sample_values,
    substitute,
)
from tta_otel.ops.stack.components import components
from tta_otel.ops.stack.validation import validate

REPO = Path(__file__).resolve().parents[2]
SHIPPED = dashboards.read(REPO / "grafana-dashboards")
PROMETHEUS = components(REPO)["prometheus"]


def _parses(expr: str) -> str | None:
    """A stand-in PromQL parser: these tests are about LogQL and TraceQL."""
    return None


def _panel(model: dict[str, Any], title: str) -> dict[str, Any]:
    return next(panel for panel in panels(model) if panel["title"] == title)


def _with(name: str, model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The shipped dashboards, ``name`` replaced by ``model``."""
    return {**copy.deepcopy(SHIPPED), name: model}


def _error_log_lines() -> tuple[dict[str, Any], dict[str, Any]]:
    """A copy of errors.json and its Loki query (panel 'Error log lines')."""
    model = copy.deepcopy(SHIPPED["errors.json"])
    return model, _panel(model, "Error log lines")["targets"][0]


def _service_map_as_traceql(query: str) -> dict[str, Any]:
    """A copy of performance.json whose Tempo panel runs ``query`` as TraceQL (no shipped panel has TraceQL yet)."""
    model = copy.deepcopy(SHIPPED["performance.json"])
    _panel(model, "Service map")["targets"][0].update(queryType="traceql", query=query)
    return model


def test_every_shipped_logql_and_traceql_query_parses() -> None:
    queries = [query for name, model in SHIPPED.items() for query in dashboard_queries(name, model)]
    assert [(query.file, query.where, query.language) for query in queries] == [
        ("errors.json", "panel 'Error log lines' (id 9) query A", "logql")
    ]
    assert check_dashboards(SHIPPED) == []


def test_a_loki_rule_files_queries_are_named_by_group_and_rule_and_parse(tmp_path: Path) -> None:
    """No Loki rule ships (the log-based alerts are Prometheus rules); a deployment's own are checked."""
    rules = tmp_path / "tta-logs.yml"
    burst = 'sum by (tta_component) (count_over_time({service_name=~".+"} | severity_text = "ERROR" [5m])) > 50'
    redacted = 'sum(count_over_time({service_name=~".+"} |= "[REDACTED:" [1h])) > 1000'
    group = {"name": "tta-logs", "rules": [{"alert": "Burst", "expr": burst}, {"alert": "Redacted", "expr": redacted}]}
    rules.write_text(json.dumps({"groups": [group]}))

    assert [query.where for query in rule_queries(rules)] == [
        "group tta-logs rule Burst",
        "group tta-logs rule Redacted",
    ]
    assert check_rule_files([rules]) == []


def test_a_broken_logql_query_fails_the_lint_with_file_panel_and_position() -> None:
    model, target = _error_log_lines()
    target["expr"] = target["expr"].replace('tta_component=~"$component"}', 'tta_component=~"$component"')
    column = target["expr"].index("| severity_text") + 1
    assert lint(_with("errors.json", model), _parses) == [
        Problem(
            "errors.json",
            "panel 'Error log lines' (id 9) query A",
            "logql",
            f"LogQL does not parse at line 1, column {column}: "
            "something is missing before '| severity_text=~\"ER' (in Selector)",
        )
    ]


def test_a_broken_traceql_query_fails_the_lint_with_file_panel_and_position() -> None:
    valid = '{ resource.tta_component =~ "$component"\n  && span.http.route = "/turn" }\n| rate()'
    assert lint(_with("performance.json", _service_map_as_traceql(valid)), _parses) == []
    broken = valid.replace('= "/turn"', "=")
    assert lint(_with("performance.json", _service_map_as_traceql(broken)), _parses) == [
        Problem(
            "performance.json",
            "panel 'Service map' (id 19) query A",
            "traceql",
            "TraceQL does not parse at line 2, column 24: "
            "something is missing before '}\\n| rate()' (in FieldExpression)",
        )
    ]


def test_tempo_queries_without_traceql_are_not_parsed() -> None:
    model = _service_map_as_traceql("not TraceQL")
    _panel(model, "Service map")["targets"][0]["queryType"] = "serviceMap"
    assert list(dashboard_queries("performance.json", model)) == []


def test_tempo_queries_are_traceql_by_default() -> None:
    model = _service_map_as_traceql("{ span.http.route = }")
    del _panel(model, "Service map")["targets"][0]["queryType"]
    assert [problem.rule for problem in check_dashboards({"performance.json": model})] == ["traceql"]


def test_a_rule_file_error_names_the_rule_and_its_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    expr = 'sum by (tta_component) (\n  count_over_time({service_name=~".+"} |= [5m])\n) > 1'
    path.write_text(f"groups:\n- name: g\n  rules:\n  - alert: TTAX\n    expr: {json.dumps(expr)}\n")
    column = expr.splitlines()[1].index("[5m]") + 1
    assert check_rule_files([path]) == [
        Problem(
            str(path),
            "group g rule TTAX",
            "logql",
            f"LogQL does not parse at line 2, column {column}: "
            "something is missing before '[5m])\\n) > 1' (in LineFilter)",
        )
    ]


def test_a_query_that_ends_too_early_is_reported_after_its_last_character() -> None:
    model, target = _error_log_lines()
    target["expr"] = 'sum(count_over_time({service_name=~".+"}\n  [5m])\n'
    (problem,) = check_dashboards({"errors.json": model})
    assert (
        problem.message
        == "LogQL does not parse at line 2, column 8: the query ends too early (in VectorAggregationExpr)"
    )


def test_grafanas_macros_become_durations_and_variables_label_values() -> None:
    model = {"templating": {"list": [{"name": "window", "type": "interval"}, {"name": "component", "type": "query"}]}}
    expanded = substitute(
        'rate({c=~"$component", e="${environment:regex}"}[$__auto]) / $__range [$__interval] [$__rate_interval]'
        " [$window] [[component]]",
        sample_values(model),
    )
    assert expanded.text == 'rate({c=~"x", e="x"}[1m]) / 1h [1m] [1m] [1m] x'


def test_offsets_after_and_inside_a_macro_map_back_to_the_query_as_written() -> None:
    expanded = substitute('{a="$environment"} [$__range]', {"__range": "1h"})
    assert expanded.text == '{a="x"} [1h]'
    assert expanded.original_offset(expanded.text.index("[")) == '{a="$environment"} ['.index("[")
    inside = expanded.text.index("1h") + 1
    assert (expanded.original_offset(inside), expanded.original_offset(inside, end=True)) == (20, 28)


def test_columns_count_characters_not_utf16_units() -> None:
    model, target = _error_log_lines()
    target["expr"] = '{service_name="🎲é"} |= "🎲" | = "x"'
    (problem,) = check_dashboards({"errors.json": model})
    assert "line 1, column 30: something is missing before '= \"x\"'" in problem.message
    assert target["expr"][29] == "="


@pytest.mark.parametrize("false", FALSE_ERRORS, ids=lambda false: false.example)
def test_each_allow_listed_error_is_still_reported_by_the_grammar_and_only_it_is_ignored(false: FalseError) -> None:
    (errors,) = parse([(false.language, false.example)])
    assert errors, f"the grammar accepts {false.example!r} now: remove it from FALSE_ERRORS"
    assert all(false.covers(false.language, false.example, error) for error in errors)
    model = _service_map_as_traceql(false.example)
    assert check_dashboards({"performance.json": model}) == []


def test_the_allow_list_hides_no_real_error_beside_a_false_one() -> None:
    model = _service_map_as_traceql(
        "{ nestedSetParent < 0 && span.http.route = }\n| quantile_over_time(duration, .9, .)"
    )
    problems = check_dashboards({"performance.json": model})
    assert [problem.message.split(":")[0] for problem in problems] == [
        "TraceQL does not parse at line 1, column 44",
        "TraceQL does not parse at line 2, column 36",
    ]


def test_without_node_the_lint_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    problems = lint(copy.deepcopy(SHIPPED), _parses)
    assert [(problem.dashboard, problem.rule) for problem in problems] == [("errors.json", "query-syntax")]
    assert problems[0].message.startswith("node is not installed: install Node.js 20 or later, then npm ci --prefix ")


def test_without_the_grammars_the_lint_says_to_run_npm_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(query_syntax.SCRIPT_DIR / "check.mjs", tmp_path)
    monkeypatch.setattr(query_syntax, "SCRIPT_DIR", tmp_path)
    model, _ = _error_log_lines()
    (problem,) = check([*dashboard_queries("errors.json", model)])
    assert problem.rule == "query-syntax"
    assert "the LogQL and TraceQL grammars are not installed: npm ci --prefix" in problem.message
    assert "(part of `make setup`)" in problem.message


def test_the_node_modules_are_pinned_by_the_committed_lock_file() -> None:
    folder = REPO / "scripts" / "query-syntax"
    lock = json.loads((folder / "package-lock.json").read_text())
    wanted = json.loads((folder / "package.json").read_text())["dependencies"]
    assert {name: lock["packages"][f"node_modules/{name}"]["version"] for name in wanted} == wanted


@pytest.mark.skipif(not PROMETHEUS.is_built(), reason="promtool is not built: tta-otel stack build")
def test_validate_fails_a_dashboard_whose_logql_does_not_parse(tmp_path: Path) -> None:
    model, target = _error_log_lines()
    target["expr"] += " |"
    folder = tmp_path / "grafana-dashboards"
    folder.mkdir()
    for name, other in _with("errors.json", model).items():
        (folder / name).write_text(json.dumps(other))
    (result,) = validate([folder / "errors.json"], components(REPO))
    assert not result.ok
    assert result.message.startswith(
        "errors.json: panel 'Error log lines' (id 9) query A: LogQL does not parse at line 1, column "
    )
