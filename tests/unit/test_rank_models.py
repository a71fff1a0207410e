"""Specification of ``rank_models``: the documented score over latency, errors and carbon."""

from __future__ import annotations

import pytest

from tta_otel.ai import ModelStats, RankingWeights, rank_models


def stats(model: str, *, calls: int, errors: int, latency_s: float, tokens: int, grams: float) -> ModelStats:
    return ModelStats(
        model, calls=calls, errors=errors, duration_s=latency_s * calls, output_tokens=tokens, emissions_g=grams
    )


RECORDED = {
    "large": stats("large", calls=100, errors=2, latency_s=2.0, tokens=100_000, grams=40.0),
    "small": stats("small", calls=100, errors=2, latency_s=1.0, tokens=100_000, grams=10.0),
    "flaky": stats("flaky", calls=100, errors=20, latency_s=1.0, tokens=100_000, grams=10.0),
}


def test_the_score_is_the_weighted_sum_of_ratios_to_the_worst_candidate() -> None:
    ranked = rank_models(["large", "small", "flaky"], RECORDED)

    # latency: large 2/2, small 1/2, flaky 1/2; errors: 0.02/0.2, 0.02/0.2, 1; carbon: 0.4/0.4, 0.1/0.4, 0.1/0.4
    assert [(r.model, r.score) for r in ranked] == [
        ("small", pytest.approx(0.4 * 0.5 + 0.3 * 0.1 + 0.3 * 0.25)),
        ("flaky", pytest.approx(0.4 * 0.5 + 0.3 * 1.0 + 0.3 * 0.25)),
        ("large", pytest.approx(0.4 * 1.0 + 0.3 * 0.1 + 0.3 * 1.0)),
    ]


def test_weights_change_the_order() -> None:
    ranked = rank_models(["large", "flaky"], RECORDED, RankingWeights(latency=0.0, errors=1.0, carbon=0.0))

    assert [r.model for r in ranked] == ["large", "flaky"]


def test_a_candidate_without_calls_is_ranked_last_without_a_score() -> None:
    ranked = rank_models(["unknown", "small"], RECORDED)

    assert [(r.model, r.score) for r in ranked] == [("small", pytest.approx(1.0)), ("unknown", None)]


def test_missing_carbon_data_counts_as_the_worst() -> None:
    recorded = {
        "green": stats("green", calls=10, errors=0, latency_s=1.0, tokens=2000, grams=1.0),
        "dirty": stats("dirty", calls=10, errors=0, latency_s=1.0, tokens=2000, grams=4.0),
        "remote": ModelStats("remote", calls=10, duration_s=10.0),
    }

    scores = {r.model: r.score for r in rank_models(["remote", "dirty", "green"], recorded)}

    assert scores == {
        "green": pytest.approx(0.4 + 0.3 * 0.25),
        "dirty": pytest.approx(0.7),
        "remote": pytest.approx(0.7),
    }


def test_by_default_the_statistics_of_this_process_are_used() -> None:
    from tta_otel.ai import model_activity

    handle = model_activity.started("rank-default-model", 0.0)
    model_activity.finished(handle, 1.0, failed=False, output_tokens=10)

    (ranked,) = rank_models(["rank-default-model"])

    assert ranked.stats.calls >= 1
    assert ranked.score is not None
