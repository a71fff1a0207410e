"""Specification of the load generator's pieces that need no stack: the players' load model, the
trace ids they choose, the collector's metrics as they are read, the soak's memory slope, and
what counts as lost (benchmarks/load.py; the run itself is tests/stack/test_load_smoke.py)."""

from __future__ import annotations

import random
import statistics

import pytest

from benchmarks.load import CollectorSnapshot, _Stored, memory_slope_mib_per_hour
from examples.tta_service.players import DEFAULT_MIX, STREAM, Interaction, LoadModel, new_traceparent


def test_think_times_are_log_normal_around_the_median() -> None:
    model = LoadModel(think_median_s=2.0)
    rng = random.Random(1)
    times = [model.think_time(rng) for _ in range(5000)]
    assert min(times) > 0
    assert statistics.median(times) == pytest.approx(2.0, rel=0.05)
    assert statistics.fmean(times) > statistics.median(times)  # a long tail: some players think much longer


def test_actions_follow_the_mix() -> None:
    model = LoadModel()
    rng = random.Random(2)
    actions = [model.next_action(rng) for _ in range(10000)]
    assert set(actions) == set(DEFAULT_MIX)
    assert actions.count("scene") / len(actions) == pytest.approx(DEFAULT_MIX["scene"], abs=0.02)


def test_each_interaction_carries_a_new_sampled_trace_id() -> None:
    (first, header), (second, _) = new_traceparent(), new_traceparent()
    assert first != second
    version, trace_id, span_id, flags = header.split("-")
    assert (version, trace_id, len(span_id), flags) == ("00", first, 16, "01")


METRICS = """\
# HELP otelcol_exporter_sent_spans_total Number of spans successfully sent to destination.
otelcol_exporter_sent_spans_total{exporter="otlp_grpc/jaeger",service_name="otelcol-tta"} 120
otelcol_exporter_sent_spans_total{exporter="otlp_grpc/tempo",service_name="otelcol-tta"} 7
otelcol_receiver_refused_spans_total{receiver="otlp",transport="grpc"} 0
otelcol_process_memory_rss_bytes 1.048576e+08
otelcol_process_cpu_seconds 12.5
"""


def test_collector_metrics_are_summed_by_name_with_or_without_their_suffix_and_by_label() -> None:
    snapshot = CollectorSnapshot.parse(METRICS, at=0.0)
    assert snapshot.total("otelcol_exporter_sent_spans") == 127
    assert snapshot.total("otelcol_exporter_sent_spans", "jaeger") == 120
    assert snapshot.total("otelcol_receiver_refused_spans") == 0
    assert snapshot.total("otelcol_process_memory_rss") == 100 * 2**20
    assert snapshot.total("otelcol_process_cpu_seconds") == 12.5
    assert snapshot.total("otelcol_not_served") == 0


def test_the_memory_slope_is_in_mib_per_hour() -> None:
    growing = [(seconds, 100 + seconds / 360) for seconds in range(0, 1800, 10)]  # 10 MiB an hour
    assert memory_slope_mib_per_hour(growing) == pytest.approx(10.0)
    assert memory_slope_mib_per_hour([(seconds, 80.0) for seconds in range(0, 600, 10)]) == pytest.approx(0.0)
    assert memory_slope_mib_per_hour([(0, 80.0), (10, 90.0)]) is None


def _interaction(kind: str, trace_id: str, status: int | None = 200) -> Interaction:
    return Interaction(kind, trace_id, status, 0.0, 1.0)


def test_loss_is_what_was_answered_and_is_not_stored() -> None:
    interactions = [
        _interaction("scene", "a"),
        _interaction("choice", "b"),
        _interaction(STREAM, "c", 101),
        _interaction("crash", "d", 500),
        _interaction("scene", "e", None),  # never answered: nothing expected of it
    ]
    stored = _Stored(
        spans=[{"traceID": "a"}, {"traceID": "b"}, {"traceID": "c"}],
        log_records=[{"trace_id": "a"}],
        requests_counted=3,
    )
    assert stored.loss(interactions) == {
        "traces_in_jaeger": {"expected": 4, "stored": 3, "lost": 1},
        "log_records_in_victorialogs": {"expected": 2, "stored": 1, "lost": 1},
        "requests_counted_in_prometheus": {"expected": 3, "stored": 3, "lost": 0},
    }
