"""Telemetry for language-model calls: GenAI spans and metrics, and model ranking.

``inference`` wraps one call; ``rank_models`` orders candidate models by latency, errors and
carbon per token from what this process recorded.
"""

from tta_otel.ai.activity import ModelActivity, ModelStats, model_activity
from tta_otel.ai.inference import GenAIClientTelemetry, Inference, InferenceCall, inference
from tta_otel.ai.ranking import RankedModel, RankingWeights, rank_models

__all__ = [
    "GenAIClientTelemetry",
    "Inference",
    "InferenceCall",
    "ModelActivity",
    "ModelStats",
    "RankedModel",
    "RankingWeights",
    "inference",
    "model_activity",
    "rank_models",
]
