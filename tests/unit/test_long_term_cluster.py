"""The long-term tier's cluster override (prometheus/docker-compose.long-term-cluster.yml with
prometheus/vmauth-cluster.yml) holds together. The cluster's sources are not served by the Go
module proxy (docs/scaling.md), so it runs here in no form: these checks read the files (the
compose schema and the exposure rules check the override in ``tta-otel validate``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tta_otel.ops.secrets import VICTORIAMETRICS_PASSWORD

REPO = Path(__file__).resolve().parents[2]
OVERRIDE: dict[str, Any] = yaml.safe_load((REPO / "prometheus" / "docker-compose.long-term-cluster.yml").read_text())
SERVICES: dict[str, Any] = OVERRIDE["services"]
(USER,) = yaml.safe_load((REPO / "prometheus" / "vmauth-cluster.yml").read_text())["users"]
COMPOSE: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
STORAGE = sorted(name for name in SERVICES if name.startswith("vmstorage-"))


def _flag(service: str, name: str) -> str:
    arguments: list[str] = SERVICES[service]["command"]
    (value,) = [item.partition("=")[2] for item in arguments if item.startswith(f"-{name}=")]
    return value


def test_vmauth_takes_the_single_nodes_name_port_and_credentials() -> None:
    command = SERVICES["victoriametrics"]["command"][0]
    assert "-httpListenAddr=0.0.0.0:8428" in command
    assert "-httpListenAddr=0.0.0.0:8428" in COMPOSE["services"]["victoriametrics"]["command"]
    assert f'export VICTORIAMETRICS_PASSWORD="$$(cat /run/secrets/{VICTORIAMETRICS_PASSWORD})"' in command
    assert (USER["username"], USER["password"]) == ("tta-otel", "%{VICTORIAMETRICS_PASSWORD}")
    prometheus = yaml.safe_load((REPO / "prometheus" / "prometheus.yml").read_text())
    assert [write["url"] for write in prometheus["remote_write"]] == ["http://victoriametrics:8428/api/v1/write"]


def test_writes_go_to_vminsert_and_queries_to_vmselect() -> None:
    routes = {tuple(route["src_paths"]): route["url_prefix"] for route in USER["url_map"]}
    assert routes == {
        ("/api/v1/write", "/api/v1/import.*"): "http://vminsert:8480/insert/0/prometheus/",
        ("/api/v1/.+", "/federate"): "http://vmselect:8481/select/0/prometheus/",
    }


def test_every_sample_is_kept_on_two_storage_nodes_and_read_from_all() -> None:
    assert STORAGE == ["vmstorage-1", "vmstorage-2"]
    assert _flag("vminsert", "storageNode") == ",".join(f"{node}:8400" for node in STORAGE)
    assert _flag("vmselect", "storageNode") == ",".join(f"{node}:8401" for node in STORAGE)
    assert _flag("vminsert", "replicationFactor") == _flag("vmselect", "replicationFactor") == "2"
    volumes = [SERVICES[node]["volumes"] for node in STORAGE]
    assert volumes == [[f"{node}-data:/vmstorage-data"] for node in STORAGE]


def test_the_storage_nodes_keep_the_single_nodes_retention() -> None:
    single = next(item for item in COMPOSE["services"]["victoriametrics"]["command"] if "-retentionPeriod=" in item)
    assert all(_flag(node, "retentionPeriod") == single.partition("=")[2] for node in STORAGE)
