"""TTA AI and carbon: model calls (latency, tokens, errors), the GPUs that serve them, and the
energy and emissions of every component against its daily budget (docs/ai-and-carbon.md)."""

from __future__ import annotations

from typing import Final

from grafana_foundation_sdk.models import dashboard as model

from tta_otel import semconv
from tta_otel.ops.dashboards.common import (
    COMPONENT,
    Look,
    Panel,
    Query,
    dashboard,
    graph,
    grid,
    increase,
    quantile,
    rate,
    selector,
    single,
    thresholds,
)
from tta_otel.semconv import prometheus_label

OPERATION_DURATION: Final = semconv.GEN_AI_CLIENT_OPERATION_DURATION.prometheus
TOKEN_USAGE: Final = semconv.GEN_AI_CLIENT_TOKEN_USAGE.prometheus
MODEL: Final = prometheus_label(semconv.GEN_AI_REQUEST_MODEL)
GPU_UTILIZATION: Final = semconv.HW_GPU_UTILIZATION.prometheus
GPU_MEMORY_USED: Final = semconv.HW_GPU_MEMORY_USAGE.prometheus
GPU_MEMORY_LIMIT: Final = semconv.HW_GPU_MEMORY_LIMIT.prometheus
GPU_TEMPERATURE: Final = semconv.HW_TEMPERATURE.prometheus
HW_POWER: Final = semconv.HW_POWER.prometheus
HW_ENERGY: Final = semconv.HW_ENERGY.prometheus
ENERGY: Final = semconv.TTA_ENERGY.prometheus
EMISSIONS: Final = semconv.TTA_CARBON_EMISSIONS.prometheus
INTENSITY: Final = semconv.TTA_CARBON_INTENSITY.prometheus
BUDGET: Final = semconv.TTA_CARBON_BUDGET.prometheus
SOURCE: Final = prometheus_label(semconv.TTA_ENERGY_SOURCE)

UID: Final = "tta-ai-carbon"
_GPU = f"{COMPONENT}, hw_name"


def _models() -> list[Panel]:
    calls = rate(f"{OPERATION_DURATION}_count", by=MODEL)
    failed = rate(f"{OPERATION_DURATION}_count", 'error_type!=""', by=MODEL)
    return [
        graph(
            "Inference latency p95 by model",
            Look("95th percentile of gen_ai.client.operation.duration per requested model.", "s", width=8),
            Query(quantile(0.95, OPERATION_DURATION, by=MODEL), "{{gen_ai_request_model}}"),
        ),
        graph(
            "Tokens by model",
            Look("Tokens per second per model, input and output.", "suffix: tokens/s", width=8),
            Query(
                rate(f"{TOKEN_USAGE}_sum", by=f"{MODEL}, gen_ai_token_type"),
                "{{gen_ai_request_model}} {{gen_ai_token_type}}",
            ),
        ),
        graph(
            "Model call error ratio",
            Look(
                "Share of model calls that failed (error.type set), per model.",
                "percentunit",
                thresholds("green", (0.05, "red")),
                width=8,
                min=0,
            ),
            Query(f"({failed} or 0 * {calls}) / {calls}", "{{gen_ai_request_model}}"),
        ),
    ]


def _gpus() -> list[Panel]:
    return [
        graph(
            "GPU utilisation",
            Look(
                "Share of time the GPU was busy (NVML), per GPU.",
                "percentunit",
                thresholds("green", (0.9, "orange")),
                width=8,
                min=0,
                max=1,
            ),
            Query(f"avg by ({_GPU}) ({GPU_UTILIZATION}{selector()})", "{{tta_component}} {{hw_name}}"),
        ),
        graph(
            "GPU memory in use",
            Look(
                "GPU memory used over its total, per GPU.",
                "percentunit",
                thresholds("green", (0.9, "red")),
                width=8,
                min=0,
                max=1,
            ),
            Query(
                f"sum by ({_GPU}) ({GPU_MEMORY_USED}{selector()}) / sum by ({_GPU}) ({GPU_MEMORY_LIMIT}{selector()})",
                "{{tta_component}} {{hw_name}}",
            ),
        ),
        graph(
            "GPU temperature",
            Look("GPU temperature per GPU.", "celsius", thresholds("green", (80, "orange"), (90, "red")), width=8),
            Query(f"max by ({_GPU}) ({GPU_TEMPERATURE}{selector()})", "{{tta_component}} {{hw_name}}"),
        ),
        graph(
            "GPU power",
            Look("Power drawn per GPU (NVML).", "watt", width=12, min=0),
            Query(f"sum by ({_GPU}) ({HW_POWER}{selector()})", "{{tta_component}} {{hw_name}}"),
        ),
        single(
            "GPU energy",
            Look("Energy the GPUs drew over the dashboard's time range (NVML's energy counter).", "joule", width=12),
            Query(increase(HW_ENERGY, by=COMPONENT), "{{tta_component}}", instant=True),
        ),
    ]


def _carbon() -> list[Panel]:
    emitted_today = increase(EMISSIONS, by=COMPONENT, window="1d")
    budget = f"sum by ({COMPONENT}) ({BUDGET}{selector()})"
    tokens = increase(f"{TOKEN_USAGE}_sum", by=MODEL)
    attributed = increase(EMISSIONS, f'{MODEL}!=""', by=MODEL)
    return [
        graph(
            "Emissions per day against the budget",
            Look(
                "gCO2e over the 24 hours before each point, per component, and the component's daily budget "
                "(monitoring.carbon.daily_budget_g; above it for 15 minutes fires TTACarbonDailyBudgetExceeded).",
                "massg",
                width=16,
                min=0,
            ),
            Query(emitted_today, "{{tta_component}}"),
            Query(budget, "{{tta_component}} budget"),
        ),
        single(
            "Daily budget used",
            Look(
                "Emissions of the last 24 hours over the daily budget, per component.",
                "percentunit",
                thresholds("green", (0.8, "orange"), (1.0, "red")),
                width=8,
            ),
            Query(f"{emitted_today} / {budget}", "{{tta_component}}"),
        ),
        graph(
            "Power by energy source",
            Look(
                "Energy drawn per second (W) by source: gpu, cpu, memory, remote models; PUE included.",
                "watt",
                width=12,
                min=0,
            ),
            Query(rate(ENERGY, by=SOURCE), "{{tta_energy_source}}"),
        ),
        grid(
            "gCO2e per 1,000 tokens by model",
            Look(
                "Emissions attributed to each model over its tokens, over the dashboard's time range "
                "(GPU energy of the calls, or the provider's Wh per 1,000 tokens for remote models).",
                "massg",
                width=6,
            ),
            Query(f"1000 * {attributed} / {tokens}", instant=True),
        ),
        single(
            "Grid carbon intensity",
            Look("The intensity each component uses (monitoring.carbon), in gCO2e per kWh.", "suffix: g/kWh", width=6),
            Query(f"max by ({COMPONENT}) ({INTENSITY}{selector()})", "{{tta_component}}"),
        ),
    ]


def build() -> model.Dashboard:
    return dashboard(
        UID,
        "TTA AI and carbon",
        "Model calls, GPUs, energy and emissions against the daily budget (docs/ai-and-carbon.md).",
        [("Model calls", _models()), ("GPUs", _gpus()), ("Energy and carbon", _carbon())],
    )
