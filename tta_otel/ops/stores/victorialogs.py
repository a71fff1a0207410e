"""VictoriaLogs's LogsQL API (the native log store).

VictoriaLogs flattens each OTLP log record into fields: the body is ``_msg``, the time
``_time``, the ids ``trace_id`` and ``span_id``, and every resource and record attribute keeps
its dotted name (``service.name``, ``tta.component``, ``tta.error.fingerprint``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from tta_otel import semconv
from tta_otel.ops.stores.http import StoreClient
from tta_otel.ops.stores.log_store import LogExample, one_line


def logsql_string(value: str) -> str:
    """A LogsQL string literal: JSON's escaping is the Go escaping LogsQL reads."""
    return json.dumps(value)


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def error_example_query(
    fingerprint: str, component: str, start: datetime, end: datetime, environment: str | None = None
) -> str:
    """The LogsQL of an error group's newest record: its time, body and trace id only."""
    filters = [
        f"_time:[{_moment(start)}, {_moment(end)}]",
        f"{semconv.TTA_ERROR_FINGERPRINT}:={logsql_string(fingerprint)}",
    ]
    if component:
        filters.append(f"{semconv.TTA_COMPONENT}:={logsql_string(component)}")
    if environment is not None:
        filters.append(f"{semconv.DEPLOYMENT_ENVIRONMENT_NAME}:={logsql_string(environment)}")
    return " ".join(filters) + " | sort by (_time desc) | limit 1 | fields _time, _msg, trace_id"


class VictoriaLogsClient(StoreClient):
    WHAT = "VictoriaLogs (TTA_VICTORIALOGS_URL, TTA_VICTORIALOGS_CREDENTIALS_FILE)"

    def query(self, logsql: str, limit: int = 100) -> list[dict[str, Any]]:
        """The log records that ``logsql`` selects, newest first, each a dict of its fields."""
        params: dict[str, str | int] = {"query": logsql, "limit": limit}
        response = self._get("/select/logsql/query", params)
        return [json.loads(line) for line in response.text.splitlines() if line.strip()]

    def example(
        self, fingerprint: str, component: str, start: datetime, end: datetime, environment: str | None = None
    ) -> LogExample | None:
        """The ``LogStore`` answer: the group's newest line, from ``_msg``, with its ``trace_id``."""
        records = self.query(error_example_query(fingerprint, component, start, end, environment), limit=1)
        if not records:
            return None
        record = records[0]
        return LogExample(one_line(str(record.get("_msg", ""))), record.get("trace_id") or None, record.get("_time"))

    def field_names(self, logsql: str = "*") -> list[str]:
        """The names of the fields of the records ``logsql`` selects (over all time)."""
        response = self._get("/select/logsql/field_names", {"query": logsql, "start": "0"})
        return sorted(str(entry["value"]) for entry in response.json().get("values", []))

    def count(self, logsql: str) -> int:
        """How many records ``logsql`` selects, over all time."""
        records = self.query(f"{logsql} | stats count() as records", limit=1)
        return int(records[0]["records"]) if records else 0

    def delete(self, logsql: str) -> str:
        """Start deleting every record ``logsql`` selects (needs ``-delete.enable``); the task's id."""
        return str(self._get("/delete/run_task", {"filter": logsql}).json()["task_id"])

    def delete_running(self, task_id: str) -> bool:
        """Whether the deletion task ``task_id`` is still running."""
        tasks = self._get("/delete/active_tasks", {}).json() or []
        return any(str(task.get("task_id")) == task_id for task in tasks)

    def ui_url(self, logsql: str) -> str:
        """The built-in web UI listing what ``logsql`` selects: a page a person can open."""
        return f"{self.url}/select/vmui/#/?query={quote(logsql)}"
