"""Specification: what docker-compose.yml exposes to the network (see docs/security.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIND = "${TTA_BIND_ADDRESS:-127.0.0.1}"


def _services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    return services


@pytest.mark.parametrize("name", sorted(_services()))
def test_every_published_port_is_bound_to_the_bind_address(name: str) -> None:
    mappings = [str(mapping) for mapping in _services()[name].get("ports", [])]
    assert [mapping for mapping in mappings if not mapping.startswith(f"{BIND}:")] == []


def test_only_grafana_and_the_otlp_receivers_publish_ports() -> None:
    published = {name: service["ports"] for name, service in _services().items() if service.get("ports")}
    assert published == {
        "otel-collector": [f"{BIND}:4317:4317", f"{BIND}:4318:4318"],
        "grafana": [f"{BIND}:3000:3000"],
    }


def test_grafana_has_no_anonymous_access_and_no_sign_up() -> None:
    environment = _services()["grafana"]["environment"]
    assert (environment["GF_AUTH_ANONYMOUS_ENABLED"], environment["GF_USERS_ALLOW_SIGN_UP"]) == ("false", "false")
