"""A minimal client of the Prometheus HTTP API: instant queries, nothing else.

The reports need a handful of ``increase()`` sums; the standard library's ``urllib`` does
that without adding a dependency to the CLI.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime


class PrometheusError(RuntimeError):
    """Prometheus could not be reached or refused the query; the message says which and why."""


@dataclass(frozen=True)
class Sample:
    labels: dict[str, str]
    value: float


class PrometheusClient:
    def __init__(self, url: str, timeout_s: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self._timeout_s = timeout_s

    def query(self, promql: str, at: datetime) -> list[Sample]:
        """The instant vector of ``promql`` evaluated at ``at``."""
        parameters = urllib.parse.urlencode({"query": promql, "time": f"{at.timestamp():.3f}"})
        try:
            with urllib.request.urlopen(f"{self.url}/api/v1/query?{parameters}", timeout=self._timeout_s) as response:
                body = json.load(response)
        except urllib.error.HTTPError as exc:
            raise PrometheusError(
                f"Prometheus at {self.url} refused {promql!r}: {exc.read().decode(errors='replace')}"
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise PrometheusError(f"Prometheus at {self.url} cannot be reached: {exc}") from exc
        result = body["data"]["result"]
        return [Sample(dict(item["metric"]), float(item["value"][1])) for item in result]

    def scalar(self, promql: str, at: datetime) -> float | None:
        """The single value of a query that sums to one series; None when there is no data."""
        samples = self.query(promql, at)
        return samples[0].value if samples else None
