"""A trace-id ratio sampler whose ratio can change while the service runs.

The SDK's TraceIdRatioBased fixes its ratio at construction; TTA operators turn sampling
up during an incident and down afterwards by editing ``tta_config.yaml``, without a
restart. The decision is the same as TraceIdRatioBased's (the low 64 bits of the trace
id against a bound), so a ratio change never splits a trace that is already sampled
upstream: ParentBased keeps following the parent.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import Decision, ParentBased, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind, TraceState
from opentelemetry.util.types import Attributes

_TRACE_ID_LIMIT = (1 << 64) - 1


class AdjustableRatioSampler(Sampler):
    """Samples ``ratio`` of new traces; ``set_ratio`` takes effect for the next trace."""

    def __init__(self, ratio: float) -> None:
        self._bound = 0
        self.set_ratio(ratio)

    def set_ratio(self, ratio: float) -> None:
        if not 0.0 <= ratio <= 1.0:
            raise ValueError(f"sampling ratio must be between 0 and 1, got {ratio}")
        self._ratio = ratio
        self._bound = round(ratio * (_TRACE_ID_LIMIT + 1))

    @property
    def ratio(self) -> float:
        return self._ratio

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        decision = Decision.RECORD_AND_SAMPLE if trace_id & _TRACE_ID_LIMIT < self._bound else Decision.DROP
        sampled = decision is Decision.RECORD_AND_SAMPLE
        return SamplingResult(decision, attributes if sampled else None, trace_state)

    def get_description(self) -> str:
        return f"AdjustableRatioSampler{{{self._ratio}}}"


def parent_based(root: AdjustableRatioSampler) -> ParentBased:
    """The sampler a service runs with: follow the parent, ``root`` decides for new traces."""
    return ParentBased(root=root)
