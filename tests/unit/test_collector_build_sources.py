"""Specification: the collector build holds our own processor (collector/privacyprocessor), and a
changed processor is a changed collector - its source files key the build cache, and the
builder gets the module's absolute path wherever it runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tta_otel.ops.stack import components as components_module
from tta_otel.ops.stack.components import Component, build_component, components

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TTA_OTEL_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _writes_binary(component: Component, repository: Path, output: Path) -> None:
    (output / component.binaries[0]).write_text("binary")


def _module(tmp_path: Path) -> Path:
    module = tmp_path / "collector" / "privacyprocessor"
    module.mkdir(parents=True)
    (module / "go.mod").write_text("module example.org/p\n")
    (module / "processor.go").write_text("package p\n")
    (module / "processor_test.go").write_text("package p\n")
    return module


def test_a_changed_processor_source_means_another_cache_directory(tmp_path: Path) -> None:
    module = _module(tmp_path)
    manifest = tmp_path / "builder-config.yaml"
    manifest.write_text("dist: {name: otelcol}\n")
    component = Component("otelcol", "1.0.0", ("otelcol",), manifest, _writes_binary, sources=(module,))
    before = component.cache_dir()
    (module / "processor_test.go").write_text("package p\n// another test\n")
    assert component.cache_dir() == before  # tests are not compiled into the binary
    (module / "processor.go").write_text("package p\n// changed\n")
    assert component.cache_dir() != before


def test_the_collector_of_the_checkout_is_keyed_by_its_processor() -> None:
    collector = components(REPO)["otelcol"]
    assert collector.sources == (REPO / "collector" / "privacyprocessor",)
    manifest = yaml.safe_load((REPO / "collector-config" / "builder-config.yaml").read_text())
    (local,) = [entry for entry in manifest["processors"] if "path" in entry]
    assert (REPO / local["path"]).resolve() == REPO / "collector" / "privacyprocessor"


def test_the_builder_gets_the_processors_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = _module(tmp_path)
    manifest = tmp_path / "builder-config.yaml"
    manifest.write_text(
        yaml.safe_dump(
            {
                "dist": {"name": "otelcol", "output_path": "/nowhere"},
                "processors": [{"gomod": "example.org/p v1.0.0", "path": "./collector/privacyprocessor"}],
            }
        )
    )
    seen: list[dict[str, object]] = []

    def builder_run(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
        config = Path(command[command.index("--config") + 1])
        seen.append(yaml.safe_load(config.read_text()))
        (config.parent / "otelcol").write_text("binary")

    builder = Component("ocb", "1.0.0", ("builder",), None, _writes_binary)
    build_component(builder, tmp_path)
    monkeypatch.setattr(components_module, "_run", builder_run)
    collector = Component(
        "otelcol", "1.0.0", ("otelcol",), manifest, components_module._collector_build(builder), sources=(module,)
    )
    assert build_component(collector, tmp_path) is True
    assert seen[0]["processors"] == [{"gomod": "example.org/p v1.0.0", "path": str(module)}]
