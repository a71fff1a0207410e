"""``rank_models``: which model TTA should call, from what the calls actually cost.

The score is deliberately simple so that a designer can predict it. For each criterion -
mean latency, error rate and grams of CO2e per 1,000 tokens - a candidate's value is divided
by the largest value among the candidates (so 1.0 is the worst candidate, 0.0 a perfect
one), and the score is the weighted sum of those three ratios: lower is better. A candidate
without data for a criterion that others have counts as the worst for it; a candidate with
no recorded calls at all gets no score and is ranked last. The weights default to
latency 0.4, errors 0.3, carbon 0.3 and are documented in docs/ai-and-carbon.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from tta_otel.ai.activity import ModelStats, model_activity


@dataclass(frozen=True)
class RankingWeights:
    latency: float = 0.4
    errors: float = 0.3
    carbon: float = 0.3


@dataclass(frozen=True)
class RankedModel:
    """One candidate with its score (None without data) and the figures it came from."""

    model: str
    score: float | None
    stats: ModelStats


def _ratios(values: list[float | None]) -> list[float]:
    known = [value for value in values if value is not None]
    worst = max(known, default=0.0)
    if worst == 0.0:
        return [0.0 if value is not None else (1.0 if known else 0.0) for value in values]
    return [value / worst if value is not None else 1.0 for value in values]


def rank_models(
    candidates: Iterable[str],
    stats: Mapping[str, ModelStats] | None = None,
    weights: RankingWeights = RankingWeights(),
) -> list[RankedModel]:
    """Order ``candidates`` best first by the documented score.

    ``stats`` defaults to what this process recorded through ``tta_otel.ai.inference`` and the
    carbon meter; the carbon report builds the same mapping from Prometheus for fleet-wide data.
    """
    recorded = model_activity.stats() if stats is None else stats
    names = list(dict.fromkeys(candidates))
    with_data = [recorded[name] for name in names if name in recorded and recorded[name].calls > 0]
    criteria: list[tuple[float, Callable[[ModelStats], float | None]]] = [
        (weights.latency, lambda s: s.mean_latency_s),
        (weights.errors, lambda s: s.error_rate),
        (weights.carbon, lambda s: s.grams_per_1k_tokens),
    ]
    scores = [0.0] * len(with_data)
    for weight, value in criteria:
        for index, ratio in enumerate(_ratios([value(s) for s in with_data])):
            scores[index] += weight * ratio
    ranked = sorted(
        (RankedModel(s.model, score, s) for s, score in zip(with_data, scores, strict=True)),
        key=lambda r: r.score if r.score is not None else 0.0,
    )
    scored = {r.model for r in ranked}
    return ranked + [RankedModel(name, None, ModelStats(name)) for name in names if name not in scored]
