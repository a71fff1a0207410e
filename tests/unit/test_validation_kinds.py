"""`tta-otel validate` finds the Alertmanager routing tests and runs each case through amtool.

amtool here is a stand-in script that behaves as `amtool config routes test --verify.receivers`
does (prints the resolved receivers, exits 1 on a mismatch) and logs its arguments; the real
amtool runs in tests/stack/test_validate.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tta_otel.environment_variables import TTA_OTEL_CACHE as CACHE_ENV
from tta_otel.ops.stack.components import Component
from tta_otel.ops.stack.validation import default_paths, kind_of, routing_cases, validate

REPO = Path(__file__).resolve().parents[2]

# Resolves every alert to the receivers named in $ROUTED (as amtool would from a config).
FAKE_AMTOOL = """#!/bin/sh
{ printf '%s\\n' "$@"; echo --; } >> "$(dirname "$0")/calls.log"
for argument in "$@"; do
  case "$argument" in --verify.receivers=*) expected="${argument#--verify.receivers=}" ;; esac
done
echo "$ROUTED"
if [ "$expected" != "$ROUTED" ]; then
  echo "WARNING: Expected receivers did not match resolved receivers."
  exit 1
fi
"""


@pytest.mark.parametrize(
    ("relative", "kind"),
    [
        ("alertmanager/tests/routes.yml", "amtool-routes"),
        ("alertmanager/tests/more-routes.yaml", "amtool-routes"),
        ("alertmanager/alertmanager.yml", "amtool"),
        ("prometheus/tests/availability.test.yml", "promtool-test"),
        ("prometheus/rules/availability.yml", "promtool-rules"),
        ("alertmanager/tests/notes.md", None),
        ("tests/routes.yml", None),
        ("kubernetes/collector-agent.yaml", "otelcol-kubernetes"),
        ("kubernetes/tta-otel.yaml", "kubernetes"),
        ("kubernetes/other.yaml", None),
    ],
)
def test_each_file_gets_its_tool(relative: str, kind: str | None) -> None:
    assert kind_of(Path("/checkout") / relative) == kind


def test_the_default_paths_include_every_routing_test(tmp_path: Path) -> None:
    (tmp_path / "alertmanager" / "tests").mkdir(parents=True)
    for name in ("routes.yml", "b.yml", "README.md"):
        (tmp_path / "alertmanager" / "tests" / name).write_text("[]\n")
    paths = default_paths(tmp_path)
    routing = [path for path in paths if kind_of(path) == "amtool-routes"]
    assert routing == [
        tmp_path / "alertmanager" / "tests" / "b.yml",
        tmp_path / "alertmanager" / "tests" / "routes.yml",
    ]
    assert paths.index(routing[0]) == paths.index(tmp_path / "alertmanager" / "alertmanager.yml") + 1


def test_the_shipped_routing_tests_parse() -> None:
    cases = routing_cases(REPO / "alertmanager" / "tests" / "routes.yml")
    assert len(cases) >= 10
    watchdog = next(case for case in cases if case.labels["alertname"] == "TTAWatchdog")
    assert watchdog.receivers == ("deadmans-switch",)
    assert all(case.receivers[0] == "tta-otel-alerts" for case in cases if case is not watchdog)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{}\n", "expected a list of cases"),
        ("[]\n", "expected a list of cases"),
        ("- name: a\n  labels: {alertname: X}\n  receiver: [r]\n", "a: expected the keys name, labels and receivers"),
        (
            "- name: b\n  labels: {alertname: X, replicas: 2}\n  receivers: [r]\n",
            "b: labels must map label names to strings",
        ),
        ("- labels: {alertname: X}\n  receivers: []\n", "case 1: receivers must be a non-empty list"),
        ("- name: c\n  receivers: [r]\n", "c: labels must map"),
    ],
)
def test_a_malformed_routing_test_says_which_case_and_why(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "routes.yml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        routing_cases(path)


@pytest.fixture
def amtool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Component:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv("ROUTED", "tta-otel-alerts,pagerduty-tta")
    component = Component("alertmanager", "0.0.0", ("alertmanager", "amtool"), None, lambda *_: None)
    component.cache_dir().mkdir(parents=True)
    script = component.binary("amtool")
    script.write_text(FAKE_AMTOOL)
    script.chmod(0o755)
    return component


def _calls(amtool: Component) -> list[list[str]]:
    """The arguments of each run of the stand-in amtool."""
    log = (amtool.cache_dir() / "calls.log").read_text()
    return [call.strip("\n").split("\n") for call in log.split("--\n") if call]


def _routes(tmp_path: Path, text: str) -> Path:
    (tmp_path / "alertmanager" / "tests").mkdir(parents=True)
    path = tmp_path / "alertmanager" / "tests" / "routes.yml"
    path.write_text(text)
    return path


def test_each_case_runs_amtool_with_its_labels_quoted_and_its_receivers(tmp_path: Path, amtool: Component) -> None:
    path = _routes(
        tmp_path,
        "- name: page\n  labels: {alertname: TTAX, severity: critical, note: 'say \"hi\" \\ bye'}\n"
        "  receivers: [tta-otel-alerts, pagerduty-tta]\n"
        "- name: again\n  labels: {alertname: TTAY}\n  receivers: [tta-otel-alerts, pagerduty-tta]\n",
    )
    [result] = validate([path], {"alertmanager": amtool})
    assert result.ok, result.message
    assert result.tool == "amtool config routes test"
    assert result.message == "2 cases routed as expected"
    config = tmp_path / "alertmanager" / "alertmanager.yml"
    verify = "--verify.receivers=tta-otel-alerts,pagerduty-tta"
    command = ["config", "routes", "test", f"--config.file={config}", verify]
    assert _calls(amtool) == [
        [*command, 'alertname="TTAX"', 'severity="critical"', 'note="say \\"hi\\" \\\\ bye"'],
        [*command, 'alertname="TTAY"'],
    ]


def test_every_failing_case_is_reported_with_what_amtool_resolved(tmp_path: Path, amtool: Component) -> None:
    path = _routes(
        tmp_path,
        "- name: routed right\n  labels: {alertname: A}\n  receivers: [tta-otel-alerts, pagerduty-tta]\n"
        "- name: routed wrong\n  labels: {alertname: B}\n  receivers: [tta-otel-alerts, tickets-tta]\n"
        "- name: also wrong\n  labels: {alertname: C}\n  receivers: [slack-info]\n",
    )
    [result] = validate([path], {"alertmanager": amtool})
    assert not result.ok
    assert result.message.splitlines() == [
        "routed wrong: expected tta-otel-alerts,tickets-tta, got tta-otel-alerts,pagerduty-tta",
        "also wrong: expected slack-info, got tta-otel-alerts,pagerduty-tta",
    ]


def test_a_malformed_file_fails_without_running_amtool(tmp_path: Path, amtool: Component) -> None:
    path = _routes(tmp_path, "- name: x\n  labels: {alertname: A}\n")
    [result] = validate([path], {"alertmanager": amtool})
    assert not result.ok
    assert result.message == "x: receivers must be a non-empty list of receiver names"
    assert not (amtool.cache_dir() / "calls.log").exists()


def test_a_file_that_is_not_yaml_fails_with_the_parsers_message(tmp_path: Path, amtool: Component) -> None:
    path = _routes(tmp_path, "- name: [unclosed\n")
    [result] = validate([path], {"alertmanager": amtool})
    assert not result.ok
    assert "while parsing a flow sequence" in result.message
