"""VictoriaLogs's LogsQL API (the native log store)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from tta_otel.ops.stores.http import get

_WHAT = "VictoriaLogs (TTA_VICTORIALOGS_URL, TTA_VICTORIALOGS_CREDENTIALS_FILE)"


class VictoriaLogsClient:
    def __init__(self, url: str, credentials: tuple[str, str] | None = None, timeout_s: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._credentials = credentials
        self._timeout_s = timeout_s

    def query(self, logsql: str, limit: int = 100) -> list[dict[str, Any]]:
        """The log records that ``logsql`` selects, newest first, each a dict of its fields."""
        params: dict[str, str | int] = {"query": logsql, "limit": limit}
        response = get(f"{self.url}/select/logsql/query", params, self._credentials, _WHAT, self._timeout_s)
        return [json.loads(line) for line in response.text.splitlines() if line.strip()]

    def ui_url(self, logsql: str) -> str:
        """The built-in web UI listing what ``logsql`` selects: a page a person can open."""
        return f"{self.url}/select/vmui/#/?query={quote(logsql)}"
