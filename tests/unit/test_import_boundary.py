"""Specification of the two sides: what loads into a TTA service never loads the operator's side.

Every module of ``tta_otel`` outside ``tta_otel.ops`` (the operator's tools) and
``tta_otel.testing`` (test and demo helpers) may be imported by an instrumented service. Each
is imported in a fresh interpreter, and none may bring in the operator's side, the test
helpers, or an optional heavy library that only a feature the service did not use needs.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
import textwrap

import pytest

import tta_otel

OPERATOR_SIDE = ("tta_otel.ops", "tta_otel.testing")
HEAVY_OPTIONAL = ("matplotlib", "grafana_foundation_sdk", "grafana_client", "jsonschema", "pynvml", "rich")


def _modules(include: tuple[str, ...] = ("tta_otel",), exclude: tuple[str, ...] = OPERATOR_SIDE) -> list[str]:
    return sorted(
        module.name
        for module in pkgutil.walk_packages(tta_otel.__path__, "tta_otel.")
        if module.name.startswith(include) and not module.name.startswith(exclude)
    )


def _loaded_by(modules: list[str], forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    """For each module, imported in turn in a fresh interpreter: the forbidden modules loaded by then."""
    script = textwrap.dedent(
        f"""
        import importlib, json, sys
        forbidden = {forbidden!r}
        below = tuple(name + "." for name in forbidden)
        found = {{}}
        for name in {modules!r}:
            importlib.import_module(name)
            found[name] = sorted(m for m in sys.modules if m in forbidden or m.startswith(below))
        print(json.dumps(found))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120)
    loaded: dict[str, list[str]] = json.loads(result.stdout)
    return loaded


def test_the_app_side_has_modules_to_check() -> None:
    modules = _modules()
    assert "tta_otel.configurator" in modules
    assert "tta_otel.instrumentation.redis.metrics" in modules
    assert not any(name.startswith(OPERATOR_SIDE) for name in modules)


@pytest.mark.parametrize("module", _modules())
def test_importing_an_app_side_module_loads_neither_the_operator_side_nor_heavy_extras(module: str) -> None:
    assert _loaded_by([module], OPERATOR_SIDE + HEAVY_OPTIONAL) == {module: []}


@pytest.mark.parametrize("module", _modules(include=("tta_otel.testing",), exclude=()))
def test_the_test_helpers_do_not_load_the_operator_side(module: str) -> None:
    assert _loaded_by([module], ("tta_otel.ops",)) == {module: []}


def test_a_forbidden_module_is_seen_when_it_is_loaded() -> None:
    assert _loaded_by(["tta_otel.ops.stack.versions"], ("tta_otel.ops",)) == {
        "tta_otel.ops.stack.versions": ["tta_otel.ops", "tta_otel.ops.stack", "tta_otel.ops.stack.versions"]
    }
