"""``tta-otel validate``: every configuration file checked by its own tool.

The collector config by ``otelcol validate`` (with the generated privacy processors; and once
more with each overlay: ``compose.yaml``, what docker compose adds, and the gateway topology's
``agent.yaml`` and ``gateway.yaml``),
Prometheus's by ``promtool check config`` (which also checks the rule files it names),
rule files by ``promtool check rules``, rule tests (``prometheus/tests/*.test.yml``) by
``promtool test rules``, Alertmanager's by ``amtool check-config``, routing tests
(``alertmanager/tests/*.yml``) case by case by ``amtool config routes test``,
docker-compose.yml by the Compose Specification's schema and the exposure rules (no port on
all interfaces, no anonymous Grafana, no default admin password), the web configuration files
of the secrets directory (``prometheus-web.yml``, ``alertmanager-web.yml``) by ``promtool check
web-config``, each Grafana dashboard by ``tta-otel dashboards lint``, the LogQL of Loki's rule files by
Grafana's lezer grammar, and ``retention.yaml`` by its schema and what each store can keep (with the
compose files it writes checked against it). Each file gives one line;
a failure shows the tool's own message.

A routing test file is a list of cases, each the labels of an alert and the receivers that
must get it, in the order of the routing tree::

    - name: a critical therapeutic-content error pages the TTA on-call
      labels: {alertname: TTACriticalContentErrors, severity: critical, component: player-api}
      receivers: [tta-otel-alerts, pagerduty-tta]

It is checked against the ``alertmanager.yml`` of the folder above it.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from tta_otel.config.loader import ConfigError
from tta_otel.environment_variables import TTA_SECRETS_DIR
from tta_otel.ops.secrets import ALERTMANAGER_WEB_CONFIG, PROMETHEUS_WEB_CONFIG, SecretsDir
from tta_otel.ops.stack.components import Component
from tta_otel.ops.stack.compose_exposure import exposure_errors
from tta_otel.ops.stack.compose_schema import compose_errors, fetch_schema
from tta_otel.ops.stack.kubernetes_manifests import AGENT_OVERLAY, manifest_problems
from tta_otel.ops.stack.retention import RETENTION_FILE, compose_drift

_WEB_CONFIGS = (PROMETHEUS_WEB_CONFIG, ALERTMANAGER_WEB_CONFIG)
_COLLECTOR_FILES = ("otelcol.yaml", "compose.yaml", "agent.yaml", "gateway.yaml")
"""The collector's configuration and the overlays merged after it (with privacy.yaml) in some deployment."""
VALIDATION_TOOLS = ("otelcol", "prometheus", "alertmanager")
"""The native components whose tools validate (otelcol, promtool, amtool): built before ``validate`` runs."""


@dataclass(frozen=True)
class Result:
    path: Path
    tool: str
    ok: bool
    message: str


@dataclass(frozen=True)
class RoutingCase:
    name: str
    labels: dict[str, str]
    receivers: tuple[str, ...]


def routing_cases(path: Path) -> list[RoutingCase]:
    """The cases of a routing test file; a ValueError names the case and what is wrong with it."""
    document = yaml.safe_load(path.read_text())
    if not isinstance(document, list) or not document:
        raise ValueError("expected a list of cases, each with name, labels and receivers")
    cases = []
    for number, case in enumerate(document, start=1):
        name = case.get("name", f"case {number}") if isinstance(case, dict) else f"case {number}"
        if not isinstance(case, dict) or set(case) - {"name", "labels", "receivers"}:
            raise ValueError(f"{name}: expected the keys name, labels and receivers")
        labels, receivers = case.get("labels"), case.get("receivers")
        if not isinstance(labels, dict) or not labels or not all(isinstance(v, str) for v in labels.values()):
            raise ValueError(f"{name}: labels must map label names to strings (quote numbers and booleans)")
        if not isinstance(receivers, list) or not receivers or not all(isinstance(r, str) for r in receivers):
            raise ValueError(f"{name}: receivers must be a non-empty list of receiver names")
        cases.append(RoutingCase(str(name), {str(k): v for k, v in labels.items()}, tuple(receivers)))
    return cases


def _matcher(name: str, value: str) -> str:
    """``name="value"`` as amtool parses it, whatever the value holds."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{name}="{escaped}"'


def _check_routes(path: Path, amtool: Path) -> Result:
    tool = "amtool config routes test"
    try:
        cases = routing_cases(path)
    except (ValueError, yaml.YAMLError) as error:
        return Result(path, tool, False, str(error))
    config = path.parent.parent / "alertmanager.yml"
    failures = []
    for case in cases:
        expected = ",".join(case.receivers)
        labels = [_matcher(name, value) for name, value in case.labels.items()]
        command = [str(amtool), "config", "routes", "test", f"--config.file={config}", f"--verify.receivers={expected}"]
        completed = subprocess.run([*command, *labels], capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            output = (completed.stdout + completed.stderr).strip()
            resolved = output.splitlines()[0] if output else "(no output)"
            failures.append(f"{case.name}: expected {expected}, got {resolved}")
    message = "\n".join(failures) if failures else f"{len(cases)} cases routed as expected"
    return Result(path, tool, not failures, message)


def _check(path: Path, tool: str, command: list[str], environment: dict[str, str] | None = None) -> Result:
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(environment or {})},
    )
    output = (completed.stdout + completed.stderr).strip()
    return Result(path, tool, completed.returncode == 0, output)


_DOCKER_COMPOSE = re.compile(r"docker-compose(\.[a-z-]+)?\.yml")  # the file and its overrides
COMPOSE_OVERRIDES = ("tempo/docker-compose.scalable.yml", "prometheus/docker-compose.long-term-cluster.yml")
"""The overrides of docker-compose.yml that scale one store out (docs/scaling.md)."""

_KINDS: list[tuple[str, Callable[[Path], bool]]] = [
    ("otelcol", lambda p: p.parent.name == "collector-config" and p.name in _COLLECTOR_FILES),
    ("promtool-config", lambda p: p.parent.name == "prometheus" and p.name == "prometheus.yml"),
    ("loki-rules", lambda p: p.parent.name == "rules" and p.parent.parent.name == "loki" and p.suffix == ".yml"),
    (
        "promtool-rules",
        lambda p: p.parent.name == "rules" and p.suffix in {".yml", ".yaml"} and not p.name.endswith(".test.yml"),
    ),
    (
        "promtool-test",
        lambda p: p.parent.name == "tests" and p.parent.parent.name == "prometheus" and p.name.endswith(".test.yml"),
    ),
    ("amtool", lambda p: p.parent.name == "alertmanager" and p.name == "alertmanager.yml"),
    (
        "amtool-routes",
        lambda p: p.parent.name == "tests" and p.parent.parent.name == "alertmanager" and p.suffix in {".yml", ".yaml"},
    ),
    ("compose", lambda p: p.name in {"compose.yaml", "compose.yml"} or _DOCKER_COMPOSE.fullmatch(p.name) is not None),
    ("web-config", lambda p: p.name in _WEB_CONFIGS),
    ("retention", lambda p: p.name == RETENTION_FILE),
    ("dashboard", lambda p: p.parent.name == "grafana-dashboards" and p.suffix == ".json"),
    ("otelcol-kubernetes", lambda p: p.parent.name == "kubernetes" and p.name == AGENT_OVERLAY),
    ("kubernetes", lambda p: p.parent.name == "kubernetes" and p.name == "tta-otel.yaml"),
]


def _check_dashboard(path: Path, promtool: Path) -> Result:
    """``tta-otel dashboards lint`` for one dashboard; its links may point to the others beside it."""
    from tta_otel.ops.dashboards.lint import lint, promtool_parser

    try:
        model = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        return Result(path, "dashboard lint", False, str(exc))
    others = [json.loads(other.read_text()).get("uid", "") for other in path.parent.glob("*.json") if other != path]
    problems = lint({path.name: model}, promtool_parser(promtool), others)
    return Result(path, "dashboard lint", not problems, "\n".join(str(problem) for problem in problems))


def _check_loki_rules(path: Path) -> Result:
    """The LogQL of a Loki rule file, parsed by Grafana's grammar (Loki itself cannot run natively)."""
    from tta_otel.ops.dashboards.query_syntax import check_rule_files

    problems = check_rule_files([path])
    return Result(path, "lezer LogQL", not problems, "\n".join(str(problem) for problem in problems))


def kind_of(path: Path) -> str | None:
    """Which tool checks ``path``, from where it lives and what it is called."""
    return next((kind for kind, matches in _KINDS if matches(path)), None)


def default_paths(repository: Path, secrets: SecretsDir | None = None) -> list[Path]:
    """Every configuration of the checkout, and the web configurations of the secrets directory that exist."""
    directory = secrets if secrets is not None else SecretsDir()
    web = [directory.path / name for name in _WEB_CONFIGS if (directory.path / name).exists()]
    return [
        *(repository / "collector-config" / name for name in _COLLECTOR_FILES),
        repository / "prometheus" / "prometheus.yml",
        *sorted((repository / "prometheus" / "rules").glob("*.yml")),
        *sorted((repository / "prometheus" / "tests").glob("*.test.yml")),
        repository / "alertmanager" / "alertmanager.yml",
        *sorted((repository / "alertmanager" / "tests").glob("*.yml")),
        *sorted((repository / "loki" / "rules").glob("*.yml")),
        repository / "docker-compose.yml",
        *(repository / override for override in COMPOSE_OVERRIDES),
        repository / RETENTION_FILE,
        repository / "kubernetes" / AGENT_OVERLAY,
        repository / "kubernetes" / "tta-otel.yaml",
        *sorted((repository / "grafana-dashboards").glob("*.json")),
        *web,
    ]


def _check_collector(path: Path, otelcol: Path, secrets: Callable[[], Path], before: tuple[str, ...] = ()) -> Result:
    """``otelcol validate`` of ``otelcol.yaml`` with the generated privacy processors (and, for an
    overlay such as ``compose.yaml``, with the overlay after them, and after the overlays of
    ``collector-config`` named in ``before``), reading the files of the secrets directory
    ``secrets()`` gives (the files it reads must exist)."""
    folder = path.parent.parent / "collector-config" if path.parent.name == "kubernetes" else path.parent
    base = folder / "otelcol.yaml"
    configs = [base, folder / "privacy.yaml", *(folder / name for name in before), *([path] if path != base else [])]
    command = [str(otelcol), "validate", *(argument for config in configs for argument in ("--config", str(config)))]
    return _check(path, "otelcol validate", command, {TTA_SECRETS_DIR: str(secrets())})


def _check_retention(path: Path) -> Result:
    """retention.yaml against its schema and what each store can keep, and the compose files
    beside it against it (``tta-otel stack retention`` writes them)."""
    try:
        problems = compose_drift(path)
    except ConfigError as error:
        return Result(path, "retention schema, store limits", False, str(error))
    return Result(path, "retention schema, store limits", not problems, "\n".join(problems))


def _check_kubernetes(path: Path) -> Result:
    problems = manifest_problems(path)
    return Result(path, "manifest checks", not problems, "\n".join(problems))


def _check_compose(path: Path) -> Result:
    errors = compose_errors(path, fetch_schema()) + exposure_errors(path)
    return Result(path, "Compose Specification schema, exposure", not errors, "\n".join(errors))


_WITHOUT_TOOLS: dict[str, Callable[[Path], Result]] = {
    "loki-rules": _check_loki_rules,
    "compose": _check_compose,
    "retention": _check_retention,
    "kubernetes": _check_kubernetes,
}
"""Kinds checked in Python, without a built tool."""


def validate(paths: list[Path], tools: dict[str, Component]) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="tta-otel-validate-") as temporary:

        @functools.cache
        def secrets() -> Path:
            """``$TTA_SECRETS_DIR``, else throw-away secrets of the right shape, made once per run."""
            if named := os.environ.get(TTA_SECRETS_DIR):
                return Path(named)
            throwaway = SecretsDir(Path(temporary) / "secrets")
            throwaway.init()
            return throwaway.path

        return _validate(paths, tools, secrets)


def _validate(paths: list[Path], tools: dict[str, Component], secrets: Callable[[], Path]) -> list[Result]:
    results = []
    for path in paths:
        kind = kind_of(path)
        if kind in _WITHOUT_TOOLS:
            results.append(_WITHOUT_TOOLS[kind](path))
        elif kind == "otelcol":
            results.append(_check_collector(path, tools["otelcol"].binary(), secrets))
        elif kind == "otelcol-kubernetes":
            results.append(_check_collector(path, tools["otelcol"].binary(), secrets, before=("agent.yaml",)))
        elif kind == "promtool-config":
            command = [str(tools["prometheus"].binary("promtool")), "check", "config", str(path)]
            results.append(_check(path, "promtool check config", command))
        elif kind == "promtool-rules":
            command = [str(tools["prometheus"].binary("promtool")), "check", "rules", str(path)]
            results.append(_check(path, "promtool check rules", command))
        elif kind == "promtool-test":
            command = [str(tools["prometheus"].binary("promtool")), "test", "rules", str(path)]
            results.append(_check(path, "promtool test rules", command))
        elif kind == "amtool":
            command = [str(tools["alertmanager"].binary("amtool")), "check-config", str(path)]
            results.append(_check(path, "amtool check-config", command))
        elif kind == "amtool-routes":
            results.append(_check_routes(path, tools["alertmanager"].binary("amtool")))
        elif kind == "dashboard":
            results.append(_check_dashboard(path, tools["prometheus"].binary("promtool")))
        elif kind == "web-config":
            command = [str(tools["prometheus"].binary("promtool")), "check", "web-config", str(path)]
            results.append(_check(path, "promtool check web-config", command))
        else:
            results.append(Result(path, "-", False, "no validator knows this file (name or folder not recognised)"))
    return results
