"""Dashboards as code: the committed JSON is what the code builds, every dashboard can be filtered
and drilled into the same way, and every panel's query can be listed for the stack test."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest
import yaml

from tta_otel.ops import dashboards
from tta_otel.ops.cli import dashboards_command
from tta_otel.ops.dashboards import PanelQuery, panels, queries

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "grafana-dashboards"
MODELS = dashboards.models()


def _tta_otel_dashboards(*argv: str) -> int:
    """``tta-otel dashboards <argv>``."""
    parser = argparse.ArgumentParser(prog="tta-otel")
    dashboards_command.add_parser(parser.add_subparsers())
    args = parser.parse_args(["dashboards", *argv])
    return int(args.handler(args))


def _by_title(name: str) -> dict[str, dict[str, object]]:
    return {str(panel["title"]): panel for panel in panels(MODELS[name])}


def _data_links(panel: dict[str, object]) -> list[str]:
    return [link["url"] for link in panel["fieldConfig"]["defaults"].get("links", [])]  # type: ignore[index,union-attr]


def test_the_committed_dashboards_are_what_the_code_builds() -> None:
    committed = {path.name: path.read_text() for path in COMMITTED.glob("*.json")}
    built = {name: dashboards.render(model) for name, model in MODELS.items()}
    assert committed == built, "run `tta-otel dashboards build` and commit grafana-dashboards/"


def test_there_are_seven_dashboards_with_unique_uids_tagged_tta() -> None:
    assert sorted(model["uid"] for model in MODELS.values()) == [
        "tta-ai-carbon",
        "tta-engagement",
        "tta-errors",
        "tta-long-term",
        "tta-overview",
        "tta-performance",
        "tta-pipeline",
    ]
    assert all(model["tags"] == ["tta"] for model in MODELS.values())


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_dashboard_filters_by_environment_repository_and_component(name: str) -> None:
    variables = {variable["name"]: variable for variable in MODELS[name]["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["environment"]["query"].startswith("label_values(")
    assert variables["environment"].get("multi") is False or "multi" not in variables["environment"]
    for name_ in ("repository", "component"):
        assert variables[name_]["multi"] is True
        assert variables[name_]["includeAll"] is True
        assert variables[name_]["allValue"] == ".*"


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_dashboard_has_a_time_range_and_links_to_the_others_keeping_time_and_filters(name: str) -> None:
    model = MODELS[name]
    long_term = name == "long-term.json"  # months of 5-minute series: a longer range, a slower refresh
    assert model["time"] == {"from": "now-90d" if long_term else "now-1h", "to": "now"}
    assert model["refresh"] == ("1h" if long_term else "30s")
    (menu,) = model["links"]
    # from the long-term tier, the others open with their own datasource and range
    keeps = not long_term
    assert (menu["type"], menu["tags"], menu["keepTime"], menu["includeVars"]) == ("dashboards", ["tta"], keeps, keeps)


def test_panel_ids_are_unique_within_each_dashboard() -> None:
    for model in MODELS.values():
        ids = [panel["id"] for panel in model["panels"]]
        assert len(ids) == len(set(ids)) == len(model["panels"])


def test_per_component_overview_panels_drill_down_to_the_detail_dashboard_filtered_the_same_way() -> None:
    overview = _by_title("overview.json")
    for title, target in [
        ("Availability (30 d)", "tta-performance"),
        ("Request rate", "tta-performance"),
        ("Latency p50, p95, p99", "tta-performance"),
        ("Errors", "tta-errors"),
        ("Neo4j error ratio (5 m)", "tta-performance"),
    ]:
        (url,) = _data_links(overview[title])
        assert url.startswith(f"/d/{target}?")
        for part in (
            "${__url_time_range}",
            "${datasource:queryparam}",
            "${environment:queryparam}",
            "${repository:queryparam}",
            "var-component=${__field.labels.tta_component}",
        ):
            assert part in url


def test_firing_alerts_link_to_the_runbook_of_each_alert_rule() -> None:
    (url,) = _data_links(_by_title("overview.json")["Firing alerts"])
    alert_names = {
        rule["alert"]
        for path in (REPO / "prometheus" / "rules").glob("*.yml")
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    rule_runbooks = {
        rule["annotations"]["runbook_url"]
        for path in (REPO / "prometheus" / "rules").glob("*.yml")
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    assert {url.replace("${__data.fields.alertname}", name) for name in alert_names} == rule_runbooks
    assert all((REPO / "docs" / "runbooks" / f"{name}.md").is_file() for name in alert_names)


def test_the_top_error_groups_link_to_the_log_lines_of_the_clicked_group() -> None:
    errors = _by_title("errors.json")
    (url,) = _data_links(errors["Top error groups"])
    assert url.startswith("/d/tta-errors?") and "var-fingerprint=${__data.fields.tta_error_fingerprint}" in url
    (log_query,) = errors["Error log lines"]["targets"]  # type: ignore[misc]
    assert '| tta_error_fingerprint=~"$fingerprint"' in log_query["expr"]
    assert errors["Error log lines"]["datasource"] == {"type": "loki", "uid": "${logs}"}


def test_the_carbon_per_token_panel_uses_the_documented_division() -> None:
    (query,) = _by_title("ai-and-carbon.json")["gCO2e per 1,000 tokens by model"]["targets"]  # type: ignore[misc]
    emissions, tokens = query["expr"].split(" / ")
    assert emissions.startswith("1000 * sum by (gen_ai_request_model) (increase(tta_carbon_emissions_grams_total{")
    assert emissions.endswith(', gen_ai_request_model!=""}[$__range]))')
    assert tokens.startswith("sum by (gen_ai_request_model) (increase(gen_ai_client_token_usage_sum{")


def test_the_availability_panel_compares_against_the_objective() -> None:
    availability = _by_title("overview.json")["Availability (30 d)"]
    steps = availability["fieldConfig"]["defaults"]["thresholds"]["steps"]  # type: ignore[index]
    assert steps == [{"color": "red", "value": None}, {"color": "green", "value": 0.995}]
    assert availability["fieldConfig"]["defaults"]["unit"] == "percentunit"  # type: ignore[index]


def test_queries_lists_every_panel_query_with_its_datasource_kind() -> None:
    found = queries()
    assert len({(q.dashboard, q.panel) for q in found}) == sum(
        1 for model in MODELS.values() for panel in panels(model) if panel.get("targets")
    )
    assert {q.datasource for q in found} == {"prometheus", "loki", "tempo"}
    assert (
        PanelQuery(
            dashboard="tta-overview",
            panel="Request rate",
            ref_id="A",
            datasource="prometheus",
            expr=(
                "sum by (tta_component) (rate(http_server_request_duration_seconds_count{"
                'deployment_environment_name=~"$environment", tta_repository=~"$repository", '
                'tta_component=~"$component"}[$__rate_interval]))'
            ),
            instant=False,
        )
        in found
    )
    assert all(q.instant for q in found if "[$__range]" in q.expr)


def test_queries_reads_collapsed_rows_of_any_dashboard_json() -> None:
    model = {
        "uid": "x",
        "panels": [
            {
                "type": "row",
                "panels": [
                    {"title": "inside", "datasource": {"type": "prometheus"}, "targets": [{"refId": "A", "expr": "up"}]}
                ],
            }
        ],
    }
    assert queries({"x.json": model}) == [PanelQuery("x", "inside", "A", "prometheus", "up", instant=False)]


def test_build_writes_every_dashboard_into_the_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _tta_otel_dashboards("build", "--directory", str(tmp_path)) == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(MODELS)
    assert json.loads((tmp_path / "overview.json").read_text())["uid"] == "tta-overview"
    assert capsys.readouterr().out.count("wrote ") == len(MODELS)


def test_the_long_term_dashboard_offers_only_the_long_term_datasource_and_reads_only_its_series() -> None:
    model = MODELS["long-term.json"]
    variables = {variable["name"]: variable for variable in model["templating"]["list"]}
    rules = yaml.safe_load((REPO / "prometheus" / "rules" / "long-term.yml").read_text())
    recorded = {rule["record"] for group in rules["groups"] for rule in group["rules"]}
    expressions = [query.expr for query in queries({"long-term.json": model})]
    expressions += [variables[name]["query"] for name in ("environment", "repository", "component")]
    series = {name for expr in expressions for name in re.findall(r"\b[a-z_]*:[a-z0-9_]+:[a-z0-9_]+\b", expr)}
    assert variables["datasource"]["regex"] == "/long term/"
    assert series and series <= recorded
    assert all("sum_over_time(" in query.expr for query in queries({"long-term.json": model}))
