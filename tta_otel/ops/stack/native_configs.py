"""Copies of the committed Prometheus and Alertmanager configurations for the native stack.

Neither Prometheus nor Alertmanager expands environment variables in its configuration, so
the committed files are written for docker compose - secrets under ``/run/secrets/``,
the escalation service at its compose name - and the native runner gives each process a
copy with the secrets directory, loopback addresses and absolute paths put in. The copy
is made from the committed file at every start, so the file in git stays the one source.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

COMPOSE_SECRETS = PurePosixPath("/run/secrets")
"""Where docker compose puts the secrets (and where the committed files look for them)."""

COMPOSE_HOSTS: Mapping[str, str] = {
    "http://tta-otel-alerts:9095": "http://127.0.0.1:9095",
    "http://victoriametrics:8428": "http://127.0.0.1:8428",
}
"""Compose service URLs in the committed files, and their native (loopback) counterparts."""

# Keys whose values are paths relative to the configuration file (Prometheus resolves them
# from the file's own folder, which the copy does not share).
_RELATIVE_LISTS = ("rule_files", "files")


def _native_value(value: str, secrets: Path) -> str:
    prefix = f"{COMPOSE_SECRETS}/"
    if value.startswith(prefix):
        return str(secrets / value[len(prefix) :])
    for compose, native in COMPOSE_HOSTS.items():
        if value.startswith(compose):
            return native + value[len(compose) :]
    return value


def _walk(node: Any, change: Callable[[str, str | None], str], key: str | None = None) -> Any:
    if isinstance(node, dict):
        return {k: _walk(v, change, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_walk(item, change, key) for item in node]
    if isinstance(node, str):
        return change(node, key)
    return node


def native_copy(source: Path, folder: Path, secrets: Path) -> Path:
    """Write ``folder/<source name>``: ``source`` with compose's secret paths and service URLs
    made native and relative file lists made absolute; returns its path."""
    document = yaml.safe_load(source.read_text(encoding="utf-8"))

    def change(value: str, key: str | None) -> str:
        if key in _RELATIVE_LISTS and not value.startswith("/"):
            return str(source.parent.resolve() / value)
        return _native_value(value, secrets)

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    header = f"# A copy of {source} for the native stack, made at start: edit that file, not this one.\n"
    target.write_text(header + yaml.safe_dump(_walk(document, change), sort_keys=False), encoding="utf-8")
    return target


__all__ = ["COMPOSE_HOSTS", "COMPOSE_SECRETS", "native_copy"]
