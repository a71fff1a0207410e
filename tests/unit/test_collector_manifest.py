"""Specification: the collector build holds exactly the components a shipped configuration uses.

Least surface: a component that no configuration uses is attack surface and build time; one
that a configuration uses but the build lacks fails at start. The shipped configurations are
the collector's own (``otelcol.yaml`` with the generated ``privacy.yaml``, ``compose.yaml``
under docker compose, and the gateway topology's ``agent.yaml`` and ``gateway.yaml``), the
benchmark overlay, which swaps the backends for a quiet debug exporter, and the stack tests'
overlay that writes a private collector's exact output to files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
CONFIGS = (
    REPO / "collector-config" / "otelcol.yaml",
    REPO / "collector-config" / "privacy.yaml",
    REPO / "collector-config" / "compose.yaml",
    REPO / "collector-config" / "agent.yaml",
    REPO / "collector-config" / "gateway.yaml",
    REPO / "benchmarks" / "collector-overlay.yaml",
    REPO / "tests" / "stack" / "collector-files.yaml",
)
SECTIONS = ("receivers", "processors", "exporters", "extensions", "connectors")
# The builder's module path (last segment) for each component type name a configuration uses.
MODULE_OF_TYPE = {
    "otlp": "otlpreceiver",
    "memory_limiter": "memorylimiterprocessor",
    "batch": "batchprocessor",
    "filter": "filterprocessor",
    "transform": "transformprocessor",
    "groupbyattrs": "groupbyattrsprocessor",
    "tta_privacy": "privacyprocessor",
    "otlp_grpc": "otlpexporter",
    "otlp_http": "otlphttpexporter",
    "file": "fileexporter",
    "load_balancing": "loadbalancingexporter",
    "debug": "debugexporter",
    "bearertokenauth": "bearertokenauthextension",
    "count": "countconnector",
    "forward": "forwardconnector",
    "health_check": "healthcheckextension",
    "file_storage": "filestorage",
    "pprof": "pprofextension",
    "zpages": "zpagesextension",
}


def _used() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {section: set() for section in SECTIONS}
    for path in CONFIGS:
        document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for section in SECTIONS:
            used[section].update(name.split("/")[0] for name in document.get(section) or {})
    return used


def _built() -> dict[str, set[str]]:
    manifest = yaml.safe_load((REPO / "collector-config" / "builder-config.yaml").read_text(encoding="utf-8"))
    return {
        section: {entry["gomod"].split()[0].rsplit("/", 1)[-1] for entry in manifest.get(section) or []}
        for section in SECTIONS
    }


def test_every_component_a_configuration_uses_is_built() -> None:
    built = _built()
    missing = {
        section: sorted(name for name in names if MODULE_OF_TYPE.get(name, f"?{name}") not in built[section])
        for section, names in _used().items()
    }
    assert {section: names for section, names in missing.items() if names} == {}


def test_no_component_is_built_that_no_configuration_uses() -> None:
    used_modules = {section: {MODULE_OF_TYPE.get(name, name) for name in names} for section, names in _used().items()}
    unused = {section: sorted(modules - used_modules[section]) for section, modules in _built().items()}
    assert {section: modules for section, modules in unused.items() if modules} == {}


def test_core_and_contrib_are_at_one_release() -> None:
    manifest = yaml.safe_load((REPO / "collector-config" / "builder-config.yaml").read_text(encoding="utf-8"))
    versions = {entry["gomod"].split()[1] for section in SECTIONS for entry in manifest.get(section) or []}
    assert versions == {f"v{manifest['dist']['version']}"}
