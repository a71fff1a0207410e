"""The counts a native stack was last started with (gateways, log storage nodes), one small file
each in its state directory, so that ``status``, ``down`` and the supervisor see the components
that ``up`` started, whatever flags they are called with."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def read_count(state_dir: Path, record: str, check: Callable[[int], int]) -> int:
    """The count in ``state_dir/record``, passed through ``check``; 0 when there is none (or a
    count that ``check`` refuses: the file was edited by hand)."""
    try:
        return check(int((state_dir / record).read_text()))
    except (OSError, ValueError):
        return 0


def write_count(state_dir: Path, record: str, count: int) -> None:
    """Record ``count`` at once (a reader never sees half of it)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    staging = state_dir / f"{record}.new"
    staging.write_text(str(count))
    staging.replace(state_dir / record)


__all__ = ["read_count", "write_count"]
