"""Specification of ``tta_otel.ai.inference``: GenAI CLIENT spans and client metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from faker import Faker
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from tta_otel.ai import GenAIClientTelemetry, ModelActivity
from tta_otel.testing.metrics import histogram_points, metrics


class ManualClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class ProviderRefusedError(Exception):
    """Stands for a client library's error class."""


@dataclass
class Recorded:
    telemetry: GenAIClientTelemetry
    spans: InMemorySpanExporter
    metrics: InMemoryMetricReader
    clock: ManualClock
    activity: ModelActivity

    def span(self) -> ReadableSpan:
        (span,) = self.spans.get_finished_spans()
        return span

    def points(self, name: str) -> list[HistogramDataPoint]:
        return histogram_points(self.metrics.get_metrics_data(), name)

    def unit(self, name: str) -> str | None:
        return metrics(self.metrics.get_metrics_data())[name].unit


@pytest.fixture
def recorded() -> Iterator[Recorded]:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    clock = ManualClock()
    activity = ModelActivity()
    yield Recorded(
        GenAIClientTelemetry(tracer_provider, meter_provider, activity, clock), spans, reader, clock, activity
    )
    meter_provider.shutdown()


BASE_METRIC_ATTRIBUTES = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
}


def _call(recorded: Recorded, seconds: float = 1.5, **usage: int) -> None:
    with recorded.telemetry.inference(model="gpt-4o-mini", provider="openai") as call:
        recorded.clock.now += seconds
        call.record_response(model="gpt-4o-mini-2024-07-18", response_id="chatcmpl-1", finish_reasons=["stop"])
        call.record_usage(**usage)


def test_a_call_is_one_client_span_named_after_operation_and_model(recorded: Recorded) -> None:
    _call(recorded, input_tokens=120, output_tokens=45, cached_input_tokens=100)

    span = recorded.span()
    assert span.name == "chat gpt-4o-mini"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert dict(span.attributes or {}) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.response.id": "chatcmpl-1",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 120,
        "gen_ai.usage.output_tokens": 45,
        "gen_ai.usage.cache_read.input_tokens": 100,
    }


def test_operation_duration_is_recorded_in_seconds_with_the_conventions_buckets(recorded: Recorded) -> None:
    _call(recorded, seconds=1.5)

    (point,) = recorded.points("gen_ai.client.operation.duration")
    assert recorded.unit("gen_ai.client.operation.duration") == "s"
    assert point.sum == 1.5
    assert point.count == 1
    assert tuple(point.explicit_bounds) == (
        0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
    )  # fmt: skip
    assert dict(point.attributes or {}) == {**BASE_METRIC_ATTRIBUTES, "gen_ai.response.model": "gpt-4o-mini-2024-07-18"}


def test_token_usage_is_one_point_per_token_type_with_the_conventions_buckets(recorded: Recorded) -> None:
    _call(recorded, input_tokens=120, output_tokens=45)

    points = {dict(p.attributes or {})["gen_ai.token.type"]: p for p in recorded.points("gen_ai.client.token.usage")}
    assert recorded.unit("gen_ai.client.token.usage") == "{token}"
    assert {kind: (p.sum, p.count) for kind, p in points.items()} == {"input": (120, 1), "output": (45, 1)}
    assert tuple(points["input"].explicit_bounds) == (
        1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
    )  # fmt: skip
    assert dict(points["output"].attributes or {}) == {
        **BASE_METRIC_ATTRIBUTES,
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.token.type": "output",
    }


def test_no_token_usage_is_recorded_when_the_provider_reported_none(recorded: Recorded) -> None:
    _call(recorded)

    assert recorded.points("gen_ai.client.token.usage") == []


def test_an_exception_is_recorded_with_error_type_and_reraised(recorded: Recorded) -> None:
    with pytest.raises(ProviderRefusedError), recorded.telemetry.inference(model="gpt-4o-mini", provider="openai"):
        recorded.clock.now += 0.25
        raise ProviderRefusedError("rate limited")

    span = recorded.span()
    error_type = f"{__name__}.ProviderRefusedError"
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})["error.type"] == error_type
    assert [event.name for event in span.events] == ["exception"]
    (point,) = recorded.points("gen_ai.client.operation.duration")
    assert dict(point.attributes or {}) == {**BASE_METRIC_ATTRIBUTES, "error.type": error_type}
    assert point.sum == 0.25


def test_a_builtin_exception_keeps_its_short_name(recorded: Recorded) -> None:
    with pytest.raises(TimeoutError), recorded.telemetry.inference(model="gpt-4o-mini", provider="openai"):
        raise TimeoutError

    assert (recorded.span().attributes or {})["error.type"] == "TimeoutError"


def test_an_error_reported_without_raising_marks_the_call_failed(recorded: Recorded) -> None:
    with recorded.telemetry.inference(model="gpt-4o-mini", provider="openai") as call:
        call.record_error("content_filter")

    assert recorded.span().status.status_code is StatusCode.ERROR
    assert (recorded.span().attributes or {})["error.type"] == "content_filter"


def test_the_first_streamed_chunk_sets_time_to_first_chunk_once(recorded: Recorded) -> None:
    with recorded.telemetry.inference(model="llama-3.1-8b", provider="vllm") as call:
        recorded.clock.now += 0.3
        call.record_first_token()
        recorded.clock.now += 2.0
        call.record_first_token()

    assert (recorded.span().attributes or {})["gen_ai.response.time_to_first_chunk"] == pytest.approx(0.3)
    (point,) = recorded.points("gen_ai.client.operation.time_to_first_chunk")
    assert point.sum == pytest.approx(0.3)
    assert recorded.unit("gen_ai.client.operation.time_to_first_chunk") == "s"


def test_content_passed_as_attributes_never_reaches_the_span(recorded: Recorded, fake: Faker) -> None:
    prompt = f"My name is {fake.name()} and I feel hopeless"
    with recorded.telemetry.inference(
        model="gpt-4o-mini",
        provider="openai",
        attributes={"gen_ai.prompt": prompt, "gen_ai.input.messages": prompt, "server.port": 443},
    ) as call:
        call.set_attribute("gen_ai.completion", "You are not alone")
        call.set_attribute("gen_ai.output.messages", "You are not alone")
        call.set_attribute("server.address", "api.openai.com")

    attributes = dict(recorded.span().attributes or {})
    assert not any(
        key.startswith(("gen_ai.prompt", "gen_ai.completion", "gen_ai.input", "gen_ai.output")) for key in attributes
    )
    assert attributes["server.port"] == 443
    assert attributes["server.address"] == "api.openai.com"


def test_the_decorator_wraps_each_call_of_a_sync_function(recorded: Recorded) -> None:
    @recorded.telemetry.inference(model="gpt-4o-mini", provider="openai")
    def narrate(scene: str) -> str:
        return scene.upper()

    assert narrate("forest") == "FOREST"
    assert narrate("cave") == "CAVE"
    assert [span.name for span in recorded.spans.get_finished_spans()] == ["chat gpt-4o-mini"] * 2


def test_the_decorator_wraps_an_async_function_and_records_its_exception(recorded: Recorded) -> None:
    @recorded.telemetry.inference(model="claude-haiku", provider="anthropic", operation="text_completion")
    async def narrate() -> Any:
        raise ProviderRefusedError

    with pytest.raises(ProviderRefusedError):
        asyncio.run(narrate())

    span = recorded.span()
    assert span.name == "text_completion claude-haiku"
    assert (span.attributes or {})["error.type"] == f"{__name__}.ProviderRefusedError"


def test_async_with_is_supported(recorded: Recorded) -> None:
    async def call() -> None:
        async with recorded.telemetry.inference(model="gpt-4o-mini", provider="openai") as inference_call:
            inference_call.record_usage(output_tokens=7)

    asyncio.run(call())

    assert (recorded.span().attributes or {})["gen_ai.usage.output_tokens"] == 7


def test_the_span_is_current_inside_the_call(recorded: Recorded) -> None:
    from opentelemetry import trace

    with recorded.telemetry.inference(model="gpt-4o-mini", provider="openai"):
        inside = trace.get_current_span().get_span_context().span_id

    assert inside == recorded.span().context.span_id
    assert not trace.get_current_span().get_span_context().is_valid


def test_each_call_feeds_the_model_statistics(recorded: Recorded) -> None:
    _call(recorded, seconds=2.0, input_tokens=100, output_tokens=50)
    with pytest.raises(ProviderRefusedError), recorded.telemetry.inference(model="gpt-4o-mini", provider="openai"):
        recorded.clock.now += 1.0
        raise ProviderRefusedError

    stats = recorded.activity.stats()["gpt-4o-mini"]
    assert (stats.calls, stats.errors, stats.duration_s, stats.tokens) == (2, 1, 3.0, 150)


def test_a_failure_inside_recording_never_reaches_the_caller(
    recorded: Recorded, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("exporter bug")

    monkeypatch.setattr(recorded.telemetry.duration, "record", broken)

    with recorded.telemetry.inference(model="gpt-4o-mini", provider="openai"):
        pass

    assert recorded.span().name == "chat gpt-4o-mini"


def test_the_module_level_inference_uses_the_global_providers() -> None:
    from tta_otel.ai import inference

    with inference(model="gpt-4o-mini", provider="openai") as call:
        call.record_usage(input_tokens=1)

    assert call.input_tokens == 1
