"""Specification of the cached builds: keyed by version and manifest, built once, errors explained.
The real Go builds run in `make test` (tta-otel stack build); here the build steps are stand-ins."""

from __future__ import annotations

from pathlib import Path

import pytest

from tta_otel.ops.stack import components as components_module
from tta_otel.ops.stack.components import BuildError, Component, build_component, components

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TTA_OTEL_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _writes_binary(component: Component, repository: Path, output: Path) -> None:
    (output / component.binaries[0]).write_text("binary")


def test_a_build_lands_in_a_directory_named_by_version_and_manifest(tmp_path: Path, cache: Path) -> None:
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text("modules: [a]\n")
    component = Component("tool", "1.2.3", ("tool",), manifest, _writes_binary)
    assert build_component(component, REPO) is True
    assert component.binary().read_text() == "binary"
    assert component.cache_dir().parent == cache / "bin"
    assert component.cache_dir().name.startswith("tool-v1.2.3-")


def test_a_second_build_reuses_the_cache(tmp_path: Path) -> None:
    calls: list[str] = []

    def build(component: Component, repository: Path, output: Path) -> None:
        calls.append(component.name)
        _writes_binary(component, repository, output)

    component = Component("tool", "1.2.3", ("tool",), None, build)
    assert build_component(component, REPO) is True
    assert build_component(component, REPO) is False
    assert calls == ["tool"]


def test_a_changed_manifest_means_another_cache_directory(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text("modules: [a]\n")
    component = Component("tool", "1.2.3", ("tool",), manifest, _writes_binary)
    before = component.cache_dir()
    manifest.write_text("modules: [a, b]\n")
    assert component.cache_dir() != before


def test_a_failed_build_leaves_no_half_built_directory() -> None:
    def failing(component: Component, repository: Path, output: Path) -> None:
        (output / "partial").write_text("x")
        raise BuildError("compile error")

    component = Component("tool", "1.2.3", ("tool",), None, failing)
    with pytest.raises(BuildError, match="compile error"):
        build_component(component, REPO)
    assert not component.cache_dir().exists()
    assert list(component.cache_dir().parent.iterdir()) == []


def test_a_failing_command_shows_its_output() -> None:
    with pytest.raises(BuildError, match=r"`sh -c echo go: module not found; exit 3` failed \(exit 3\):\ngo: module"):
        components_module._run(["sh", "-c", "echo go: module not found; exit 3"])


def test_a_missing_go_toolchain_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(components_module.shutil, "which", lambda name: None)
    with pytest.raises(BuildError, match="Go is not installed"):
        components_module._require_go()


def test_the_components_of_the_checkout() -> None:
    found = components(REPO)
    assert set(found) == {
        "otelcol",
        "prometheus",
        "alertmanager",
        "jaeger",
        "victorialogs",
        "victoriametrics",
        "seaweedfs",
        "telemetrygen",
    }
    assert found["otelcol"].binaries == ("otelcol-tta",)
    assert found["prometheus"].binaries == ("prometheus", "promtool")
    assert found["alertmanager"].binaries == ("alertmanager", "amtool")
    assert found["jaeger"].binaries == ("jaeger",)
    assert found["victorialogs"].binaries == ("victoria-logs",)
    assert found["victoriametrics"].binaries == ("victoria-metrics",)
    assert found["seaweedfs"].binaries == ("weed",)


def test_a_changed_recipe_or_go_sum_means_another_cache_directory(tmp_path: Path) -> None:
    go_mod = tmp_path / "go.mod"
    go_mod.write_text("module wrapper\n")
    (tmp_path / "go.sum").write_text("a v1 h1:x\n")
    component = Component("tool", "1.2.3", ("tool",), go_mod, _writes_binary, recipe="go build -trimpath")
    before = component.cache_dir()
    (tmp_path / "go.sum").write_text("a v1 h1:y\n")
    assert component.cache_dir() != before
    flags = Component("tool", "1.2.3", ("tool",), go_mod, _writes_binary, recipe="go build -race")
    assert flags.cache_dir() != component.cache_dir()
