"""Jaeger's query API (the native trace store): a trace by id, and traces by service and tags."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tta_otel.ops.stores.http import StoreClient


class JaegerClient(StoreClient):
    WHAT = "Jaeger (TTA_JAEGER_URL, TTA_JAEGER_CREDENTIALS_FILE)"

    def trace(self, trace_id: str) -> dict[str, Any] | None:
        """The trace (``traceID``, ``spans``, ``processes``), or None while Jaeger does not have it
        (it answers 404: "trace not found")."""
        response = self._get_if_found(f"/api/traces/{trace_id}", {})
        if response is None:
            return None
        data = response.json().get("data") or []
        return dict(data[0]) if data else None

    def find(
        self, service: str, tags: Mapping[str, str], lookback: str = "1h", limit: int = 20
    ) -> list[dict[str, Any]]:
        """The traces of ``service`` with a span carrying every tag of ``tags`` (attribute: value)."""
        params: dict[str, str | int] = {
            "service": service,
            "tags": json.dumps(dict(tags)),
            "lookback": lookback,
            "limit": limit,
        }
        response = self._get("/api/traces", params)
        return list(response.json().get("data") or [])

    def trace_url(self, trace_id: str) -> str:
        """The API address that returns the trace: a page a person can open (with the credentials)."""
        return f"{self.url}/api/traces/{trace_id}"
