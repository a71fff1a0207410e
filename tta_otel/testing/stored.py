"""Reading back what a service sent, from the trace store (Jaeger) and the log store (VictoriaLogs).

The tests and the demo ask one question of the stores: what did this service's telemetry
become once stored? Spans come back as Jaeger documents with their ``process`` (the resource:
service name, instance, component) inlined, so each span reads whole, and their ``traceID``
written with all 32 hex digits, as OTLP and the log store write it (Jaeger drops leading
zeros); log records come back as
VictoriaLogs documents (``_msg``, ``trace_id``, one field per attribute). ``stored_text`` joins
documents into one text and ``planted_in`` names the planted values found in it.

The stores are passed in: any object with the store client's methods will do
(``tta_otel.ops.stores.JaegerClient`` and ``VictoriaLogsClient``, or a fake in a unit test),
so these helpers never load the operator's side.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Protocol


class TraceStore(Protocol):
    """What is read from a trace store: Jaeger's query API (``JaegerClient``)."""

    def trace(self, trace_id: str) -> dict[str, Any] | None: ...

    def find(
        self, service: str, tags: Mapping[str, str], lookback: str = ..., limit: int = ...
    ) -> list[dict[str, Any]]: ...


class LogStore(Protocol):
    """What is read from a log store: VictoriaLogs's LogsQL API (``VictoriaLogsClient``)."""

    def query(self, logsql: str, limit: int = ...) -> list[dict[str, Any]]: ...


def _spans(trace: Mapping[str, Any], service: str | None = None) -> list[dict[str, Any]]:
    """The trace's spans (of ``service`` only, when given), each with its process inlined and its
    trace id in 32 hex digits."""
    processes = trace.get("processes") or {}
    spans = [
        {**span, "traceID": str(span["traceID"]).zfill(32), "process": processes.get(span.get("processID"), {})}
        for span in trace.get("spans") or []
    ]
    return [span for span in spans if service is None or span["process"].get("serviceName") == service]


def spans_of_trace(store: TraceStore, trace_id: str) -> list[dict[str, Any]]:
    """Every stored span of the trace, of every service; none while the store does not have it."""
    trace = store.trace(trace_id)
    return _spans(trace) if trace is not None else []


def spans_of_service(
    store: TraceStore,
    service: str,
    instance: str | None = None,
    tags: Mapping[str, str] | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """The stored spans of ``service`` (of its ``instance`` only, when given) in the last hour, from
    up to ``limit`` traces that have a span with every tag of ``tags`` (span or resource attribute:
    value); other services' spans in those traces are left out."""
    wanted = {**({"service.instance.id": instance} if instance is not None else {}), **(tags or {})}
    traces = store.find(service, wanted, lookback="1h", limit=limit)
    return [span for trace in traces for span in _spans(trace, service)]


def _equals(field: str, value: str) -> str:
    """A LogsQL exact-match filter; the value quoted as a JSON string, which LogsQL reads the same way."""
    return f"{field}:={json.dumps(value)}"


def log_records_of_service(
    store: LogStore, service: str, instance: str | None = None, limit: int = 10000
) -> list[dict[str, Any]]:
    """The stored log records of ``service`` (its ``service.name``; of its ``instance`` only, when
    given), up to ``limit``."""
    logsql = _equals("service.name", service)
    if instance is not None:
        logsql += " AND " + _equals("service.instance.id", instance)
    return store.query(logsql, limit=limit)


def log_records_of_trace(store: LogStore, trace_id: str, limit: int = 10000) -> list[dict[str, Any]]:
    """The stored log records written inside the trace (hex trace id), up to ``limit``."""
    return store.query(_equals("trace_id", trace_id), limit=limit)


def stored_text(documents: Iterable[Any]) -> str:
    """The documents as one JSON text, non-ASCII characters kept as they are (``\\u00e9`` would
    hide an accented planted name from a substring check)."""
    return json.dumps(list(documents), ensure_ascii=False, sort_keys=True)


def planted_in(text: str, planted: Mapping[str, str]) -> list[str]:
    """The names of the planted values found in ``text``, sorted: each looked for as it is and as
    JSON writes it inside a string (a quote, a backslash or a newline escaped)."""
    return sorted(
        name for name, value in planted.items() if value in text or json.dumps(value, ensure_ascii=False)[1:-1] in text
    )
