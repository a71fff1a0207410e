"""What the three redacting exporters share: the redactor in force, resources, failures."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.trace import Link

from tta_otel.exporters.sdk_hooks import is_refusal
from tta_otel.privacy import Redactor, active_redactor

_logger = logging.getLogger("tta_otel.exporters")

RAISED_LOG_INTERVAL_S = 60.0
"""An exporter that raises is logged at most once per signal in this many seconds: a collector
that stays down must not flood the service's log (nor, through the log exporter, itself)."""

RedactorSource = Callable[[], Redactor]
Result = TypeVar("Result")


def plain_attributes(attributes: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """Attributes as the plain dict that the SDK's ``BoundedAttributes`` keeps inside: the
    bounded mapping takes a Python call per key to iterate or test (several µs a record).
    Read only, after the span or record has ended, when nothing writes to it any more."""
    if not attributes:
        return {}
    inner = getattr(attributes, "_dict", None)
    return inner if type(inner) is dict else attributes


def span_attributes(span: ReadableSpan) -> Mapping[str, Any]:
    """A span's attributes as a plain dict: ``ReadableSpan.attributes`` wraps the bounded
    mapping in a proxy, so the dict is reached through the span's own field."""
    return plain_attributes(getattr(span, "_attributes", None) or span.attributes)


def span_events(span: ReadableSpan) -> Sequence[Event]:
    """A span's events: the SDK copies them at every read, an empty list is not worth the copy."""
    return span.events if getattr(span, "_events", True) else ()


def span_links(span: ReadableSpan) -> Sequence[Link]:
    """A span's links: the SDK copies them at every read, an empty list is not worth the copy."""
    return span.links if getattr(span, "_links", True) else ()


class ResourceRedactor:
    """Redacts resources once per (resource, redactor) pair: a process has very few resources."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, int], tuple[Redactor, Resource, Resource]] = {}

    def __call__(self, redactor: Redactor, resource: Resource) -> Resource:
        key = (id(redactor), id(resource))
        cached = self._cache.get(key)
        if cached is not None and cached[0] is redactor and cached[1] is resource:
            return cached[2]
        redacted = Resource(redactor.redact_attributes(resource.attributes), resource.schema_url)
        if len(self._cache) > 32:
            self._cache.clear()
        self._cache[key] = (redactor, resource, redacted)
        return redacted


class DropCounter:
    """Counts the items of one signal that never reached the exporter's destination.

    Reasons: ``redaction_failed`` (the batch was dropped rather than exported unredacted;
    logged once), ``export_failed`` (the exporter gave up, e.g. the collector was down
    past its timeout, or raised; an exception is also logged, at most once per
    ``RAISED_LOG_INTERVAL_S``), ``refused`` (the collector answered that it will not take the
    data now: ``tta_otel.exporters.sdk_hooks``), ``queue_full`` (the SDK's batch queue was
    full) and ``shed`` (a record below WARNING dropped under backpressure). Counting happens
    once per batch, off the request path; the configurator reports the counts as the
    ``tta.telemetry.dropped`` metric. ``on_export``, when set, hears each export's outcome
    (``tta_otel.backpressure``).
    """

    def __init__(self, signal: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.signal = signal
        self.counts = {"redaction_failed": 0, "export_failed": 0}
        self._lock = threading.Lock()
        self._reported = False
        self._clock = clock
        self._raised_logged_at: float | None = None
        self._refused = False
        self.on_export: Callable[[bool], None] | None = None
        self.abandoned = False

    @property
    def dropped(self) -> int:
        return sum(self.counts.values())

    def redaction_failed(self, count: int) -> None:
        with self._lock:
            self.counts["redaction_failed"] += count
            first = not self._reported
            self._reported = True
        if first:
            _logger.exception(
                "Redaction of %s failed; the batch was dropped rather than exported unredacted", self.signal
            )

    def _add(self, reason: str, count: int) -> None:
        with self._lock:
            self.counts[reason] = self.counts.get(reason, 0) + count

    def export_outcome(self, error_attributes: Mapping[str, Any] | None) -> None:
        """The status of the export that just ended (from the SDK exporter's own report)."""
        self._refused = is_refusal(error_attributes)

    def export_failed(self, count: int) -> None:
        self._add("refused" if self._refused else "export_failed", count)

    def queue_full(self, count: int) -> None:
        self._add("queue_full", count)

    def shed(self, count: int) -> None:
        self._add("shed", count)

    def exported(self, succeeded: bool) -> None:
        """Tell ``on_export`` how an export ended; it never raises into the export path."""
        if self.on_export is None:
            return
        try:
            self.on_export(succeeded)
        except Exception:
            _logger.debug("tta_otel: a backpressure listener failed", exc_info=True)

    def identifiers_removed(self, count: int) -> None:
        """Identifier attributes removed from metric points (``identifier_attribute``): the points
        are exported, the identifiers never are."""
        self._add("identifier_attribute", count)

    def export_raised(self, count: int) -> None:
        """Count the batch as ``export_failed`` and log the exception being handled, rate-limited."""
        self.export_failed(count)
        now = self._clock()
        with self._lock:
            due = self._raised_logged_at is None or now - self._raised_logged_at >= RAISED_LOG_INTERVAL_S
            if due:
                self._raised_logged_at = now
        if due:
            _logger.warning(
                "The %s exporter raised; %d items dropped (logged at most once every %.0f s)",
                self.signal,
                count,
                RAISED_LOG_INTERVAL_S,
                exc_info=True,
            )


def abandon(drops: DropCounter, exporter: Any) -> None:
    """Shutdown's deadline has passed: every further batch is dropped and counted, and the wrapped
    exporter is shut down, which ends the retries of an export in flight."""
    drops.abandoned = True
    try:
        exporter.shutdown()
    except Exception:
        _logger.debug("tta_otel: shutting an abandoned exporter down failed", exc_info=True)


def send_counted(drops: DropCounter, count: int, send: Callable[[], Result], failure: Result) -> Result:
    """Call the wrapped exporter; a failure is counted, an exception counted and logged, never raised.
    After ``abandon`` nothing is sent."""
    if drops.abandoned:
        drops.export_failed(count)
        return failure
    try:
        result = send()
    except Exception:
        drops.export_raised(count)
        drops.exported(False)
        return failure
    if result is failure:
        drops.export_failed(count)
    drops.exported(result is not failure)
    return result


__all__ = ["DropCounter", "RedactorSource", "ResourceRedactor", "abandon", "active_redactor", "send_counted"]
