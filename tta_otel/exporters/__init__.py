"""Exporter wrappers that apply the privacy policy to every signal before it leaves.

The configurator wraps every exporter it builds - whichever one ``OTEL_*_EXPORTER``
selects - so redaction cannot be bypassed by choosing another exporter. The wrappers
run on the SDK's export threads, never on a request's thread. When redaction itself
fails, the batch is dropped (fail closed) and the failure is reported, never raised.
"""

from tta_otel.exporters.logs import RedactingLogRecordExporter
from tta_otel.exporters.metrics import RedactingMetricExporter
from tta_otel.exporters.spans import RedactingSpanExporter

__all__ = ["RedactingLogRecordExporter", "RedactingMetricExporter", "RedactingSpanExporter"]
