"""``inference``: one model call as a GenAI CLIENT span and the GenAI client metrics.

TTA calls language models from many places; wrapping each call site in
``with inference(model=..., provider=...) as call:`` gives every call the same span name,
attributes, histograms and error handling, whatever client library is used. Prompts and
completions are never recorded: ``inference`` takes no content, and an attribute that the
privacy policy drops (``gen_ai.prompt``, ``gen_ai.input.messages``...) is refused here
before it reaches the span, and again by the exporters.
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from contextvars import Token
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, cast

from opentelemetry import context as context_api
from opentelemetry import metrics, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from tta_otel import __version__, instruments, semconv
from tta_otel.ai.activity import ModelActivity, model_activity
from tta_otel.error_type import error_type
from tta_otel.privacy import KeyAction, active_redactor

_logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

_SCOPE = "tta_otel.ai"


def _allowed(key: str) -> bool:
    """False for keys the privacy policy drops: content must not even reach the span."""
    return active_redactor().decide(key).action is not KeyAction.DROP


class GenAIClientTelemetry:
    """The tracer and instruments for model calls, bound to one pair of providers.

    The module-level ``inference`` uses the global providers (what ``opentelemetry-instrument``
    installs); tests and applications with their own providers build one of these.
    """

    def __init__(
        self,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
        activity: ModelActivity = model_activity,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tracer = trace.get_tracer(_SCOPE, __version__, tracer_provider)
        meter = metrics.get_meter(_SCOPE, __version__, meter_provider)
        self.duration = instruments.histogram(meter, semconv.GEN_AI_CLIENT_OPERATION_DURATION)
        self.token_usage = instruments.histogram(meter, semconv.GEN_AI_CLIENT_TOKEN_USAGE)
        self.time_to_first_chunk = instruments.histogram(meter, semconv.GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK)
        self.activity = activity
        self.clock = clock

    def inference(
        self,
        *,
        model: str,
        provider: str,
        operation: str = "chat",
        attributes: Mapping[str, AttributeValue] | None = None,
    ) -> Inference:
        """One model call: use as ``with``, ``async with`` or as a decorator."""
        return Inference(self, model=model, provider=provider, operation=operation, attributes=attributes)


class InferenceCall:
    """What ``with inference(...) as call`` yields: the call's usage, response and stream timing."""

    def __init__(self, span: Span, telemetry: GenAIClientTelemetry, started: float) -> None:
        self._span = span
        self._telemetry = telemetry
        self._started = started
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.response_model: str | None = None
        self.error_type: str | None = None
        self.first_chunk_s: float | None = None

    def record_usage(
        self,
        *,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        cached_input_tokens: int | None = None,
    ) -> None:
        """Token counts as the provider billed them; each may be given once or left out."""
        if input_tokens is not None:
            self.input_tokens = input_tokens
            self._span.set_attribute(semconv.GEN_AI_USAGE_INPUT_TOKENS, input_tokens)
        if output_tokens is not None:
            self.output_tokens = output_tokens
            self._span.set_attribute(semconv.GEN_AI_USAGE_OUTPUT_TOKENS, output_tokens)
        if cached_input_tokens is not None:
            self._span.set_attribute(semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, cached_input_tokens)

    def record_first_token(self) -> None:
        """Mark the first chunk of a streamed response; later calls are ignored."""
        if self.first_chunk_s is None:
            self.first_chunk_s = self._telemetry.clock() - self._started
            self._span.set_attribute(semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, self.first_chunk_s)

    def record_response(
        self, *, model: str | None = None, response_id: str | None = None, finish_reasons: list[str] | None = None
    ) -> None:
        """What the provider answered with, besides content: the exact model, the id, why it stopped."""
        if model is not None:
            self.response_model = model
            self._span.set_attribute(semconv.GEN_AI_RESPONSE_MODEL, model)
        if response_id is not None:
            self._span.set_attribute(semconv.GEN_AI_RESPONSE_ID, response_id)
        if finish_reasons is not None:
            self._span.set_attribute(semconv.GEN_AI_RESPONSE_FINISH_REASONS, finish_reasons)

    def record_error(self, error_type: str) -> None:
        """An error the client reported without raising (for example a refused request)."""
        self.error_type = error_type

    def set_attribute(self, key: str, value: AttributeValue) -> None:
        """An extra span attribute; keys the privacy policy drops (content) are refused."""
        if _allowed(key):
            self._span.set_attribute(key, value)


class Inference:
    """The context manager and decorator behind ``tta_otel.ai.inference``."""

    def __init__(
        self,
        telemetry: GenAIClientTelemetry,
        *,
        model: str,
        provider: str,
        operation: str,
        attributes: Mapping[str, AttributeValue] | None,
    ) -> None:
        self._telemetry = telemetry
        self._model = model
        self._provider = provider
        self._operation = operation
        self._attributes = attributes
        self._call: InferenceCall | None = None
        self._span: Span | None = None
        self._token: Token[context_api.Context] | None = None
        self._handle = 0

    def _start(self) -> InferenceCall:
        span_attributes: dict[str, AttributeValue] = {
            key: value for key, value in (self._attributes or {}).items() if _allowed(key)
        }
        span_attributes.update(
            {
                semconv.GEN_AI_OPERATION_NAME: self._operation,
                semconv.GEN_AI_PROVIDER_NAME: self._provider,
                semconv.GEN_AI_REQUEST_MODEL: self._model,
            }
        )
        self._span = self._telemetry.tracer.start_span(
            f"{self._operation} {self._model}", kind=SpanKind.CLIENT, attributes=span_attributes
        )
        self._token = context_api.attach(trace.set_span_in_context(self._span))
        started = self._telemetry.clock()
        self._handle = self._telemetry.activity.started(self._model, started)
        self._call = InferenceCall(self._span, self._telemetry, started)
        return self._call

    def _finish(self, exc: BaseException | None) -> None:
        call, span = self._call, self._span
        assert call is not None and span is not None and self._token is not None
        try:
            ended = self._telemetry.clock()
            if exc is not None:
                call.error_type = error_type(exc)
                span.record_exception(exc)
            if call.error_type is not None:
                span.set_attribute(semconv.ERROR_TYPE, call.error_type)
                span.set_status(Status(StatusCode.ERROR))
            self._record_metrics(call, ended - call._started)
            self._telemetry.activity.finished(
                self._handle,
                ended,
                failed=call.error_type is not None,
                input_tokens=call.input_tokens or 0,
                output_tokens=call.output_tokens or 0,
            )
        except Exception:  # telemetry must never break the model call
            _logger.debug("tta_otel: recording a model call failed", exc_info=True)
        finally:
            context_api.detach(self._token)
            span.end()

    def _record_metrics(self, call: InferenceCall, duration_s: float) -> None:
        attributes: dict[str, AttributeValue] = {
            semconv.GEN_AI_OPERATION_NAME: self._operation,
            semconv.GEN_AI_PROVIDER_NAME: self._provider,
            semconv.GEN_AI_REQUEST_MODEL: self._model,
        }
        if call.response_model is not None:
            attributes[semconv.GEN_AI_RESPONSE_MODEL] = call.response_model
        if call.error_type is not None:
            attributes[semconv.ERROR_TYPE] = call.error_type
        telemetry = self._telemetry
        telemetry.duration.record(duration_s, attributes)
        if call.first_chunk_s is not None:
            telemetry.time_to_first_chunk.record(call.first_chunk_s, attributes)
        for token_type, count in (
            (semconv.GEN_AI_TOKEN_TYPE_INPUT, call.input_tokens),
            (semconv.GEN_AI_TOKEN_TYPE_OUTPUT, call.output_tokens),
        ):
            if count is not None:
                telemetry.token_usage.record(count, {**attributes, semconv.GEN_AI_TOKEN_TYPE: token_type})

    def __enter__(self) -> InferenceCall:
        return self._start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._finish(exc)

    async def __aenter__(self) -> InferenceCall:
        return self._start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._finish(exc)

    def _fresh(self) -> Inference:
        return Inference(
            self._telemetry,
            model=self._model,
            provider=self._provider,
            operation=self._operation,
            attributes=self._attributes,
        )

    def __call__(self, function: Callable[P, R]) -> Callable[P, R]:
        """Decorate a sync or async function; each call gets its own span. The function cannot
        see the ``InferenceCall``: use the context manager when usage must be recorded."""
        if inspect.iscoroutinefunction(function):
            async_function = cast(Callable[P, Awaitable[Any]], function)

            @functools.wraps(function)
            async def run_async(*args: P.args, **kwargs: P.kwargs) -> Any:
                async with self._fresh():
                    return await async_function(*args, **kwargs)

            return cast(Callable[P, R], run_async)

        @functools.wraps(function)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            with self._fresh():
                return function(*args, **kwargs)

        return run


@functools.cache
def _default_telemetry() -> GenAIClientTelemetry:
    """Bound to the global providers, which may be installed after this module is imported."""
    return GenAIClientTelemetry()


def inference(
    *, model: str, provider: str, operation: str = "chat", attributes: Mapping[str, AttributeValue] | None = None
) -> Inference:
    """Wrap one model call in a GenAI CLIENT span and the GenAI client metrics.

    ``with inference(model="gpt-4o-mini", provider="openai") as call:`` then
    ``call.record_usage(input_tokens=..., output_tokens=...)``; ``call.record_first_token()``
    for streams. Exceptions raised inside are recorded (``error.type``) and re-raised.
    """
    return _default_telemetry().inference(model=model, provider=provider, operation=operation, attributes=attributes)
