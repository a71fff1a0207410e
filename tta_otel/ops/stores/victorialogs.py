"""VictoriaLogs's LogsQL API (the native log store)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from tta_otel.ops.stores.http import StoreClient


class VictoriaLogsClient(StoreClient):
    WHAT = "VictoriaLogs (TTA_VICTORIALOGS_URL, TTA_VICTORIALOGS_CREDENTIALS_FILE)"

    def query(self, logsql: str, limit: int = 100) -> list[dict[str, Any]]:
        """The log records that ``logsql`` selects, newest first, each a dict of its fields."""
        params: dict[str, str | int] = {"query": logsql, "limit": limit}
        response = self._get("/select/logsql/query", params)
        return [json.loads(line) for line in response.text.splitlines() if line.strip()]

    def ui_url(self, logsql: str) -> str:
        """The built-in web UI listing what ``logsql`` selects: a page a person can open."""
        return f"{self.url}/select/vmui/#/?query={quote(logsql)}"
