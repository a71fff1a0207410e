"""The replicated parts of the native stack (gateways, log storage nodes): how many the stack can
run, and the count the last ``up`` used, one small file each in the state directory, so that
``status``, ``down`` and the supervisor see the components that ``up`` started, whatever flags
they are called with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class TopologyError(ValueError):
    """A count or member the stack cannot run; the message says which ones it can."""


@dataclass(frozen=True)
class Scale:
    """One replicated part: ``stack up``'s ``option`` takes 0 (``single``) or ``minimum`` to
    ``maximum``; the count is recorded in the state directory under the option's name."""

    option: str  # "--gateways"
    single: str  # what 0 runs, for the option's error: "one collector"
    alone: str  # the same, for "runs as ...": "one collector"
    many: str  # "an agent with {count} gateways"
    minimum: int
    maximum: int

    def check(self, count: int) -> int:
        """``count`` when the stack can run it, else a TopologyError."""
        if count == 0 or self.minimum <= count <= self.maximum:
            return count
        raise TopologyError(f"{self.option} takes 0 ({self.single}) or {self.minimum} to {self.maximum}, not {count}")

    def describe(self, count: int) -> str:
        return f"as {self.many.format(count=count) if count else self.alone}"

    def recorded(self, state_dir: Path) -> int:
        """The count the stack of ``state_dir`` was last started with; 0 when there is none (or a
        count it cannot run: the file was edited by hand)."""
        try:
            return self.check(int((state_dir / self._record).read_text()))
        except (OSError, ValueError):
            return 0

    def record(self, state_dir: Path, count: int) -> None:
        """Record ``count`` at once (a reader never sees half of it)."""
        state_dir.mkdir(parents=True, exist_ok=True)
        staging = state_dir / f"{self._record}.new"
        staging.write_text(str(self.check(count)))
        staging.replace(state_dir / self._record)

    @property
    def _record(self) -> str:
        return self.option.removeprefix("--")


__all__ = ["Scale", "TopologyError"]
