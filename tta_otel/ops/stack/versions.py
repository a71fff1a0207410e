"""Reads ``versions.env``, the single file that pins every component of the stack."""

from __future__ import annotations

from pathlib import Path


def read_versions(path: Path) -> dict[str, str]:
    """``NAME=value`` lines; blank lines and ``#`` comments are ignored."""
    versions: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or not name or not value:
            raise ValueError(f"{path}:{number}: expected NAME=value, got {raw!r}")
        versions[name.strip()] = value.strip()
    return versions
