"""Series of the long-term tier written straight into VictoriaMetrics, for tests and benchmarks.

Prometheus writes the 5-minute series (prometheus/rules/long-term.yml) as it evaluates them, so
a month of them takes a month; a test that needs a month ago writes them with VictoriaMetrics's
import API (``/api/v1/import``, one JSON line per series) and makes them searchable at once
(``/internal/force_flush``), the same samples the remote write would have sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

FIVE_MINUTES = timedelta(minutes=5)


@dataclass(frozen=True)
class Series:
    """One series with a sample every 5 minutes from ``start``: ``values[i]`` at ``start + 5 min * i``."""

    name: str
    labels: Mapping[str, str]
    start: datetime
    values: tuple[float, ...]

    def timestamps_ms(self) -> list[int]:
        first = int(self.start.timestamp() * 1000)
        return [first + i * int(FIVE_MINUTES.total_seconds() * 1000) for i in range(len(self.values))]

    def json_line(self) -> str:
        """The series as one line of VictoriaMetrics's JSON import format."""
        metric = {"__name__": self.name, **self.labels}
        return json.dumps({"metric": metric, "values": list(self.values), "timestamps": self.timestamps_ms()})

    def openmetrics(self) -> list[str]:
        """The series as OpenMetrics sample lines (``promtool tsdb create-blocks-from openmetrics``)."""
        labels = ",".join(f"{key}={json.dumps(value)}" for key, value in sorted(self.labels.items()))
        return [
            f"{self.name}{{{labels}}} {value} {stamp / 1000:.3f}"
            for value, stamp in zip(self.values, self.timestamps_ms(), strict=True)
        ]


def import_series(url: str, auth: tuple[str, str] | None, series: Iterable[Series]) -> None:
    """Write ``series`` into VictoriaMetrics at ``url`` and make them searchable now."""
    body = "\n".join(item.json_line() for item in series) + "\n"
    with httpx.Client(base_url=url, auth=auth, timeout=120) as client:
        client.post("/api/v1/import", content=body.encode()).raise_for_status()
        client.get("/internal/force_flush").raise_for_status()
        client.get("/internal/resetRollupResultCache").raise_for_status()


__all__ = ["FIVE_MINUTES", "Series", "import_series"]
