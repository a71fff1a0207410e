"""A log record exporter that redacts bodies and attributes before export.

A record with ``exception.*`` attributes first loses its exception message in strict mode
(``tta_otel.privacy.exceptions``), in its attributes and where the body repeats it; then the
body and the attributes pass the attribute rules and value patterns. Records logged while it
exports are never exported (``tta_otel.log_privacy.exporting``).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult

from tta_otel.exporters._shared import (
    DropCounter,
    RedactorSource,
    ResourceRedactor,
    abandon,
    active_redactor,
    plain_attributes,
    send_counted,
)
from tta_otel.exporters.sdk_hooks import watch_export_outcomes
from tta_otel.log_privacy import exporting
from tta_otel.privacy import Redactor
from tta_otel.privacy.exceptions import redact_exception_attributes, redact_message_in_body
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
        watch_export_outcomes(exporter, self.drops.export_outcome)

    @staticmethod
    def _without_messages(redactor: Redactor, record: ReadableLogRecord) -> tuple[Any, Mapping[str, Any]]:
        """The body and attributes with exception messages replaced in strict mode (before the attribute pass)."""
        body, attributes = record.log_record.body, plain_attributes(record.log_record.attributes)
        if "exception.message" not in attributes and "exception.stacktrace" not in attributes:
            return body, attributes
        redacted = redact_exception_attributes(attributes, redactor)
        return redact_message_in_body(body, attributes, redacted), redacted

    @staticmethod
    def _strings(redactor: Redactor, prepared: Sequence[tuple[Any, Mapping[str, Any]]]) -> Iterator[str]:
        for body, attributes in prepared:
            yield from iter_strings(body)
            yield from redactor.scanned_strings(attributes)

    def _redact(
        self,
        redactor: Redactor,
        record: ReadableLogRecord,
        prepared: tuple[Any, Mapping[str, Any]],
        redact: Callable[[str], str],
    ) -> ReadableLogRecord:
        log_record = copy.copy(record.log_record)
        body, attributes = prepared
        log_record.body = redactor.redact_value(body, redact)
        if log_record.event_name:
            log_record.event_name = redact(log_record.event_name)
        log_record.attributes = redactor.redact_attributes(
            {key: value for key, value in attributes.items() if key not in _CONTEXT_COPIES}, redact
        )
        return dataclasses.replace(record, log_record=log_record, resource=self._resources(redactor, record.resource))

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        with exporting():
            try:
                redactor = self._redactor()
                prepared = [self._without_messages(redactor, record) for record in batch]
                redact = redactor.redact_many(self._strings(redactor, prepared))
                redacted = [
                    self._redact(redactor, record, parts, redact) for record, parts in zip(batch, prepared, strict=True)
                ]
            except Exception:
                self.drops.redaction_failed(len(batch))
                return LogRecordExportResult.FAILURE
            return send_counted(
                self.drops, len(batch), lambda: self.exporter.export(redacted), LogRecordExportResult.FAILURE
            )

    def abandon(self) -> None:
        """Shutdown's deadline has passed: drop what is left, counted, and stop retrying."""
        abandon(self.drops, self.exporter)

    def shutdown(self) -> None:
        if not self.drops.abandoned:  # abandoning shut the exporter down already
            self.exporter.shutdown()  # type: ignore[no-untyped-call]

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.exporter.force_flush(timeout_millis)
