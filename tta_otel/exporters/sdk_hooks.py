"""Why items were dropped, learnt from the SDK's own self-observability hooks.

The SDK's batch processors report a full queue, and its OTLP exporters report each failed
export's status, to small metrics objects (``_metrics``) that feed the ``otel.sdk.*``
instruments when a meter provider is given. Those objects are the only place where the
reasons are known, so each is wrapped: everything is passed on unchanged, and the reason is
also counted in ``tta.telemetry.dropped`` (``queue_full``; ``refused`` when the collector
answered that it will not take the data now). Both are private SDK attributes, covered by
``tests/unit/test_sdk_contract.py``; without them nothing breaks, the reasons are only coarser.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

_logger = logging.getLogger(__name__)

REFUSAL_HTTP_STATUSES = frozenset({429, 503})
"""OTLP/HTTP answers that mean "not now": the collector's memory limiter or a full queue."""
REFUSAL_RPC_CODES = frozenset({"RESOURCE_EXHAUSTED"})
"""OTLP/gRPC answers that mean the same. ``UNAVAILABLE`` is also what a dead collector gives, so
it counts as ``export_failed``."""
_HTTP_STATUS = "http.response.status_code"
_RPC_STATUS = "rpc.response.status_code"


def is_refusal(error_attributes: Mapping[str, Any] | None) -> bool:
    """Whether a failed export's status attributes say the collector refused the data."""
    if not error_attributes:
        return False
    return (
        error_attributes.get(_HTTP_STATUS) in REFUSAL_HTTP_STATUSES
        or error_attributes.get(_RPC_STATUS) in REFUSAL_RPC_CODES
    )


class _ExportOutcomes:
    """Stands in for an OTLP exporter's ``_metrics``: passes everything on, and tells
    ``on_outcome`` the status attributes of each export (None when it succeeded)."""

    def __init__(self, metrics: Any, on_outcome: Callable[[Mapping[str, Any] | None], None]) -> None:
        self._metrics = metrics
        self._on_outcome = on_outcome

    @contextmanager
    def export_operation(self, num_items: int) -> Iterator[Any]:
        with self._metrics.export_operation(num_items) as result:
            try:
                yield result
            finally:
                self._on_outcome(getattr(result, "error_attrs", None))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._metrics, name)


class _QueueDrops:
    """Stands in for a batch processor's ``_metrics``: passes everything on, and counts the items
    dropped because the queue was full."""

    def __init__(self, metrics: Any, on_queue_full: Callable[[int], None]) -> None:
        self._metrics = metrics
        self._on_queue_full = on_queue_full

    def drop_items(self, count: int, error_type: str = "queue_full") -> None:
        self._metrics.drop_items(count, error_type)
        if error_type == "queue_full":
            self._on_queue_full(count)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._metrics, name)


def watch_export_outcomes(exporter: Any, on_outcome: Callable[[Mapping[str, Any] | None], None]) -> bool:
    """Hook ``on_outcome`` into an OTLP exporter; False (and nothing changed) for other exporters."""
    metrics = getattr(exporter, "_metrics", None)
    if metrics is None or not hasattr(metrics, "export_operation"):
        return False
    exporter._metrics = _ExportOutcomes(metrics, on_outcome)
    return True


def watch_queue_drops(processor: Any, on_queue_full: Callable[[int], None]) -> bool:
    """Hook ``on_queue_full`` into an SDK batch span or log record processor."""
    batch = getattr(processor, "_batch_processor", None)
    metrics = getattr(batch, "_metrics", None)
    if metrics is None or not hasattr(metrics, "drop_items"):
        _logger.debug("tta_otel: %r keeps no drop metrics; a full queue is not counted by reason", processor)
        return False
    batch._metrics = _QueueDrops(metrics, on_queue_full)  # type: ignore[union-attr]
    return True


__all__ = ["REFUSAL_HTTP_STATUSES", "REFUSAL_RPC_CODES", "is_refusal", "watch_export_outcomes", "watch_queue_drops"]
