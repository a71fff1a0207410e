"""Backpressure from the collector: fewer new traces while it cannot take what it is sent.

When exports fail - the collector's memory limiter refuses data, or the collector is down -
every span still costs the service its share of a queue that cannot drain. ``Backpressure``
halves the trace sampling ratio after each failed export, down to ``MIN_FACTOR`` of the
configured ratio, and doubles it back after each successful one, so the configured ratio
returns a few batches after the collector does. While it is lowered, log records below
WARNING are shed before they are queued (``SheddingLogRecordProcessor``), so that the queue
keeps room for WARNING and above. Every change is logged; the ratio the operator configured
(and reloads) is never replaced, only scaled.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import LogRecordProcessor, ReadWriteLogRecord

from tta_otel.sampling import AdjustableRatioSampler

_logger = logging.getLogger(__name__)

MIN_FACTOR = 1 / 64
"""The lowest share of the configured sampling ratio kept while exports fail."""


class Backpressure:
    """The sampling factor that failed and successful exports move; safe to share between exporters."""

    def __init__(self, sampler: AdjustableRatioSampler | None) -> None:
        self._sampler = sampler
        self._factor = 1.0
        self._lock = threading.Lock()

    @property
    def factor(self) -> float:
        return self._factor

    @property
    def active(self) -> bool:
        """True while exports fail (the factor is below 1)."""
        return self._factor < 1.0

    def exported(self, succeeded: bool) -> None:
        """One export's outcome: a failure halves the factor, a success doubles it back."""
        with self._lock:
            previous = self._factor
            self._factor = min(1.0, previous * 2) if succeeded else max(MIN_FACTOR, previous / 2)
            changed = self._factor != previous
            factor = self._factor
        if not changed:
            return
        if self._sampler is not None:
            self._sampler.set_factor(factor)
        if succeeded:
            _logger.info("tta_otel: exports succeed again; trace sampling at %g of the configured ratio", factor)
        else:
            _logger.warning(
                "tta_otel: an export failed; trace sampling lowered to %g of the configured ratio and "
                "log records below WARNING are shed until exports succeed",
                factor,
            )


class SheddingLogRecordProcessor(LogRecordProcessor):
    """In front of a batching processor: while ``backpressure`` is active, records below WARNING
    are dropped before they take a place in the queue, and counted by ``on_shed``."""

    def __init__(
        self, processor: LogRecordProcessor, backpressure: Backpressure, on_shed: Callable[[int], None]
    ) -> None:
        self._processor = processor
        self._backpressure = backpressure
        self._on_shed = on_shed

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        if self._backpressure.active:
            severity = log_record.log_record.severity_number
            if severity is None or severity.value < SeverityNumber.WARN.value:
                self._on_shed(1)
                return
        self._processor.on_emit(log_record)

    def shutdown(self) -> None:
        self._processor.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self._processor.force_flush(timeout_millis)


__all__ = ["MIN_FACTOR", "Backpressure", "SheddingLogRecordProcessor"]
