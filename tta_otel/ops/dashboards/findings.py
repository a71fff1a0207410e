"""What the dashboard checks share: a problem found, and Grafana's variables in a query with the
sample values they take before the query is parsed (``lint`` for PromQL, ``query_syntax`` for
LogQL and TraceQL)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

SAMPLE_VALUES: Final = {
    "__rate_interval": "1m",
    "__interval": "1m",
    "__auto": "1m",
    "__interval_ms": "60000",
    "__range": "1h",
    "__range_s": "3600",
    "__range_ms": "3600000",
}
"""What Grafana's own variables become before a query is parsed; any other variable becomes ``x``."""
VARIABLE = re.compile(r"\$\{(\w+)(?:[.:][^}]*)?\}|\$(\w+)|\[\[(\w+)(?::\w+)?\]\]")


@dataclass(frozen=True)
class Problem:
    dashboard: str
    where: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.dashboard}: {self.where}: {self.message} [{self.rule}]"


def expand(expr: str, values: Mapping[str, str] = SAMPLE_VALUES, default: str = "x") -> str:
    """``expr`` with every Grafana variable replaced by its value in ``values`` (else ``default``)."""

    def value(match: re.Match[str]) -> str:
        name = next(group for group in match.groups() if group)
        return values.get(name, default)

    return VARIABLE.sub(value, expr)


def variable_names(text: str) -> set[str]:
    return {next(group for group in match.groups() if group) for match in VARIABLE.finditer(text)}


__all__ = ["SAMPLE_VALUES", "VARIABLE", "Problem", "expand", "variable_names"]
