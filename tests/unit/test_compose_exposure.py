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


def _secret_readers() -> dict[str, dict[str, Any]]:
    return {name: s for name, s in _services().items() if "secrets:/run/secrets:ro" in s.get("volumes", [])}


def test_grafana_takes_its_admin_password_from_the_secrets() -> None:
    environment = _services()["grafana"]["environment"]
    assert environment["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/run/secrets/grafana-admin-password"
    assert "GF_SECURITY_ADMIN_PASSWORD" not in environment


def test_the_host_secrets_dir_is_mounted_only_into_the_job_that_copies_it() -> None:
    mounting = [name for name, s in _services().items() if any("TTA_SECRETS_DIR" in v for v in s.get("volumes", []))]
    assert mounting == ["secrets"]


def test_every_service_that_reads_a_secret_waits_for_the_copy_and_joins_its_group() -> None:
    readers = _secret_readers()
    assert sorted(readers) == [
        "alertmanager",
        "grafana",
        "otel-collector",
        "prometheus",
        "tempo",
        "tta-otel-alerts",
        "victoriametrics",
    ]
    for name, service in readers.items():
        assert service["group_add"] == ["2000"], name
        assert service["depends_on"]["secrets"] == {"condition": "service_completed_successfully"}, name


def test_the_webhook_url_resolves_to_the_alerts_service() -> None:
    alertmanager = yaml.safe_load((REPO / "alertmanager" / "alertmanager.yml").read_text())
    (receiver,) = [r for r in alertmanager["receivers"] if r["name"] == "tta-otel-alerts"]
    url = receiver["webhook_configs"][0]["url"]
    alerts = _services()["tta-otel-alerts"]

    assert url == "http://tta-otel-alerts:9095/alerts"
    assert "--listen=0.0.0.0:9095" in alerts["command"]
    assert "--token-file=/run/secrets/alerts-webhook-token" in alerts["command"]
    assert receiver["webhook_configs"][0]["http_config"]["authorization"]["credentials_file"] == (
        "/run/secrets/alerts-webhook-token"
    )


def test_the_collector_reads_its_secrets_from_the_volume() -> None:
    assert _services()["otel-collector"]["environment"]["TTA_SECRETS_DIR"] == "/run/secrets"
