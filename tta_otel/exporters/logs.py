"""A log record exporter that redacts bodies and attributes before export."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterator, Sequence

from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult

from tta_otel.exporters._shared import (
    DropCounter,
    RedactorSource,
    ResourceRedactor,
    active_redactor,
    send_counted,
)
from tta_otel.privacy import Redactor
from tta_otel.privacy.redactor import iter_strings

# The logging instrumentation copies the trace context into each Python record for the
# service's own log format; in OTLP the ids are record fields already.
_CONTEXT_COPIES = frozenset({"otelTraceID", "otelSpanID", "otelTraceSampled", "otelServiceName"})


class RedactingLogRecordExporter(LogRecordExporter):
    """Applies the privacy policy to each record's body (strings, maps, lists), attributes and resource."""

    def __init__(self, exporter: LogRecordExporter, redactor: RedactorSource = active_redactor) -> None:
        self.exporter = exporter
        self._redactor = redactor
        self._resources = ResourceRedactor()
        self.drops = DropCounter("logs")

    @staticmethod
    def _strings(batch: Sequence[ReadableLogRecord]) -> Iterator[str]:
        for record in batch:
            yield from iter_strings(record.log_record.body)
            yield from iter_strings(record.log_record.attributes)

    def _redact(self, redactor: Redactor, record: ReadableLogRecord, redact: Callable[[str], str]) -> ReadableLogRecord:
        log_record = copy.copy(record.log_record)
        log_record.body = redactor.redact_value(log_record.body, redact)
        if log_record.event_name:
            log_record.event_name = redact(log_record.event_name)
        attributes = log_record.attributes or {}
        log_record.attributes = redactor.redact_attributes(
            {key: value for key, value in attributes.items() if key not in _CONTEXT_COPIES}, redact
        )
        return dataclasses.replace(record, log_record=log_record, resource=self._resources(redactor, record.resource))

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        try:
            redactor = self._redactor()
            redact = redactor.redact_many(self._strings(batch))
            redacted = [self._redact(redactor, record, redact) for record in batch]
        except Exception:
            self.drops.redaction_failed(len(batch))
            return LogRecordExportResult.FAILURE
        return send_counted(
            self.drops, len(batch), lambda: self.exporter.export(redacted), LogRecordExportResult.FAILURE
        )

    def shutdown(self) -> None:
        self.exporter.shutdown()  # type: ignore[no-untyped-call]

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.exporter.force_flush(timeout_millis)
