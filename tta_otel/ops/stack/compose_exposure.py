"""What a compose file exposes, checked against the stack's rules (docs/security.md).

A published port must name the address it binds to - ``${TTA_BIND_ADDRESS:-127.0.0.1}`` or
another explicit one, never all interfaces (Docker's default when a mapping names no
address) - and Grafana must neither let anonymous viewers in nor keep its default admin
password. ``tta-otel validate`` reports each breach with the service it is in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_ALL_INTERFACES = {"", "0.0.0.0", "::", "[::]"}
_TRUE = {"true", "1", "yes", "on"}


def _host_address(mapping: Any) -> str | None:
    """The host address a port mapping binds to ("" for none), or None for a mapping that publishes nothing."""
    if isinstance(mapping, dict):
        return str(mapping.get("host_ip", "")) if "published" in mapping else None
    text = str(mapping)
    parts = text.rsplit(":", 2)
    if len(parts) < 3:
        return "" if len(parts) == 2 else None  # "8080:80" binds everywhere; "80" publishes a random port
    return parts[0]


def _port_errors(name: str, service: dict[str, Any]) -> list[str]:
    errors = []
    for mapping in service.get("ports", []) or []:
        address = _host_address(mapping)
        if address is not None and address in _ALL_INTERFACES:
            errors.append(
                f"{name}: port {mapping!r} is published on all interfaces; bind it to ${{TTA_BIND_ADDRESS:-127.0.0.1}}"
            )
    return errors


def _environment(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        pairs = (item.partition("=") for item in environment)
        return {key: value for key, _, value in pairs}
    return {str(key): str(value) for key, value in environment.items()}


def _grafana_errors(name: str, service: dict[str, Any]) -> list[str]:
    if "grafana/grafana" not in str(service.get("image", "")):
        return []
    environment = _environment(service)
    errors = []
    if environment.get("GF_AUTH_ANONYMOUS_ENABLED", "false").lower() in _TRUE:
        errors.append(f"{name}: anonymous access is enabled (GF_AUTH_ANONYMOUS_ENABLED); set it to false")
    if not environment.get("GF_SECURITY_ADMIN_PASSWORD__FILE") and not environment.get("GF_SECURITY_ADMIN_PASSWORD"):
        errors.append(
            f"{name}: the admin keeps Grafana's default password; set GF_SECURITY_ADMIN_PASSWORD__FILE "
            "to /run/secrets/grafana-admin-password"
        )
    return errors


def exposure_errors(path: Path) -> list[str]:
    """Every breach of the exposure rules in the compose file at ``path``."""
    services = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("services") or {}
    errors: list[str] = []
    for name, service in services.items():
        errors += _port_errors(name, service or {})
        errors += _grafana_errors(name, service or {})
    return errors


__all__ = ["exposure_errors"]
