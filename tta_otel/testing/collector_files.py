"""Reading the collector's file exporters (``logs.jsonl``, ``traces.jsonl``) while it writes them.

The collector appends one OTLP/JSON document per line; a reader that polls the file can catch
the last line half-written. Only complete lines are returned, so the next poll sees it whole.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def complete_lines(path: Path, marker: str = "") -> list[str]:
    """The file's complete lines that contain ``marker``; none when the file does not exist yet."""
    if not path.exists():
        return []
    text = path.read_text()
    lines = text.splitlines() if text.endswith("\n") else text.splitlines()[:-1]
    return [line for line in lines if marker in line]


def documents(path: Path, marker: str = "") -> list[dict[str, Any]]:
    """The complete lines that contain ``marker``, parsed."""
    return [json.loads(line) for line in complete_lines(path, marker)]
