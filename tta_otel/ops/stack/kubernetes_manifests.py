"""Checks of ``kubernetes/tta-otel.yaml``, the collector tier's manifests (docs/kubernetes.md).

No Kubernetes tool runs here (no cluster, no schema registry to reach), so ``tta-otel validate``
checks what would otherwise fail only once applied: the image is the collector build of
``versions.env``; each ``--config`` names a file of the ConfigMap the docs make from the checkout;
every container (init containers too) runs locked down with a memory limit; and the agent's overlay resolves its
gateways through a headless Service that exists, with a Role that lets the agent watch it. The
overlay itself is checked by ``otelcol validate`` (``validation.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from tta_otel.ops.stack.versions import read_versions

NAMESPACE = "tta-otel"
IMAGE = "tta-otel/otelcol-tta"
AGENT_OVERLAY = "collector-agent.yaml"
CONFIG_FILES = {
    "otelcol.yaml": "collector-config",
    "privacy.yaml": "collector-config",
    "agent.yaml": "collector-config",
    "gateway.yaml": "collector-config",
    AGENT_OVERLAY: "kubernetes",
}
"""The files of the ``tta-otel-collector`` ConfigMap, and the checkout folder each comes from."""


def _pods(documents: list[Mapping[str, Any]]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for document in documents:
        template = document.get("spec", {}).get("template")
        if isinstance(template, Mapping):
            yield f"{document['kind']} {document['metadata']['name']}", template.get("spec", {})


def _container_problems(where: str, container: Mapping[str, Any], version: str) -> Iterator[str]:
    if container.get("image") != f"{IMAGE}:{version}":
        yield f"{where}: image {container.get('image')!r}, expected {IMAGE}:{version} (versions.env)"
    for argument in container.get("args", []):
        if argument.startswith("--config="):
            name = Path(argument.removeprefix("--config=")).name
            if name not in CONFIG_FILES:
                yield f"{where}: {argument} is not a file of the tta-otel-collector ConfigMap"
    security = container.get("securityContext", {})
    if security.get("readOnlyRootFilesystem") is not True or security.get("allowPrivilegeEscalation") is not False:
        yield f"{where}: needs readOnlyRootFilesystem: true and allowPrivilegeEscalation: false"
    if not container.get("resources", {}).get("limits", {}).get("memory"):
        yield f"{where}: no memory limit"


def _resolver_problems(documents: list[Mapping[str, Any]], overlay: Mapping[str, Any]) -> Iterator[str]:
    services = {
        (document["metadata"]["name"], document["metadata"].get("namespace")): document
        for document in documents
        if document.get("kind") == "Service"
    }
    for name, exporter in overlay.get("exporters", {}).items():
        if exporter.get("resolver", {}).get("static", {}).get("enabled") is not False:
            yield f"{AGENT_OVERLAY}: {name} keeps agent.yaml's static list too (one resolver: static enabled: false)"
        target = exporter.get("resolver", {}).get("k8s", {}).get("service", "")
        service_name, _, namespace = target.partition(".")
        service = services.get((service_name, namespace))
        if service is None or service["spec"].get("clusterIP") != "None":
            yield f"{AGENT_OVERLAY}: {name} resolves {target!r}, which is no headless Service of the manifests"
    rules = [rule for document in documents if document["kind"] == "Role" for rule in document.get("rules") or []]
    if not any(
        "endpointslices" in rule.get("resources", []) and {"list", "watch"} <= set(rule.get("verbs", []))
        for rule in rules
    ):
        yield "no Role lets the agent list and watch endpointslices (its k8s resolver does)"


def _named(document: Any) -> bool:
    metadata = document.get("metadata") if isinstance(document, Mapping) else None
    return isinstance(metadata, Mapping) and bool(
        document.get("kind") and metadata.get("name") and metadata.get("namespace")
    )


def manifest_problems(path: Path) -> list[str]:
    """What is wrong with the manifests at ``path`` (``kubernetes/tta-otel.yaml`` of a checkout)."""
    checkout = path.parent.parent
    try:
        documents = [document for document in yaml.safe_load_all(path.read_text()) if document]
        overlay = yaml.safe_load((path.parent / AGENT_OVERLAY).read_text())
        version = read_versions(checkout / "versions.env")["OTELCOL_VERSION"]
    except (OSError, yaml.YAMLError, KeyError, ValueError) as error:
        return [str(error)]
    malformed = [document for document in documents if not _named(document)]
    if malformed:
        return [
            f"a document without kind, metadata.name or metadata.namespace: {document!r:.80}" for document in malformed
        ]
    problems = [
        f"{document['kind']} {document['metadata']['name']}: not in namespace {NAMESPACE}"
        for document in documents
        if document["metadata"]["namespace"] != NAMESPACE
    ]
    for where, pod in _pods(documents):
        if pod.get("securityContext", {}).get("runAsNonRoot") is not True:
            problems.append(f"{where}: the pod must run as non-root")
        for container in [*pod.get("initContainers", []), *pod.get("containers", [])]:
            problems += _container_problems(f"{where} container {container.get('name')}", container, version)
    problems += [
        f"{name} of the ConfigMap is not in the checkout ({folder}/{name})"
        for name, folder in CONFIG_FILES.items()
        if not (checkout / folder / name).exists()
    ]
    problems += _resolver_problems(documents, overlay)
    return problems


__all__ = ["AGENT_OVERLAY", "CONFIG_FILES", "IMAGE", "NAMESPACE", "manifest_problems"]
