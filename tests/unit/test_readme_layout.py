"""Specification: the README's layout table matches the tree of ``tta_otel/``."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _layout_rows() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    table = text[text.index("## Layout") : text.index("## Development")]
    return [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]


def _named_paths() -> set[str]:
    """Every path a row names; ``a/b.py``, ``c.py`` in one cell share the first one's folder."""
    named: set[str] = set()
    for cell in _layout_rows():
        folder = ""
        for quoted in re.findall(r"`([^`]+)`", cell):
            path = quoted.split(" ")[0].rstrip("/")
            if "/" in path:
                folder = path.rsplit("/", 1)[0]
            elif folder:
                path = f"{folder}/{path}"
            named.add(path)
    return named


def test_every_path_the_table_names_exists() -> None:
    missing = sorted(path for path in _named_paths() if not (REPO / path).exists())
    assert missing == []


def test_every_module_and_package_of_tta_otel_has_a_row() -> None:
    entries = {
        f"tta_otel/{entry.name}"
        for entry in (REPO / "tta_otel").iterdir()
        if (entry.is_dir() and (entry / "__init__.py").exists()) or (entry.suffix == ".py" and entry.stem != "__init__")
    }
    entries |= {f"tta_otel/ops/{entry.name}" for entry in (REPO / "tta_otel" / "ops").iterdir() if entry.is_dir()}
    entries -= {"tta_otel/ops"} | {path for path in entries if path.endswith("__pycache__")}
    assert sorted(entries - _named_paths()) == []
