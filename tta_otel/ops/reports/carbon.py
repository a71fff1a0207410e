"""The carbon report: energy, emissions, shares, carbon per token, trend, and recommendations.

Every figure is an ``increase()`` over the period from Prometheus, so the report covers the
whole fleet, not one process. Recommendations fire from the rules below; each threshold is
a named constant documented in docs/ai-and-carbon.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tta_otel import semconv
from tta_otel.ai import ModelStats, rank_models
from tta_otel.ops.reports.prometheus import PeriodQueries, PrometheusClient
from tta_otel.semconv import prometheus_label

_ENERGY = semconv.TTA_ENERGY.prometheus
_EMISSIONS = semconv.TTA_CARBON_EMISSIONS.prometheus
_INTENSITY = semconv.TTA_CARBON_INTENSITY.prometheus
_BUDGET = semconv.TTA_CARBON_BUDGET.prometheus
_OPERATION_DURATION = semconv.GEN_AI_CLIENT_OPERATION_DURATION
_TOKEN_USAGE = semconv.GEN_AI_CLIENT_TOKEN_USAGE
_MODEL = prometheus_label(semconv.GEN_AI_REQUEST_MODEL)
_SOURCE = prometheus_label(semconv.TTA_ENERGY_SOURCE)
_COMPONENT = prometheus_label(semconv.TTA_COMPONENT)
_ERROR_TYPE = prometheus_label(semconv.ERROR_TYPE)

SMALLER_MODEL_MIN_SAVING = 0.25
"""Suggest a model that emits at least 25 % less per 1,000 tokens..."""
SMALLER_MODEL_MAX_SLOWDOWN = 1.2
"""...whose mean latency is at most 20 % higher..."""
SMALLER_MODEL_MAX_EXTRA_ERRORS = 0.01
"""...and whose error rate is at most one percentage point higher."""
IDLE_GPU_MAX_SHARE = 0.3
"""Flag GPUs that spend more than 30 % of their energy with no model call running."""
BATCHING_MAX_TOKENS_PER_CALL = 200
BATCHING_MIN_CALLS = 100
"""Suggest batching for a model called at least 100 times with under 200 tokens per call."""
GREEN_GRID_G_PER_KWH = 100.0
GREENER_REGION_ABOVE_G_PER_KWH = 200.0
"""Suggest a greener region when the grid emits over 200 g/kWh (low-carbon grids are under 100)."""
TREND_ALERT_RISE = 0.2
"""Point out emissions that rose by more than 20 % against the previous period."""


@dataclass(frozen=True)
class Share:
    """One component's or one energy source's part of the period's footprint."""

    name: str
    energy_j: float
    emissions_g: float
    share: float


@dataclass(frozen=True)
class ModelFootprint:
    model: str
    energy_j: float
    emissions_g: float
    share: float
    calls: int
    tokens: int
    g_per_1k_tokens: float | None
    mean_latency_s: float | None
    error_rate: float | None


@dataclass(frozen=True)
class Recommendation:
    rule: str
    message: str


@dataclass(frozen=True)
class RankedCandidate:
    model: str
    score: float | None


@dataclass(frozen=True)
class CarbonReport:
    start: str
    end: str
    period_s: float
    energy_j: float
    emissions_g: float
    previous_emissions_g: float | None
    trend: float | None
    intensity_g_per_kwh: float | None
    daily_emissions_g: float
    daily_budget_g: float | None
    idle_gpu_share: float | None
    by_component: list[Share] = field(default_factory=list)
    by_source: list[Share] = field(default_factory=list)
    by_model: list[ModelFootprint] = field(default_factory=list)
    ranking: list[RankedCandidate] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)


class _Queries(PeriodQueries):
    """The PromQL of one report period, evaluated at its end."""

    def _selector(self, selector: str) -> str:
        return ",".join(part for part in (self._scope, selector) if part)

    def increase(
        self, metric: str, by: str | None = None, selector: str = "", offset: bool = False
    ) -> dict[str, float]:
        grouping = f" by ({by})" if by else ""
        shift = f" offset {self._range}" if offset else ""
        promql = f"sum{grouping} (increase({metric}{{{self._selector(selector)}}}[{self._range}]{shift}))"
        return {
            (sample.labels.get(by, "") if by else ""): sample.value for sample in self._client.query(promql, self._end)
        }

    def total(self, metric: str, selector: str = "", offset: bool = False) -> float | None:
        return self.increase(metric, selector=selector, offset=offset).get("")

    def latest(self, metric: str) -> float | None:
        return self._client.scalar(f"max(last_over_time({metric}{{{self._scope}}}[{self._range}]))", self._end)

    def fleet_budget(self) -> float | None:
        """The components' daily budgets added up (every instance of a component reports the same one)."""
        latest = f"last_over_time({_BUDGET}{{{self._scope}}}[{self._range}])"
        return self._client.scalar(f"sum(max by ({_COMPONENT}) ({latest}))", self._end)


def _shares(energy: dict[str, float], emissions: dict[str, float], total_g: float) -> list[Share]:
    rows = [
        Share(name or "unknown", energy.get(name, 0.0), grams, grams / total_g if total_g else 0.0)
        for name, grams in emissions.items()
    ]
    return sorted(rows, key=lambda row: row.emissions_g, reverse=True)


def _models(queries: _Queries, total_g: float) -> list[ModelFootprint]:
    model = _MODEL
    energy = queries.increase(_ENERGY, model, f'{model}!=""')
    emissions = queries.increase(_EMISSIONS, model, f'{model}!=""')
    tokens = queries.increase(_TOKEN_USAGE.prometheus_sum, model)
    calls = queries.increase(_OPERATION_DURATION.prometheus_count, model)
    seconds = queries.increase(_OPERATION_DURATION.prometheus_sum, model)
    errors = queries.increase(_OPERATION_DURATION.prometheus_count, model, f'{_ERROR_TYPE}!=""')
    footprints = []
    for name in sorted(set(emissions) | set(calls)):
        count = round(calls.get(name, 0.0))
        token_count = round(tokens.get(name, 0.0))
        grams = emissions.get(name, 0.0)
        footprints.append(
            ModelFootprint(
                model=name,
                energy_j=energy.get(name, 0.0),
                emissions_g=grams,
                share=grams / total_g if total_g else 0.0,
                calls=count,
                tokens=token_count,
                g_per_1k_tokens=grams * 1000 / token_count if token_count and name in emissions else None,
                mean_latency_s=seconds.get(name, 0.0) / count if count else None,
                error_rate=errors.get(name, 0.0) / count if count else None,
            )
        )
    return sorted(footprints, key=lambda row: row.emissions_g, reverse=True)


def _as_stats(footprint: ModelFootprint) -> ModelStats:
    error_rate = footprint.error_rate or 0.0
    return ModelStats(
        footprint.model,
        calls=footprint.calls,
        errors=round(error_rate * footprint.calls),
        duration_s=(footprint.mean_latency_s or 0.0) * footprint.calls,
        output_tokens=footprint.tokens,
        energy_j=footprint.energy_j,
        emissions_g=footprint.emissions_g if footprint.g_per_1k_tokens is not None else 0.0,
    )


def _smaller_models(models: list[ModelFootprint]) -> list[Recommendation]:
    measured = [
        (m, m.g_per_1k_tokens, m.mean_latency_s, m.error_rate or 0.0)
        for m in models
        if m.g_per_1k_tokens and m.mean_latency_s is not None
    ]
    found = []
    for current, grams, latency, errors in measured:
        for other, other_grams, other_latency, other_errors in sorted(measured, key=lambda row: row[1] or 0.0):
            saving = 1 - (other_grams or 0.0) / (grams or 1.0)
            if (
                saving >= SMALLER_MODEL_MIN_SAVING
                and (other_latency or 0.0) <= (latency or 0.0) * SMALLER_MODEL_MAX_SLOWDOWN
                and other_errors <= errors + SMALLER_MODEL_MAX_EXTRA_ERRORS
            ):
                found.append(
                    Recommendation(
                        "smaller-model",
                        f"{other.model} emits {saving:.0%} less CO2e per 1,000 tokens than {current.model} "
                        f"at similar latency ({other_latency:.2f} s vs {latency:.2f} s) and error rate: "
                        "consider it for the same prompts.",
                    )
                )
                break
    return found


def recommend(report: CarbonReport) -> list[Recommendation]:
    """The documented rules, in a fixed order."""
    found = _smaller_models(report.by_model)
    for model in report.by_model:
        if model.calls >= BATCHING_MIN_CALLS and model.tokens / model.calls < BATCHING_MAX_TOKENS_PER_CALL:
            found.append(
                Recommendation(
                    "batching",
                    f"{model.model} served {model.calls} calls of {model.tokens / model.calls:.0f} tokens on "
                    "average: batching small requests cuts per-call overhead and idle GPU time.",
                )
            )
    if report.idle_gpu_share is not None and report.idle_gpu_share > IDLE_GPU_MAX_SHARE:
        found.append(
            Recommendation(
                "idle-gpu",
                f"{report.idle_gpu_share:.0%} of GPU energy was used with no model call running: "
                "scale GPU capacity down or consolidate models onto fewer GPUs.",
            )
        )
    intensity = report.intensity_g_per_kwh
    if intensity is not None and intensity > GREENER_REGION_ABOVE_G_PER_KWH:
        found.append(
            Recommendation(
                "greener-region",
                f"the grid emits {intensity:.0f} gCO2e/kWh: a region under {GREEN_GRID_G_PER_KWH:.0f} g/kWh "
                f"would cut these emissions by at least {1 - GREEN_GRID_G_PER_KWH / intensity:.0%}.",
            )
        )
    if report.daily_budget_g is not None and report.daily_emissions_g > report.daily_budget_g:
        found.append(
            Recommendation(
                "over-budget",
                f"{report.daily_emissions_g:.1f} gCO2e per day exceeds the daily budget of "
                f"{report.daily_budget_g:.1f} g by {report.daily_emissions_g / report.daily_budget_g - 1:.0%}.",
            )
        )
    if report.trend is not None and report.trend > TREND_ALERT_RISE:
        found.append(
            Recommendation(
                "rising-emissions",
                f"emissions rose {report.trend:.0%} against the previous period: look at the models and "
                "components that grew.",
            )
        )
    return found


def build_carbon_report(
    client: PrometheusClient,
    period: timedelta,
    end: datetime | None = None,
    daily_budget_g: float | None = None,
    environment: str | None = None,
) -> CarbonReport:
    """Query Prometheus for the period that ends at ``end`` (now by default) and apply the rules.

    ``environment`` limits every query to one ``deployment.environment.name``.
    """
    end = end or datetime.now(UTC)
    queries = _Queries(client, period, end, environment)
    energy = queries.total(_ENERGY) or 0.0
    emissions = queries.total(_EMISSIONS) or 0.0
    previous = queries.total(_EMISSIONS, offset=True)
    gpu_total = queries.total(_ENERGY, f'{_SOURCE}="gpu"')
    gpu_idle = queries.total(_ENERGY, f'{_SOURCE}="gpu",{_MODEL}=""')
    models = _models(queries, emissions)
    report = CarbonReport(
        start=(end - period).isoformat(),
        end=end.isoformat(),
        period_s=period.total_seconds(),
        energy_j=energy,
        emissions_g=emissions,
        previous_emissions_g=previous,
        trend=emissions / previous - 1 if previous else None,
        intensity_g_per_kwh=queries.latest(_INTENSITY),
        daily_emissions_g=emissions * timedelta(days=1) / period,
        daily_budget_g=daily_budget_g if daily_budget_g is not None else queries.fleet_budget(),
        idle_gpu_share=(gpu_idle or 0.0) / gpu_total if gpu_total else None,
        by_component=_shares(
            queries.increase(_ENERGY, _COMPONENT),
            queries.increase(_EMISSIONS, _COMPONENT),
            emissions,
        ),
        by_source=_shares(queries.increase(_ENERGY, _SOURCE), queries.increase(_EMISSIONS, _SOURCE), emissions),
        by_model=models,
        ranking=[
            RankedCandidate(r.model, r.score)
            for r in rank_models([m.model for m in models], {m.model: _as_stats(m) for m in models})
        ],
    )
    return CarbonReport(**{**report.__dict__, "recommendations": recommend(report)})
