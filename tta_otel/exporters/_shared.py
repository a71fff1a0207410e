"""What the three redacting exporters share: the redactor in force, resources, failures."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from opentelemetry.sdk.resources import Resource

from tta_otel.privacy import Redactor, active_redactor

_logger = logging.getLogger("tta_otel.exporters")

RedactorSource = Callable[[], Redactor]
Result = TypeVar("Result")


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
    logged once) and ``export_failed`` (the exporter gave up, e.g. the collector was down
    past its timeout). Counting happens once per batch, off the request path; the
    configurator reports the counts as the ``tta.telemetry.dropped`` metric.
    """

    def __init__(self, signal: str) -> None:
        self.signal = signal
        self.counts = {"redaction_failed": 0, "export_failed": 0}
        self._lock = threading.Lock()
        self._reported = False

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

    def export_failed(self, count: int) -> None:
        with self._lock:
            self.counts["export_failed"] += count


def send_counted(drops: DropCounter, count: int, send: Callable[[], Result], failure: Result) -> Result:
    """Call the wrapped exporter; an exception or a failure is counted, never raised."""
    try:
        result = send()
    except Exception:
        result = failure
    if result is failure:
        drops.export_failed(count)
    return result


__all__ = ["DropCounter", "RedactorSource", "ResourceRedactor", "active_redactor", "send_counted"]
