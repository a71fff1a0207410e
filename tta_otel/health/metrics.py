"""``tta.dependency.up`` and ``tta.dependency.check.duration``, by ``tta.dependency.name`` and
``tta.dependency.type`` only: never an error message, an address with credentials, or anything
else a failing check could carry."""

from __future__ import annotations

from collections.abc import Iterable

from opentelemetry.metrics import CallbackOptions, Meter, Observation

from tta_otel import instruments
from tta_otel.health.registry import Key, Registry
from tta_otel.semconv import (
    TTA_DEPENDENCY_CHECK_DURATION,
    TTA_DEPENDENCY_NAME,
    TTA_DEPENDENCY_TYPE,
    TTA_DEPENDENCY_UP,
)


def _attributes(name: str, type_: str) -> dict[str, str]:
    return {TTA_DEPENDENCY_NAME: name, TTA_DEPENDENCY_TYPE: type_}


class HealthMetrics:
    """The gauge observes the registry at each collection (a dependency not yet checked is not
    reported, rather than reported down); the checker records each check's duration."""

    def __init__(self, meter: Meter, registry: Registry) -> None:
        self._registry = registry
        self._duration = instruments.histogram(meter, TTA_DEPENDENCY_CHECK_DURATION)
        instruments.observe(meter, TTA_DEPENDENCY_UP, [self._observe_up])

    def record_duration(self, key: Key, seconds: float) -> None:
        self._duration.record(seconds, _attributes(*key))

    def _observe_up(self, options: CallbackOptions) -> Iterable[Observation]:
        return [
            Observation(int(status.up), _attributes(status.name, status.type))
            for status in self._registry.statuses()
            if status.up is not None
        ]


__all__ = ["HealthMetrics"]
