"""Jaeger's query API (the native trace store): a trace by id, and traces by service and tags."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tta_otel.ops.stores.http import get

_WHAT = "Jaeger (TTA_JAEGER_URL, TTA_JAEGER_CREDENTIALS_FILE)"


class JaegerClient:
    def __init__(self, url: str, credentials: tuple[str, str] | None = None, timeout_s: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._credentials = credentials
        self._timeout_s = timeout_s

    def trace(self, trace_id: str) -> dict[str, Any] | None:
        """The trace (``traceID``, ``spans``, ``processes``), or None while Jaeger does not have it."""
        response = get(f"{self.url}/api/traces/{trace_id}", {}, self._credentials, _WHAT, self._timeout_s)
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
        response = get(f"{self.url}/api/traces", params, self._credentials, _WHAT, self._timeout_s)
        return list(response.json().get("data") or [])

    def trace_url(self, trace_id: str) -> str:
        """The API address that returns the trace: a page a person can open (with the credentials)."""
        return f"{self.url}/api/traces/{trace_id}"
