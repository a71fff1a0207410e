"""What the three redacting exporters share: the redactor in force, resources, failures."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from opentelemetry.sdk.resources import Resource

from tta_otel.privacy import Redactor, active_redactor

_logger = logging.getLogger("tta_otel.exporters")

RedactorSource = Callable[[], Redactor]


class ResourceRedactor:
    """Redacts resources once per (resource, redactor) pair: a process has very few resources."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, int], tuple[Resource, Resource]] = {}

    def __call__(self, redactor: Redactor, resource: Resource) -> Resource:
        key = (id(redactor), id(resource))
        cached = self._cache.get(key)
        if cached is not None and cached[0] is resource:
            return cached[1]
        redacted = Resource(redactor.redact_attributes(resource.attributes), resource.schema_url)
        if len(self._cache) > 32:
            self._cache.clear()
        self._cache[key] = (resource, redacted)
        return redacted


class FailureReporter:
    """Logs a redaction failure once per signal and counts every dropped item."""

    def __init__(self, signal: str) -> None:
        self.signal = signal
        self.dropped = 0
        self._lock = threading.Lock()
        self._reported = False

    def __call__(self, count: int) -> None:
        with self._lock:
            self.dropped += count
            first = not self._reported
            self._reported = True
        if first:
            _logger.exception(
                "Redaction of %s failed; the batch was dropped rather than exported unredacted", self.signal
            )


__all__ = ["FailureReporter", "RedactorSource", "ResourceRedactor", "active_redactor"]
