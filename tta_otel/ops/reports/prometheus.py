"""A minimal client of the Prometheus HTTP API: instant queries and exemplars, nothing else.

The reports need a handful of ``increase()`` sums; the standard library's ``urllib`` does
that without adding a dependency to the CLI.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from tta_otel.ops.client_credentials import basic_authorization
from tta_otel.ops.reports import sources
from tta_otel.semconv import DEPLOYMENT_ENVIRONMENT_NAME, prometheus_label

ENVIRONMENT: Final = prometheus_label(DEPLOYMENT_ENVIRONMENT_NAME)
"""``deployment_environment_name``: the resource attribute Prometheus promotes to a label of every series."""


def environment_matcher(environment: str) -> str:
    """``deployment_environment_name="..."``, quoted as PromQL (JSON's escaping) so any name is safe."""
    return f"{ENVIRONMENT}={json.dumps(environment)}"


class PrometheusError(RuntimeError):
    """Prometheus could not be reached or refused the query; the message says which and why."""


@dataclass(frozen=True)
class Sample:
    labels: dict[str, str]
    value: float


class PrometheusClient:
    def __init__(self, url: str, timeout_s: float = 30.0, credentials: tuple[str, str] | None = None) -> None:
        """``credentials``: ``(user, password)`` for Prometheus's basic auth, or None to ask without."""
        self.url = url.rstrip("/")
        self._timeout_s = timeout_s
        self._headers = {}
        if credentials is not None:
            self._headers["Authorization"] = basic_authorization(*credentials)

    def _get(self, endpoint: str, parameters: dict[str, str]) -> Any:
        query = urllib.parse.urlencode(parameters)
        request = urllib.request.Request(f"{self.url}{endpoint}?{query}", headers=self._headers)
        try:
            with urllib.request.urlopen(request, timeout=self._timeout_s) as response:
                return json.load(response)["data"]
        except urllib.error.HTTPError as exc:
            refused = parameters.get("query", endpoint)
            if exc.code == 401:
                raise PrometheusError(
                    f"Prometheus at {self.url} asks for credentials: set TTA_PROMETHEUS_CREDENTIALS_FILE "
                    '(`eval "$(tta-otel stack env)"`) or pass --prometheus-credentials-file'
                ) from exc
            detail = exc.read().decode(errors="replace")
            raise PrometheusError(f"Prometheus at {self.url} refused {refused!r}: {detail}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise PrometheusError(f"Prometheus at {self.url} cannot be reached: {exc}") from exc

    def query(self, promql: str, at: datetime) -> list[Sample]:
        """The instant vector of ``promql`` evaluated at ``at``."""
        result = self._get("/api/v1/query", {"query": promql, "time": f"{at.timestamp():.3f}"})["result"]
        return [Sample(dict(item["metric"]), float(item["value"][1])) for item in result]

    def raw_samples(
        self, selector: str, seconds: int, at: datetime
    ) -> list[tuple[dict[str, str], list[tuple[float, float]]]]:
        """Every stored sample of the series ``selector`` selects in the ``seconds`` before ``at``."""
        result = self._get("/api/v1/query", {"query": f"{selector}[{seconds}s]", "time": f"{at.timestamp():.3f}"})
        return [(dict(item["metric"]), [(float(t), float(v)) for t, v in item["values"]]) for item in result["result"]]

    def scalar(self, promql: str, at: datetime) -> float | None:
        """The single value of a query that sums to one series; None when there is no data."""
        samples = self.query(promql, at)
        return samples[0].value if samples else None

    def snapshot(self) -> str:
        """Ask for a snapshot of the TSDB (``--web.enable-admin-api``); its directory name under
        ``<data>/snapshots``."""
        request = urllib.request.Request(
            f"{self.url}/api/v1/admin/tsdb/snapshot", method="POST", headers=self._headers, data=b""
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout_s) as response:
                return str(json.load(response)["data"]["name"])
        except (urllib.error.URLError, OSError) as exc:
            raise PrometheusError(f"Prometheus at {self.url} made no snapshot: {exc}") from exc

    def retention(self) -> str:
        """How long Prometheus keeps samples, as it says (``storageRetention``: ``15d``, ``15d or 10GiB``)."""
        return str(self._get("/api/v1/status/runtimeinfo", {})["storageRetention"])

    def label_values(self) -> dict[str, list[str]]:
        """Every label name with every value it has in the head block and on disk."""
        names = [str(name) for name in self._get("/api/v1/labels", {})]
        return {name: [str(value) for value in self._get(f"/api/v1/label/{name}/values", {})] for name in names}

    def exemplars(self, selector: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Exemplars of the series ``selector`` selects (Prometheus needs ``--enable-feature=exemplar-storage``)."""
        parameters = {"query": selector, "start": f"{start.timestamp():.3f}", "end": f"{end.timestamp():.3f}"}
        return list(self._get("/api/v1/query_exemplars", parameters) or [])


class PeriodQueries:
    """PromQL over one report period that ends at ``end``, scoped to one environment (or all), asked
    of Prometheus or of the long-term tier (``source``, sources.py: the same increases either way)."""

    def __init__(
        self,
        client: PrometheusClient,
        period: timedelta,
        end: datetime,
        environment: str | None,
        source: str = sources.PROMETHEUS,
    ) -> None:
        self._client = client
        self._range = f"{int(period.total_seconds())}s"
        self._end = end
        self._scope = environment_matcher(environment) if environment else ""
        self._source = source

    def _increase(self, metric: str, *matchers: str) -> str:
        """The period's increase of ``metric`` in this environment, from this source."""
        return sources.period_increase(
            metric, ", ".join(m for m in (self._scope, *matchers) if m), self._range, self._source
        )
