"""One example log line of an error group, from whichever log store the stack has.

``tta-otel errors`` counts error groups from Prometheus; a person deciding what to fix next
also wants to read one of the group's lines and open its trace. The log store differs by
deployment - VictoriaLogs natively, Loki (one tenant per repository) under docker compose - so
the report asks a ``LogStore`` and each store's client answers it with its own query language.
The lines come from the store, i.e. after the exporters' and the collector's redaction; the
report prints nothing else of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

EXAMPLE_WIDTH = 120
"""An example is a hint to open the trace, not the record: one table row's worth of it."""


@dataclass(frozen=True)
class LogExample:
    """The newest log line of an error group: its text on one line, its trace id and time."""

    line: str
    trace_id: str | None
    time: str | None


class LogStore(Protocol):
    """A log store that can show one line of an error group (``VictoriaLogsClient``, ``LokiClient``)."""

    def example(
        self, fingerprint: str, component: str, start: datetime, end: datetime, environment: str | None = None
    ) -> LogExample | None:
        """The newest record with ``tta.error.fingerprint`` = ``fingerprint`` of ``component``
        (any when empty) and ``environment`` (any when None) between ``start`` and ``end``; None
        when the store has none. Raises ``StoreError`` when the store cannot answer."""
        ...


def one_line(text: str, width: int = EXAMPLE_WIDTH) -> str:
    """``text`` with its whitespace runs (newlines of a stack trace too) as single spaces, cut to
    ``width``; other control characters become ``?``, so a line cannot drive the terminal it is
    printed on."""
    flat = "".join(c if c.isprintable() else "?" for c in " ".join(text.split()))
    return flat if len(flat) <= width else flat[: width - 1] + "…"
