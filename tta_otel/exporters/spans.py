"""A span exporter that redacts spans before handing them to the real exporter.

Exception events first lose their messages in strict mode (``tta_otel.privacy.exceptions``),
then every string passes the attribute rules and value patterns. Records logged while it
exports are never exported (``tta_otel.log_privacy.exporting``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import Link, Status

from tta_otel.exporters._shared import (
    DropCounter,
    RedactorSource,
    ResourceRedactor,
    abandon,
    active_redactor,
    send_counted,
    span_attributes,
    span_events,
    span_links,
)
from tta_otel.exporters.sdk_hooks import watch_export_outcomes
from tta_otel.log_privacy import exporting
from tta_otel.privacy import Redactor
from tta_otel.privacy.exceptions import redact_exception_attributes

_Parts = tuple[Mapping[str, Any], Sequence[Event], Sequence[Link]]
"""A span's attributes, events (exception messages already handled) and links."""


class RedactingSpanExporter(SpanExporter):
    """Applies the privacy policy to names, attributes, events, links, status and resource."""

    def __init__(self, exporter: SpanExporter, redactor: RedactorSource = active_redactor) -> None:
        self.exporter = exporter
        self._redactor = redactor
        self._resources = ResourceRedactor()
        self.drops = DropCounter("spans")
        watch_export_outcomes(exporter, self.drops.export_outcome)

    @staticmethod
    def _events(redactor: Redactor, events: Sequence[Event]) -> Sequence[Event]:
        """The span's events, exception messages replaced in strict mode (before the attribute pass)."""
        if not any(event.name == "exception" and event.attributes for event in events):
            return events
        return tuple(
            Event(event.name, redact_exception_attributes(event.attributes, redactor), event.timestamp)
            if event.name == "exception" and event.attributes
            else event
            for event in events
        )

    @staticmethod
    def _strings(redactor: Redactor, spans: Sequence[ReadableSpan], parts: list[_Parts]) -> list[str]:
        strings: list[str] = []
        scanned = redactor.scanned_strings
        for span, (attributes, events, links) in zip(spans, parts, strict=True):
            strings.append(span.name)
            scanned(attributes, strings)
            for event in events:
                strings.append(event.name)
                scanned(event.attributes, strings)
            for link in links:
                scanned(link.attributes, strings)
            if span.status.description:
                strings.append(span.status.description)
        return strings

    def _redact(
        self, redactor: Redactor, span: ReadableSpan, parts: _Parts, redact: Callable[[str], str]
    ) -> ReadableSpan:
        attributes, events, links = parts
        status = span.status
        if status.description:
            status = Status(status.status_code, redact(status.description))
        return ReadableSpan(
            name=redact(span.name),
            context=span.context,
            parent=span.parent,
            resource=self._resources(redactor, span.resource),
            attributes=redactor.redact_attributes(attributes, redact),
            events=tuple(
                Event(redact(event.name), redactor.redact_attributes(event.attributes, redact), event.timestamp)
                for event in events
            )
            if events
            else (),
            links=tuple(Link(link.context, redactor.redact_attributes(link.attributes, redact)) for link in links)
            if links
            else (),
            kind=span.kind,
            status=status,
            start_time=span.start_time,
            end_time=span.end_time,
            instrumentation_scope=span.instrumentation_scope,
        )

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with exporting():
            try:
                redactor = self._redactor()
                # Each span's parts read once: the SDK copies its events and links at every read.
                parts = [
                    (span_attributes(span), self._events(redactor, span_events(span)), span_links(span))
                    for span in spans
                ]
                redact = redactor.redact_many(self._strings(redactor, spans, parts))
                redacted = [self._redact(redactor, span, part, redact) for span, part in zip(spans, parts, strict=True)]
            except Exception:
                self.drops.redaction_failed(len(spans))
                return SpanExportResult.FAILURE
            return send_counted(
                self.drops, len(spans), lambda: self.exporter.export(redacted), SpanExportResult.FAILURE
            )

    def abandon(self) -> None:
        """Shutdown's deadline has passed: drop what is left, counted, and stop retrying."""
        abandon(self.drops, self.exporter)

    def shutdown(self) -> None:
        if not self.drops.abandoned:  # abandoning shut the exporter down already
            self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.exporter.force_flush(timeout_millis)
