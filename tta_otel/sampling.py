"""Head sampling for TTA services: a ratio that can change while the service runs, and a
remote parent that cannot force sampling.

The SDK's TraceIdRatioBased fixes its ratio at construction; TTA operators turn sampling
up during an incident and down afterwards by editing ``tta_config.yaml``, without a
restart. The decision for a new trace is the same as TraceIdRatioBased's (the low 64 bits
of the trace id against a bound).

Services face players, so an inbound ``traceparent`` is untrusted input: by default
(``monitoring.sampling.trust_remote_parent: false``) its sampled flag is ignored. The trace
id is continued, so logs and downstream calls still correlate, but whether the span is
recorded is decided by the local ratio, from a keyed hash of the trace id: a client chooses
its trace id, and with the bare trace id it could pick one that every ratio above zero
samples. The inbound ``tracestate`` is not continued either: it is client-controlled text
that would otherwise be exported with every span and forwarded on every outgoing call.
Spans whose parent is local (in this process) follow their parent, so a trace is never split.
With ``trust_remote_parent: true`` (for services behind a trusted TTA service), the remote
parent's flag is followed, as with the SDK's ParentBased.
"""

from __future__ import annotations

import hashlib
import secrets
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
        self._factor = 1.0
        self.set_ratio(ratio)

    def set_ratio(self, ratio: float) -> None:
        """The configured ratio (from the file, reloaded with it)."""
        if not 0.0 <= ratio <= 1.0:
            raise ValueError(f"sampling ratio must be between 0 and 1, got {ratio}")
        self._ratio = ratio
        self._bound = round(ratio * self._factor * (_TRACE_ID_LIMIT + 1))

    def set_factor(self, factor: float) -> None:
        """Scale the configured ratio by ``factor`` (backpressure: ``tta_otel.backpressure``)."""
        if not 0.0 < factor <= 1.0:
            raise ValueError(f"sampling factor must be in (0, 1], got {factor}")
        self._factor = factor
        self._bound = round(self._ratio * factor * (_TRACE_ID_LIMIT + 1))

    @property
    def ratio(self) -> float:
        return self._ratio

    @property
    def factor(self) -> float:
        return self._factor

    def admits(self, draw: int) -> bool:
        """Whether a uniform 64-bit ``draw`` falls within the current ratio."""
        return draw & _TRACE_ID_LIMIT < self._bound

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
        decision = Decision.RECORD_AND_SAMPLE if self.admits(trace_id) else Decision.DROP
        sampled = decision is Decision.RECORD_AND_SAMPLE
        return SamplingResult(decision, attributes if sampled else None, trace_state)

    def get_description(self) -> str:
        return f"AdjustableRatioSampler{{{self._ratio}}}"


class UntrustedRemoteParentSampler(Sampler):
    """For a span whose parent came from another process: ``root``'s ratio decides, whatever the
    parent's sampled flag, from a keyed hash of the trace id (so a chosen trace id gains nothing);
    the parent's ``tracestate`` is dropped."""

    def __init__(self, root: AdjustableRatioSampler, key: bytes | None = None) -> None:
        self._root = root
        self._key = key if key is not None else secrets.token_bytes(32)

    def _draw(self, trace_id: int) -> int:
        digest = hashlib.blake2b(trace_id.to_bytes(16, "big"), key=self._key, digest_size=8).digest()
        return int.from_bytes(digest, "big")

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
        # The root decides as for a new trace, on the keyed draw instead of the client's trace id.
        return self._root.should_sample(
            parent_context, self._draw(trace_id), name, kind, attributes, links, TraceState()
        )

    def get_description(self) -> str:
        return f"UntrustedRemoteParent{{{self._root.get_description()}}}"


def parent_based(root: AdjustableRatioSampler, *, trust_remote_parent: bool = False) -> ParentBased:
    """The sampler a service runs with: ``root`` decides for new traces, a local parent is followed,
    and a remote parent is followed only when ``trust_remote_parent`` (otherwise ``root``'s ratio decides)."""
    if trust_remote_parent:
        return ParentBased(root=root)
    remote = UntrustedRemoteParentSampler(root)
    return ParentBased(root=root, remote_parent_sampled=remote, remote_parent_not_sampled=remote)
