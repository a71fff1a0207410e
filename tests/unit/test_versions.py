"""One source of truth for versions: versions.env, and every build manifest agrees with it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tta_otel.ops.stack.versions import read_versions

REPO = Path(__file__).resolve().parents[2]
VERSIONS = read_versions(REPO / "versions.env")


def test_compose_reads_the_same_file() -> None:
    assert (REPO / ".env").resolve() == (REPO / "versions.env").resolve()


def test_the_collector_manifest_uses_the_pinned_versions() -> None:
    manifest = yaml.safe_load((REPO / "collector-config" / "builder-config.yaml").read_text())
    assert manifest["dist"]["version"] == VERSIONS["OTELCOL_VERSION"]
    modules = [
        entry["gomod"] for kind in ("receivers", "processors", "exporters", "extensions") for entry in manifest[kind]
    ]
    assert {module.split()[-1] for module in modules} == {f"v{VERSIONS['OTELCOL_VERSION']}"}
    assert {entry["gomod"].split()[-1] for entry in manifest["providers"]} == {
        f"v{VERSIONS['OTELCOL_PROVIDERS_VERSION']}"
    }


def test_the_prometheus_wrapper_requires_the_pinned_module() -> None:
    go_mod = (REPO / "build" / "prometheus" / "go.mod").read_text()
    assert re.search(
        rf"github.com/prometheus/prometheus v{re.escape(VERSIONS['PROMETHEUS_GO_MODULE_VERSION'])}\b", go_mod
    )
    major, minor, _ = VERSIONS["PROMETHEUS_VERSION"].split(".")
    assert VERSIONS["PROMETHEUS_GO_MODULE_VERSION"].startswith(f"0.{int(major) * 100 + int(minor)}.")


def test_the_jaeger_wrapper_requires_the_pinned_module() -> None:
    go_mod = (REPO / "build" / "jaeger" / "go.mod").read_text()
    assert re.search(rf"github.com/jaegertracing/jaeger v{re.escape(VERSIONS['JAEGER_VERSION'])}\b", go_mod)


def test_the_victoriametrics_wrapper_requires_the_pinned_module() -> None:
    go_mod = (REPO / "build" / "victoriametrics" / "go.mod").read_text()
    assert re.search(
        rf"github.com/VictoriaMetrics/VictoriaMetrics v{re.escape(VERSIONS['VICTORIAMETRICS_VERSION'])}\b", go_mod
    )


def test_compose_image_tags_come_from_the_versions_file() -> None:
    compose = (REPO / "docker-compose.yml").read_text()
    names = ("OTELCOL_VERSION", "PROMETHEUS_VERSION", "ALERTMANAGER_VERSION", "LOKI_VERSION", "TEMPO_VERSION")
    for name in (*names, "VICTORIAMETRICS_VERSION", "GRAFANA_VERSION", "BUSYBOX_VERSION"):
        assert f"${{{name}}}" in compose


def test_a_malformed_line_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "versions.env"
    path.write_text("# ok\nPROMETHEUS_VERSION\n")
    with pytest.raises(ValueError, match=r"versions.env:2: expected NAME=value"):
        read_versions(path)


def test_the_scalable_trace_store_takes_its_image_tag_from_the_versions_file() -> None:
    override = (REPO / "tempo" / "docker-compose.scalable.yml").read_text()
    assert override.count("chrislusf/seaweedfs:${SEAWEEDFS_RELEASE}") == 2
    assert "SEAWEEDFS_RELEASE" in VERSIONS


def test_the_long_term_cluster_runs_the_pinned_release_of_each_part() -> None:
    override = (REPO / "prometheus" / "docker-compose.long-term-cluster.yml").read_text()
    for part in ("vminsert", "vmselect", "vmstorage"):
        assert f"victoriametrics/{part}:v${{VICTORIAMETRICS_VERSION}}-cluster" in override
    assert "victoriametrics/vmauth:v${VICTORIAMETRICS_VERSION}" in override
