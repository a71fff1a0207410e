"""Cost of ``tta_otel.ai.inference`` per call (µs) and of one energy/carbon collection (ms).

Model calls take hundreds of milliseconds, so what matters is that wrapping one costs a few
tens of microseconds. Baselines in the same run: the call with no telemetry, and the same
work done with a plain ``start_as_current_span`` (the span alone, no metrics). The carbon
collection reads the real CPU and memory sources of this process and a GPU through the
recorded NVML of tests/fakes/nvml.py (no GPU here), against a collection with no instruments.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from tests.fakes.nvml import FakeNvml
from tta_otel.ai import GenAIClientTelemetry, ModelActivity
from tta_otel.carbon import CarbonMeter
from tta_otel.carbon.rapl import RaplReader
from tta_otel.carbon.sources import CpuEnergy, GpuEnergy, MemoryEnergy
from tta_otel.hardware.gpu import GpuReader

ATTRIBUTES = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini"}


class _Discard(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def _best_us(call: Callable[[], None], calls: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(calls):
            call()
        best = min(best, time.perf_counter() - started)
    return round(best / calls * 1e6, 2)


def _inference(calls: int, repeats: int) -> dict[str, Any]:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(_Discard(), max_queue_size=100_000))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    telemetry = GenAIClientTelemetry(tracer_provider, meter_provider, ModelActivity())
    tracer = tracer_provider.get_tracer("bench")

    def wrapped() -> None:
        with telemetry.inference(model="gpt-4o-mini", provider="openai") as call:
            call.record_response(model="gpt-4o-mini-2024-07-18")
            call.record_usage(input_tokens=120, output_tokens=45)

    def plain_span() -> None:
        with tracer.start_as_current_span("chat gpt-4o-mini", attributes=ATTRIBUTES) as span:
            span.set_attribute("gen_ai.usage.input_tokens", 120)
            span.set_attribute("gen_ai.usage.output_tokens", 45)

    result = {
        "inference_us_per_call": _best_us(wrapped, calls, repeats),
        "plain_span_us_per_call_baseline": _best_us(plain_span, calls, repeats),
        "no_telemetry_us_per_call_baseline": _best_us(lambda: None, calls, repeats),
    }
    tracer_provider.shutdown()
    meter_provider.shutdown()
    return result


def _collection_ms(register: Callable[[MeterProvider, Callable[[], float]], None], collections: int) -> float:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader], shutdown_on_exit=False)
    now = [0.0]
    register(provider, lambda: now[0])
    started = time.perf_counter()
    for _ in range(collections):
        now[0] += 5.0  # one export interval: every source is sampled again
        reader.get_metrics_data()
    elapsed = time.perf_counter() - started
    provider.shutdown()
    return round(elapsed / collections * 1000, 4)


def _carbon(provider: MeterProvider, clock: Callable[[], float]) -> None:
    nvml = FakeNvml()
    nvml.nvmlInit()
    activity = ModelActivity()
    sources = [
        GpuEnergy(GpuReader(nvml, clock)),
        CpuEnergy(RaplReader.open(Path("/sys/class/powercap")), 85.0),
        MemoryEnergy(0.375),
    ]
    CarbonMeter(sources, g_per_kwh=480.0, pue=1.58, activity=activity, clock=clock).register(
        provider.get_meter("bench"), daily_budget_g=500.0
    )


def measure(calls: int = 20_000, repeats: int = 5, collections: int = 2_000) -> dict[str, Any]:
    return {
        **_inference(calls, repeats),
        "carbon_collection_ms": _collection_ms(_carbon, collections),
        "no_instruments_collection_ms_baseline": _collection_ms(lambda provider, clock: None, collections),
        "note": "GPU through the recorded NVML fake; CPU energy by the TDP model (RAPL is not readable here)",
    }


if __name__ == "__main__":
    import json

    print(json.dumps(measure(), indent=2))
