"""`tta-otel validate`: the shipped configs pass their own tools; a broken copy of each fails
with the tool's own message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.stack.conftest import REPO
from tta_otel.ops.cli.main import main

pytestmark = pytest.mark.integration


def test_every_shipped_config_and_the_web_configs_of_the_secrets_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--repo", str(REPO)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["ok"] * 46
    assert {line.split("(")[-1].rstrip(")") for line in lines} == {
        "otelcol validate",
        "promtool check config",
        "promtool check rules",
        "promtool test rules",
        "amtool check-config",
        "amtool config routes test",
        "Compose Specification schema, exposure",
        "promtool check web-config",
        "dashboard lint",
        "retention schema, store limits",
        "manifest checks",
    }


def test_a_retention_a_store_cannot_keep_fails_with_the_key_and_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    retention = tmp_path / "retention.yaml"
    retention.write_text("logs: {debug: 30d, info: 14d, warn: 90d}\n")

    assert main(["validate", "--repo", str(REPO), str(retention)]) == 1

    output = capsys.readouterr().out
    assert f"FAIL {retention} (retention schema, store limits)" in output
    assert f"{retention}: logs: a less severe class is never kept longer than a more severe one" in output


def _broken_copy(tmp_path: Path, relative: str, old: str, new: str) -> Path:
    """A copy of the file's whole top-level folder (rule tests name their rule files by relative path)."""
    source = REPO / relative
    target = tmp_path / relative
    folder = Path(relative).parts[0]
    if (REPO / folder).is_dir():
        shutil.copytree(REPO / folder, tmp_path / folder)
    text = source.read_text()
    assert old in text
    target.write_text(text.replace(old, new, 1))
    return target


@pytest.mark.parametrize(
    ("relative", "old", "new", "message"),
    [
        ("collector-config/otelcol.yaml", "timeout: 500ms", "timeout: soon", "invalid duration"),
        (
            "collector-config/compose.yaml",
            "exporters: [otlp_http/loki_tta_dev]",
            "exporters: [otlp_http/loki_tta_nowhere]",
            "otlp_http/loki_tta_nowhere",
        ),
        (
            "collector-config/agent.yaml",
            "routing_key: traceID",
            "routing_key: spanID",
            "unsupported routing_key",  # quoted or not, as the first pipeline built (traces or logs) says it
        ),
        (
            "collector-config/gateway.yaml",
            "GATEWAY_LOGS_EXPORTERS:-[otlp_http/loki]",
            "GATEWAY_LOGS_EXPORTERS:-[otlp_http/nowhere]",
            "otlp_http/nowhere",
        ),
        ("prometheus/prometheus.yml", "scrape_interval: 15s", "scrape_interval: often", "not a valid duration"),
        ("prometheus/rules/carbon.yml", "for: 15m", "for: soon", "not a valid duration"),
        ("prometheus/tests/carbon.test.yml", 'values: "500x1500"', 'values: "5000x1500"', "FAILED"),
        (
            "alertmanager/alertmanager.yml",
            "receiver: tickets-platform",
            "receiver: nobody",
            'undefined receiver "nobody"',
        ),
        (
            "alertmanager/tests/routes.yml",
            "receivers: [deadmans-switch]",
            "receivers: [tickets-platform]",
            "the Watchdog goes to the dead man's switch only: expected tickets-platform, got deadmans-switch",
        ),
        ("prometheus/tests/availability.test.yml", 'values: "0+80x30"', 'values: "0+20x30"', "FAILED"),
        ("docker-compose.yml", "restart: unless-stopped", "restart: [always]", "is not of type 'string'"),
        (
            "docker-compose.yml",
            '"${TTA_BIND_ADDRESS:-127.0.0.1}:3000:3000"',
            '"3000:3000"',
            "grafana: port '3000:3000' is published on all interfaces",
        ),
        (
            "docker-compose.yml",
            'GF_AUTH_ANONYMOUS_ENABLED: "false"',
            'GF_AUTH_ANONYMOUS_ENABLED: "true"',
            "grafana: anonymous access is enabled",
        ),
        (
            "docker-compose.yml",
            "GF_SECURITY_ADMIN_PASSWORD__FILE: /run/secrets/grafana-admin-password",
            "GF_SECURITY_ADMIN_USER: admin",
            "grafana: the admin keeps Grafana's default password",
        ),
        ("grafana-dashboards/overview.json", "(rate(http_server", "(rate((http_server", "promql"),
        ("prometheus/tests/logs.test.yml", 'values: "0+20x30"', 'values: "0+2x30"', "FAILED"),
    ],
)
def test_a_broken_copy_fails_with_the_tools_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], relative: str, old: str, new: str, message: str
) -> None:
    broken = _broken_copy(tmp_path, relative, old, new)
    assert main(["validate", "--repo", str(REPO), str(broken)]) == 1
    output = capsys.readouterr().out
    assert output.startswith(f"FAIL {broken}")
    assert message in output


def test_an_unknown_file_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stray = tmp_path / "notes.yaml"
    stray.write_text("a: 1\n")
    assert main(["validate", "--repo", str(REPO), str(stray)]) == 1
    assert "no validator knows this file" in capsys.readouterr().out


def test_a_broken_web_config_fails_with_promtools_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "prometheus-web.yml"
    broken.write_text("basic_auth_users: [tta-otel]\n")
    assert main(["validate", "--repo", str(REPO), str(broken)]) == 1
    output = capsys.readouterr().out
    assert output.startswith(f"FAIL {broken} (promtool check web-config)")
    assert "cannot unmarshal" in output


def test_a_loki_rule_file_that_does_not_parse_fails_with_the_grammars_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "loki" / "rules" / "burst.yml"
    rules.parent.mkdir(parents=True)
    expr = 'sum(count_over_time({service_name=~".+"} | severity_text = = "ERROR" [5m])) > 50'
    rules.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [{"alert": "A", "expr": expr}]}]}))

    assert main(["validate", "--repo", str(REPO), str(rules)]) == 1

    output = capsys.readouterr().out
    assert output.startswith(f"FAIL {rules} (lezer LogQL)")
    assert "LogQL does not parse" in output
