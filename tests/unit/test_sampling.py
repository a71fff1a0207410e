"""Specification of the adjustable sampler: TraceIdRatioBased's decision with a ratio that can change."""

from __future__ import annotations

import random

import pytest
from opentelemetry.sdk.trace.sampling import Decision, TraceIdRatioBased

from tta_otel.sampling import AdjustableRatioSampler, parent_based


def _decisions(sampler: object, trace_ids: list[int]) -> list[Decision]:
    return [sampler.should_sample(None, trace_id, "span").decision for trace_id in trace_ids]  # type: ignore[attr-defined]


def test_the_decision_matches_trace_id_ratio_based() -> None:
    trace_ids = [random.Random(i).getrandbits(128) for i in range(500)]
    assert _decisions(AdjustableRatioSampler(0.3), trace_ids) == _decisions(TraceIdRatioBased(0.3), trace_ids)


def test_a_new_ratio_applies_to_the_next_decision() -> None:
    sampler = AdjustableRatioSampler(1.0)
    trace_id = 0x0000000000000000FFFFFFFFFFFFFFF0
    assert sampler.should_sample(None, trace_id, "span").decision is Decision.RECORD_AND_SAMPLE
    sampler.set_ratio(0.0)
    assert sampler.should_sample(None, trace_id, "span").decision is Decision.DROP
    assert sampler.ratio == 0.0
    assert sampler.get_description() == "AdjustableRatioSampler{0.0}"


def test_a_ratio_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        AdjustableRatioSampler(1.5)


def test_the_service_sampler_follows_the_parent() -> None:
    assert parent_based(AdjustableRatioSampler(0.5)).get_description().startswith("ParentBased")
