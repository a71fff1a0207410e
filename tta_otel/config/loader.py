"""Reading ``tta_config.yaml``: the monitoring section, or a precise error.

A bad file must never stop a TTA service: ``load_config`` returns the safe defaults
together with a ``ConfigError`` that names the file, the key and the reason, and the
caller logs it once. ``tta-otel config validate`` prints the same error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tta_otel.config.schema import MonitoringConfig
from tta_otel.environment_variables import TTA_CONFIG

DEFAULT_CONFIG_FILE = "tta_config.yaml"
SECTION = "monitoring"


@dataclass(frozen=True)
class ConfigProblem:
    """One reason a file was rejected: the dotted key and what is wrong with it."""

    key: str
    reason: str


class ConfigError(ValueError):
    """A configuration file that cannot be used."""

    def __init__(self, path: Path, problems: list[ConfigProblem]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"{path}: {p.key}: {p.reason}" for p in problems))


@dataclass(frozen=True)
class LoadedConfig:
    """The configuration in force and, when the file was rejected, why."""

    config: MonitoringConfig
    path: Path
    error: ConfigError | None = None


def config_path() -> Path:
    """The file named by ``TTA_CONFIG``, or ``./tta_config.yaml``."""
    return Path(os.environ.get(TTA_CONFIG) or DEFAULT_CONFIG_FILE)


def _yaml_problem(exc: yaml.YAMLError) -> ConfigProblem:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "(document)"
    problem = getattr(exc, "problem", None) or str(exc)
    return ConfigProblem(where, f"invalid YAML: {problem}")


def _validation_problems(exc: ValidationError) -> list[ConfigProblem]:
    problems = []
    for error in exc.errors():
        key = ".".join(str(part) for part in (SECTION, *error["loc"]))
        reason = error["msg"]
        if error["type"] != "missing" and "input" in error and not isinstance(error["input"], dict):
            reason = f"{reason} (got {error['input']!r})"
        problems.append(ConfigProblem(key, reason))
    return problems


def parse_config(path: Path) -> MonitoringConfig:
    """Parse and validate ``path``; raises ConfigError. A missing file is the defaults."""
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return MonitoringConfig()
    except OSError as exc:
        raise ConfigError(path, [ConfigProblem("(file)", f"cannot read: {exc.strerror}")]) from exc
    try:
        document: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(path, [_yaml_problem(exc)]) from exc
    if document is None:
        return MonitoringConfig()
    if not isinstance(document, dict):
        raise ConfigError(path, [ConfigProblem("(document)", "the file must be a mapping with a monitoring: key")])
    section = document.get(SECTION)
    if section is None:
        return MonitoringConfig()
    if not isinstance(section, dict):
        raise ConfigError(path, [ConfigProblem(SECTION, "must be a mapping")])
    try:
        config = MonitoringConfig.model_validate(section)
    except ValidationError as exc:
        raise ConfigError(path, _validation_problems(exc)) from exc
    return _resolve_relative_paths(config, path.parent)


def _resolve_relative_paths(config: MonitoringConfig, base: Path) -> MonitoringConfig:
    """Paths in the file are relative to the file, not to the service's working directory."""
    updates = {
        name: base / value
        for name in ("policy_file", "pseudonym_key_file")
        if (value := getattr(config.privacy, name)) is not None and not value.is_absolute()
    }
    if not updates:
        return config
    return config.model_copy(update={"privacy": config.privacy.model_copy(update=updates)})


def load_config(path: Path | None = None) -> LoadedConfig:
    """The configuration to run with: the file's, or the defaults and the reason it was rejected."""
    source = path or config_path()
    try:
        return LoadedConfig(parse_config(source), source)
    except ConfigError as error:
        return LoadedConfig(MonitoringConfig(), source, error=error)
