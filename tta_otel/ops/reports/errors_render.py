"""``tta-otel errors`` for people and for scripts: a table, one row per group and, under it, the
group's example log line with its trace id; or JSON, the groups as they are."""

from __future__ import annotations

import json
from dataclasses import asdict

from tta_otel.ops.reports.errors import ErrorGroup

_HEADER = f"{'fingerprint':16}  {'count':>6}  {'trend':>6}  {'last seen':32}  {'component':14}  type / trace"


def _state(group: ErrorGroup) -> str:
    state = " CRITICAL" if group.critical else ""
    if group.regressed:
        return state + " REGRESSED"
    return state + (" resolved" if group.resolved_at else "")


def _rows(group: ErrorGroup) -> list[str]:
    trend = "new" if group.trend is None else f"{group.trend:+.0%}"
    rows = [
        f"{group.fingerprint:16}  {group.count:>6}  {trend:>6}  {group.last_seen or '-':32}  "
        f"{group.component:14}  {group.error_type}{_state(group)}  trace {group.example_trace_id or '-'}"
    ]
    if group.example is not None:
        rows.append(f"{'':18}example: {group.example.line}  (trace {group.example.trace_id or '-'})")
    return rows


def to_table(groups: list[ErrorGroup]) -> str:
    """The groups as a table, or a sentence when there is none."""
    if not groups:
        return "no errors in the period"
    return "\n".join([_HEADER, *(row for group in groups for row in _rows(group))])


def to_json(groups: list[ErrorGroup]) -> str:
    """The groups as a JSON list; ``example`` is ``{"line", "trace_id", "time"}`` or null."""
    return json.dumps([{**asdict(group), "trend": group.trend} for group in groups], indent=2)
