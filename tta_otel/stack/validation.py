"""``tta-otel validate``: every configuration file checked by its own tool.

The collector config by ``otelcol validate`` (with the generated privacy processors),
Prometheus's by ``promtool check config`` (which also checks the rule files it names),
rule files by ``promtool check rules``, rule tests (``prometheus/tests/*.test.yml``) by
``promtool test rules``, Alertmanager's by ``amtool check-config``,
docker-compose.yml by the Compose Specification's schema. Each file gives one line; a
failure shows the tool's own message.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tta_otel.stack.components import Component
from tta_otel.stack.compose_schema import compose_errors, fetch_schema

# otelcol validate needs every ${env:...} without a default to resolve; a throw-away key will do.
_VALIDATION_ENV = {"TTA_COLLECTOR_PSEUDONYM_KEY": "validation-only-key-validation-only-key"}


@dataclass(frozen=True)
class Result:
    path: Path
    tool: str
    ok: bool
    message: str


def _check(path: Path, tool: str, command: list[str]) -> Result:
    completed = subprocess.run(
        command, capture_output=True, text=True, check=False, env={**os.environ, **_VALIDATION_ENV}
    )
    output = (completed.stdout + completed.stderr).strip()
    return Result(path, tool, completed.returncode == 0, output)


_KINDS: list[tuple[str, Callable[[Path], bool]]] = [
    ("otelcol", lambda p: p.parent.name == "collector-config" and p.name == "otelcol.yaml"),
    ("promtool-config", lambda p: p.parent.name == "prometheus" and p.name == "prometheus.yml"),
    (
        "promtool-rules",
        lambda p: p.parent.name == "rules" and p.suffix in {".yml", ".yaml"} and not p.name.endswith(".test.yml"),
    ),
    (
        "promtool-test",
        lambda p: p.parent.name == "tests" and p.parent.parent.name == "prometheus" and p.name.endswith(".test.yml"),
    ),
    ("amtool", lambda p: p.parent.name == "alertmanager" and p.name == "alertmanager.yml"),
    ("compose", lambda p: p.name in {"docker-compose.yml", "compose.yaml", "compose.yml"}),
]


def kind_of(path: Path) -> str | None:
    """Which tool checks ``path``, from where it lives and what it is called."""
    return next((kind for kind, matches in _KINDS if matches(path)), None)


def default_paths(repository: Path) -> list[Path]:
    return [
        repository / "collector-config" / "otelcol.yaml",
        repository / "prometheus" / "prometheus.yml",
        *sorted((repository / "prometheus" / "rules").glob("*.yml")),
        *sorted((repository / "prometheus" / "tests").glob("*.test.yml")),
        repository / "alertmanager" / "alertmanager.yml",
        repository / "docker-compose.yml",
    ]


def validate(paths: list[Path], tools: dict[str, Component]) -> list[Result]:
    results = []
    for path in paths:
        kind = kind_of(path)
        if kind == "otelcol":
            privacy = path.parent / "privacy.yaml"
            command = [str(tools["otelcol"].binary()), "validate", "--config", str(path), "--config", str(privacy)]
            results.append(_check(path, "otelcol validate", command))
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
        elif kind == "compose":
            errors = compose_errors(path, fetch_schema())
            results.append(Result(path, "Compose Specification schema", not errors, "\n".join(errors)))
        else:
            results.append(Result(path, "-", False, "no validator knows this file (name or folder not recognised)"))
    return results
