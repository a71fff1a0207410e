"""Cost per Redis command of the redis instrumentation as the tta_otel distro configures it (µs).

The example service's three commands (INCR, SET, RPUSH with a player's choice) against a
real redis-server on loopback, through the sync client so that the event loop's own cost
stays out. Baselines in the same run, interleaved repeat by repeat so that drift hits all
alike: the same commands with no instrumentation, and with the contrib instrumentation
alone (without the distro's hook that writes key names into the query text). Spans go
through a BatchSpanProcessor to an exporter that discards them, as in a service.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import Any

import redis
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from tta_otel.distro import TTADistro
from tta_otel.testing.processes import redis_server

PLAYER = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
CHOICE = "I take the path along the lake"


class _Discard(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def _us_per_command(client: redis.Redis, rounds: int) -> float:
    started = time.perf_counter()
    for index in range(rounds):
        client.incr(f"visits:{PLAYER}")
        client.set(f"last-scene:{PLAYER}", f"scene-{index}")
        client.rpush(f"choices:{PLAYER}", CHOICE)
    elapsed = time.perf_counter() - started
    client.delete(f"choices:{PLAYER}")
    return elapsed / (rounds * 3) * 1e6


def _instrument(variant: str, tracer_provider: TracerProvider) -> Callable[[], None]:
    """Set up ``variant`` (bare, contrib or distro); returns what undoes it."""
    if variant == "bare":
        return lambda: None
    if variant == "distro":
        (entry_point,) = entry_points(group="opentelemetry_instrumentor", name="redis")
        TTADistro().load_instrumentor(entry_point, tracer_provider=tracer_provider)
    else:
        RedisInstrumentor().instrument(tracer_provider=tracer_provider)
    return RedisInstrumentor().uninstrument


def measure(rounds: int = 3_000, repeats: int = 5) -> dict[str, Any]:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(_Discard(), max_queue_size=100_000))
    best: dict[str, float] = {}
    with redis_server() as url:
        for _ in range(repeats):
            for variant in ("bare", "contrib", "distro"):
                uninstrument = _instrument(variant, tracer_provider)
                client = redis.Redis.from_url(url)  # a client made after instrumenting, as in a service
                _us_per_command(client, rounds // 10)  # warm the connection and the caches
                best[variant] = min(best.get(variant, float("inf")), _us_per_command(client, rounds))
                client.close()
                uninstrument()
    tracer_provider.shutdown()
    return {
        "distro_us_per_command": round(best["distro"], 2),
        "contrib_only_us_per_command_baseline": round(best["contrib"], 2),
        "bare_us_per_command_baseline": round(best["bare"], 2),
        "distro_to_bare_ratio": round(best["distro"] / best["bare"], 3),
        "hook_us_per_command": round(best["distro"] - best["contrib"], 2),
        "note": "sync client, loopback redis-server; best of the repeats",
    }


if __name__ == "__main__":
    import json

    print(json.dumps(measure(), indent=2))
