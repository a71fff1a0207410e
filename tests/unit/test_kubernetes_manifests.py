"""Specification of the checks of the collector tier's Kubernetes manifests (docs/kubernetes.md):
what ``tta-otel validate`` reports in ``kubernetes/tta-otel.yaml`` and the agent's overlay, where no
Kubernetes tool runs. Each test breaks one thing in a copy of the shipped files."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tta_otel.ops.stack.kubernetes_manifests import AGENT_OVERLAY, CONFIG_FILES, manifest_problems
from tta_otel.ops.stack.versions import read_versions

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The manifests, the overlay, versions.env and the ConfigMap's files, copied."""
    shutil.copytree(REPO / "kubernetes", tmp_path / "kubernetes")
    shutil.copy(REPO / "versions.env", tmp_path / "versions.env")
    (tmp_path / "collector-config").mkdir()
    for name, folder in CONFIG_FILES.items():
        if folder == "collector-config":
            shutil.copy(REPO / folder / name, tmp_path / folder / name)
    return tmp_path


def _edit(checkout: Path, name: str, change: Callable[[list[Any]], None]) -> Path:
    path = checkout / "kubernetes" / name
    documents = list(yaml.safe_load_all(path.read_text()))
    change(documents)
    path.write_text(yaml.safe_dump_all(documents, sort_keys=False))
    return checkout / "kubernetes" / "tta-otel.yaml"


def test_the_shipped_manifests_pass() -> None:
    assert manifest_problems(REPO / "kubernetes" / "tta-otel.yaml") == []


def test_an_image_other_than_the_pinned_collector_build_is_reported(checkout: Path) -> None:
    def replace(documents: list[Any]) -> None:
        (agent,) = [document for document in documents if document["kind"] == "DaemonSet"]
        agent["spec"]["template"]["spec"]["containers"][0]["image"] = "otel/otelcol:latest"

    version = read_versions(REPO / "versions.env")["OTELCOL_VERSION"]
    assert manifest_problems(_edit(checkout, "tta-otel.yaml", replace)) == [
        "DaemonSet otel-agent container otelcol: image 'otel/otelcol:latest', expected "
        f"tta-otel/otelcol-tta:{version} (versions.env)"
    ]


def test_a_config_file_the_configmap_does_not_hold_is_reported(checkout: Path) -> None:
    def add(documents: list[Any]) -> None:
        (gateway,) = [document for document in documents if document["kind"] == "StatefulSet"]
        gateway["spec"]["template"]["spec"]["containers"][0]["args"].append("--config=/etc/otelcol/extra.yaml")

    path = _edit(checkout, "tta-otel.yaml", add)
    assert manifest_problems(path) == [
        "StatefulSet otel-gateway container otelcol: --config=/etc/otelcol/extra.yaml is not a file of the "
        "tta-otel-collector ConfigMap"
    ]


def test_a_writable_root_filesystem_is_reported(checkout: Path) -> None:
    def loosen(documents: list[Any]) -> None:
        (gateway,) = [document for document in documents if document["kind"] == "StatefulSet"]
        gateway["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"] = False

    path = _edit(checkout, "tta-otel.yaml", loosen)
    assert manifest_problems(path) == [
        "StatefulSet otel-gateway container otelcol: needs readOnlyRootFilesystem: true and "
        "allowPrivilegeEscalation: false"
    ]


def test_a_resolver_naming_no_headless_service_is_reported(checkout: Path) -> None:
    def rename(documents: list[Any]) -> None:
        for exporter in documents[0]["exporters"].values():
            exporter["resolver"]["k8s"]["service"] = "otel-gateways.tta-otel"

    path = _edit(checkout, AGENT_OVERLAY, rename)
    assert manifest_problems(path) == [
        f"{AGENT_OVERLAY}: {name} resolves 'otel-gateways.tta-otel', which is no headless Service of the manifests"
        for name in ("load_balancing/by_trace", "load_balancing/by_service")
    ]


def test_an_overlay_that_keeps_the_static_list_is_reported(checkout: Path) -> None:
    def keep(documents: list[Any]) -> None:
        for exporter in documents[0]["exporters"].values():
            exporter["resolver"]["static"] = {"enabled": True}

    path = _edit(checkout, AGENT_OVERLAY, keep)
    assert len(manifest_problems(path)) == 2
    assert all("keeps agent.yaml's static list too" in problem for problem in manifest_problems(path))


def test_without_a_role_to_watch_endpointslices_the_agent_cannot_resolve(checkout: Path) -> None:
    path = _edit(
        checkout, "tta-otel.yaml", lambda docs: docs.__setitem__(slice(None), [d for d in docs if d["kind"] != "Role"])
    )
    assert manifest_problems(path) == ["no Role lets the agent list and watch endpointslices (its k8s resolver does)"]


def test_a_document_without_a_name_is_reported_not_a_crash(checkout: Path) -> None:
    def strip(documents: list[Any]) -> None:
        documents.append({"kind": "ConfigMap", "metadata": {"namespace": "tta-otel"}})

    (problem,) = manifest_problems(_edit(checkout, "tta-otel.yaml", strip))
    assert problem.startswith("a document without kind, metadata.name or metadata.namespace: ")


def test_the_queue_owner_init_container_is_held_to_the_pinned_image_too(checkout: Path) -> None:
    def replace(documents: list[Any]) -> None:
        (agent,) = [document for document in documents if document["kind"] == "DaemonSet"]
        agent["spec"]["template"]["spec"]["initContainers"][0]["image"] = "busybox"

    (problem,) = manifest_problems(_edit(checkout, "tta-otel.yaml", replace))
    assert problem.startswith("DaemonSet otel-agent container queue-owner: image 'busybox'")
