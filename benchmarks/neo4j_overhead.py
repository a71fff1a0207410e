"""Per-query cost of the neo4j instrumentation against a real Neo4j 5 on loopback.

``session.run("RETURN $x", x=1).consume()`` and ``driver.execute_query("RETURN $x", x=1)``,
each timed bare and instrumented in the same run, passes alternating so that drift in the
machine or the server hits both alike; the median pass counts. Wall-clock time includes the
server and the loopback round trips; the client's CPU time is where the instrumentation's
cost shows with less noise. Instrumented means an SDK
tracer provider exporting every span through ``SimpleSpanProcessor`` to an exporter that
drops it, and an SDK meter provider with an in-memory reader: span creation, attributes,
the histogram and the export call are all paid, the network of an OTLP exporter is not.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import neo4j
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from tta_otel.instrumentation.neo4j import Neo4jInstrumentor
from tta_otel.testing.neo4j_server import neo4j_server


class _NullExporter(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def _seconds(queries: int, run_one: Callable[[], None]) -> tuple[float, float]:
    """Wall-clock and client CPU seconds of ``queries`` calls."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(queries):
        run_one()
    return time.perf_counter() - wall, time.process_time() - cpu


def _compare(queries: int, repeats: int, run_one: Callable[[], None]) -> dict[str, float]:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(_NullExporter()))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    instrumentor = Neo4jInstrumentor()
    bare: list[tuple[float, float]] = []
    instrumented: list[tuple[float, float]] = []
    _seconds(queries // 10, run_one)  # warm the connection pool and the server's query cache
    for _ in range(repeats):
        bare.append(_seconds(queries, run_one))
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
        try:
            instrumented.append(_seconds(queries, run_one))
        finally:
            instrumentor.uninstrument()
    report: dict[str, float] = {}
    for clock, index in (("wall", 0), ("client_cpu", 1)):
        bare_us = statistics.median(timing[index] for timing in bare) / queries * 1e6
        instrumented_us = statistics.median(timing[index] for timing in instrumented) / queries * 1e6
        report[f"{clock}_bare_us_per_query"] = round(bare_us, 1)
        report[f"{clock}_instrumented_us_per_query"] = round(instrumented_us, 1)
        report[f"{clock}_overhead_us_per_query"] = round(instrumented_us - bare_us, 1)
        report[f"{clock}_ratio"] = round(instrumented_us / bare_us, 3)
    return report


def measure(queries: int = 2_000, repeats: int = 5) -> dict[str, Any]:
    with (
        neo4j_server() as server,
        neo4j.GraphDatabase.driver(server.uri, auth=None) as driver,
        driver.session(database="neo4j") as session,
    ):

        def session_run() -> None:
            session.run("RETURN $x", x=1).consume()

        def execute_query() -> None:
            driver.execute_query("RETURN $x", x=1, database_="neo4j")

        return {
            "session_run_consume": _compare(queries, repeats, session_run),
            "execute_query": _compare(queries, repeats, execute_query),
            "queries_per_pass": queries,
            "passes": repeats,
        }


if __name__ == "__main__":
    import json

    print(json.dumps(measure(), indent=2))
