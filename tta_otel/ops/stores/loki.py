"""Loki's LogQL API: the log store of the docker compose stack only.

Loki is licensed under the AGPL and cannot be built on this project's machines, so it runs
only under docker compose (docs/stack.md); this client is exercised there, and its unit tests
check its requests and its parsing against responses of the documented shape. Compose runs
Loki multi-tenant: every request names its tenant in ``X-Scope-OrgID``, one per TTA repository
(``tta.dev``, ``tta.prototype``, ``tta.prod``; ``unassigned`` for records of none), as the
collector's ``collector-config/compose.yaml`` writes them. Loki's OTLP ingestion turns the dots
of attribute names into underscores: ``tta.component`` and ``deployment.environment.name`` are
stream labels (``loki/loki.yaml``), ``tta.error.fingerprint`` and ``trace_id`` structured
metadata, which a query's result carries among each stream's labels.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tta_otel import semconv
from tta_otel.ops.stores.http import StoreClient
from tta_otel.ops.stores.log_store import LogExample, one_line

DEFAULT_TENANT = "tta.prod"
"""The tenant Grafana's default Loki datasource reads (grafana-dashboards/provisioning)."""


def _label(attribute: str) -> str:
    """The label or structured-metadata name Loki's OTLP ingestion gives an attribute."""
    return attribute.replace(".", "_")


def error_example_query(fingerprint: str, component: str, environment: str | None = None) -> str:
    """The LogQL of an error group's records: a stream selector on the indexed resource labels
    (any stream when neither is known), then the fingerprint as a structured-metadata filter."""
    matchers = []
    if component:
        matchers.append(f"{_label(semconv.TTA_COMPONENT)}={json.dumps(component)}")
    if environment is not None:
        matchers.append(f"{_label(semconv.DEPLOYMENT_ENVIRONMENT_NAME)}={json.dumps(environment)}")
    selector = ", ".join(matchers) or f'{_label(semconv.SERVICE_NAME)}=~".+"'
    return f"{{{selector}}} | {_label(semconv.TTA_ERROR_FINGERPRINT)}={json.dumps(fingerprint)}"


def _nanoseconds(moment: datetime) -> int:
    return round(moment.timestamp() * 1_000_000_000)


def newest_line(data: dict[str, Any]) -> LogExample | None:
    """The newest entry of a ``query_range`` streams result, with the ``trace_id`` of its labels."""
    entries = [
        (int(value[0]), str(value[1]), stream.get("stream", {}))
        for stream in data.get("result", [])
        for value in stream.get("values", [])
    ]
    if not entries:
        return None
    nanoseconds, line, labels = max(entries, key=lambda entry: entry[0])
    moment = datetime.fromtimestamp(nanoseconds / 1e9, UTC).isoformat()
    return LogExample(one_line(line), labels.get("trace_id") or None, moment)


class LokiClient(StoreClient):
    """Loki's query API as ``tenant`` sees it; Loki has no authentication of its own (compose
    publishes no port for it), ``credentials`` are for a proxy in front of it."""

    WHAT = "Loki (TTA_LOKI_URL, TTA_LOKI_TENANT)"

    def __init__(
        self,
        url: str,
        tenant: str = DEFAULT_TENANT,
        credentials: tuple[str, str] | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        super().__init__(url, credentials, timeout_s)
        self.tenant = tenant

    def query_range(self, logql: str, start: datetime, end: datetime, limit: int = 100) -> dict[str, Any]:
        """The ``data`` of ``/loki/api/v1/query_range``: newest entries first (``direction=backward``)."""
        params: dict[str, str | int] = {
            "query": logql,
            "start": _nanoseconds(start),
            "end": _nanoseconds(end),
            "limit": limit,
            "direction": "backward",
        }
        response = self._get("/loki/api/v1/query_range", params, headers={"X-Scope-OrgID": self.tenant})
        return dict(response.json().get("data") or {})

    def example(
        self, fingerprint: str, component: str, start: datetime, end: datetime, environment: str | None = None
    ) -> LogExample | None:
        """The ``LogStore`` answer: the group's newest line, with the ``trace_id`` of its metadata."""
        return newest_line(self.query_range(error_example_query(fingerprint, component, environment), start, end, 1))
