"""``db.client.operation.duration`` for redis-py (sync and asyncio), which the contrib redis
instrumentation does not record: it makes spans only, and dashboards need Redis latency and
error rates as metrics.

``opentelemetry-instrument`` enables it (entry point ``redis_metrics``); by hand::

    from tta_otel.instrumentation.redis.metrics import RedisMetricsInstrumentor

    RedisMetricsInstrumentor().instrument(meter_provider=meter_provider)

Every command (``Redis.execute_command``) and every pipeline (``Pipeline.execute``, operation
``PIPELINE``) records its duration with ``db.system.name=redis``, ``db.operation.name`` (the
command name), ``db.namespace`` (the database index), ``server.address``, ``server.port`` and,
when it raised, ``error.type``. Keys and values are never recorded. Nothing is recorded
inside ``opentelemetry.instrumentation.utils.suppress_instrumentation()``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from typing import Any, Final

import redis.asyncio.client
import redis.client
from opentelemetry import metrics
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.utils import is_instrumentation_enabled, unwrap
from opentelemetry.metrics import Histogram
from wrapt import wrap_function_wrapper

from tta_otel import __version__, instruments
from tta_otel.error_type import error_type
from tta_otel.instrumentation.redis.package import _instruments
from tta_otel.instrumentation.redis.util import server_attributes
from tta_otel.semconv import REDIS_CLIENT_OPERATION_DURATION

_COMMAND_NAME_LIMIT = 32
_TARGETS: Final = (
    (redis.client.Redis, "execute_command", False),
    (redis.client.Pipeline, "execute", False),
    (redis.asyncio.client.Redis, "execute_command", True),
    (redis.asyncio.client.Pipeline, "execute", True),
)

_logger = logging.getLogger(__name__)


def _attributes(instance: Any, args: tuple[Any, ...], pipeline: bool) -> dict[str, Any]:
    """The operation's attributes; whatever cannot be read is left out."""
    attributes: dict[str, Any] = {"db.system.name": "redis"}
    if pipeline:
        attributes["db.operation.name"] = "PIPELINE"
    elif args:
        name = args[0].decode(errors="replace") if isinstance(args[0], bytes) else str(args[0])
        attributes["db.operation.name"] = name.upper()[:_COMMAND_NAME_LIMIT]
    kwargs = getattr(getattr(instance, "connection_pool", None), "connection_kwargs", None) or {}
    attributes.update(server_attributes(kwargs))
    return attributes


def _record(
    histogram: Histogram,
    started: float,
    instance: Any,
    args: tuple[Any, ...],
    pipeline: bool,
    exception: BaseException | None,
) -> None:
    try:
        attributes = _attributes(instance, args, pipeline)
        if exception is not None:
            attributes["error.type"] = error_type(exception)
        histogram.record(time.perf_counter() - started, attributes)
    except Exception:  # telemetry must never break a Redis call
        _logger.debug("tta_otel: recording a Redis operation failed", exc_info=True)


def _sync_wrapper(histogram: Histogram, pipeline: bool) -> Callable[..., Any]:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not is_instrumentation_enabled():
            return wrapped(*args, **kwargs)
        started = time.perf_counter()
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            _record(histogram, started, instance, args, pipeline, exc)
            raise
        _record(histogram, started, instance, args, pipeline, None)
        return result

    return wrapper


def _async_wrapper(histogram: Histogram, pipeline: bool) -> Callable[..., Any]:
    async def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not is_instrumentation_enabled():
            return await wrapped(*args, **kwargs)
        started = time.perf_counter()
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            _record(histogram, started, instance, args, pipeline, exc)
            raise
        _record(histogram, started, instance, args, pipeline, None)
        return result

    return wrapper


class RedisMetricsInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Records ``db.client.operation.duration`` for every redis-py command and pipeline."""

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def _instrument(self, **kwargs: Any) -> None:
        meter = metrics.get_meter(__name__, __version__, kwargs.get("meter_provider"))
        histogram = instruments.histogram(meter, REDIS_CLIENT_OPERATION_DURATION)
        for cls, method, is_async in _TARGETS:
            pipeline = method == "execute"
            wrapper = _async_wrapper(histogram, pipeline) if is_async else _sync_wrapper(histogram, pipeline)
            wrap_function_wrapper(cls, method, wrapper)

    def _uninstrument(self, **kwargs: Any) -> None:
        for cls, method, _ in _TARGETS:
            unwrap(cls, method)
