"""The exposure rules `tta-otel validate` applies to a compose file, on small compose files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tta_otel.ops.stack.compose_exposure import exposure_errors

REPO = Path(__file__).resolve().parents[2]
GRAFANA = "    image: grafana/grafana:12\n    environment:\n      GF_SECURITY_ADMIN_PASSWORD__FILE: /run/secrets/p\n"


def _errors(tmp_path: Path, services: str) -> list[str]:
    path = tmp_path / "docker-compose.yml"
    path.write_text("services:\n" + services)
    return exposure_errors(path)


def test_the_shipped_compose_file_breaks_no_rule() -> None:
    assert exposure_errors(REPO / "docker-compose.yml") == []


@pytest.mark.parametrize(
    "mapping", ['"8080:80"', '"0.0.0.0:8080:80"', '"[::]:8080:80"', "{target: 80, published: 8080}"]
)
def test_a_port_on_all_interfaces_is_an_error(tmp_path: Path, mapping: str) -> None:
    errors = _errors(tmp_path, f"  web:\n    image: nginx\n    ports:\n      - {mapping}\n")
    assert len(errors) == 1
    assert errors[0].startswith("web: port ") and "is published on all interfaces" in errors[0]


@pytest.mark.parametrize(
    "mapping",
    [
        '"127.0.0.1:8080:80"',
        '"${TTA_BIND_ADDRESS:-127.0.0.1}:8080:80"',
        '"80"',
        "{target: 80, host_ip: 10.0.0.5, published: 8080}",
    ],
)
def test_a_port_bound_to_an_address_or_not_published_is_fine(tmp_path: Path, mapping: str) -> None:
    assert _errors(tmp_path, f"  web:\n    image: nginx\n    ports:\n      - {mapping}\n") == []


def test_anonymous_grafana_is_an_error(tmp_path: Path) -> None:
    errors = _errors(tmp_path, "  grafana:\n" + GRAFANA + '      GF_AUTH_ANONYMOUS_ENABLED: "true"\n')
    assert errors == ["grafana: anonymous access is enabled (GF_AUTH_ANONYMOUS_ENABLED); set it to false"]


def test_grafana_with_its_default_password_is_an_error(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path, "  grafana:\n    image: grafana/grafana:12\n    environment: [GF_USERS_ALLOW_SIGN_UP=false]\n"
    )
    assert errors == [
        "grafana: the admin keeps Grafana's default password; set GF_SECURITY_ADMIN_PASSWORD__FILE "
        "to /run/secrets/grafana-admin-password"
    ]
