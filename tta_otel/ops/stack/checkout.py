"""Finds the tta-otel checkout whose configuration files a command works on."""

from __future__ import annotations

from pathlib import Path

from tta_otel.ops.stack.runner import StackError


def find_checkout(start: Path | None = None) -> Path:
    """The nearest folder, from ``start`` (default: the working directory) up, with versions.env."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "versions.env").is_file() and (folder / "collector-config").is_dir():
            return folder
    raise StackError(f"no tta-otel checkout (a folder with versions.env and collector-config/) at or above {here}")
