"""TTA performance: where the time goes, per route and component, in the process (CPU, memory),
in Neo4j and Redis, and on the WebSocket streams; and Tempo's service map in docker compose."""

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
    quantile,
    rate,
    selector,
    service_map,
    thresholds,
)
from tta_otel.ops.dashboards.overview import (
    DB_DURATION,
    DB_SYSTEM,
    HTTP_DURATION,
    HTTP_REQUESTS,
    LATENCY_OBJECTIVE_S,
    POOL_CONNECTIONS,
    POOL_MAX,
)

PROCESS_CPU: Final = semconv.PROCESS_CPU_TIME.prometheus
PROCESS_MEMORY: Final = semconv.PROCESS_MEMORY_USAGE.prometheus
WEBSOCKET_ACTIVE: Final = semconv.TTA_WEBSOCKET_CONNECTIONS_ACTIVE.prometheus
WEBSOCKET_MESSAGES: Final = semconv.TTA_WEBSOCKET_MESSAGES.prometheus
WEBSOCKET_BYTES: Final = semconv.TTA_WEBSOCKET_IO.prometheus
WEBSOCKET_DURATION: Final = semconv.TTA_WEBSOCKET_CONNECTION_DURATION.prometheus

UID: Final = "tta-performance"
_SLOW = thresholds("green", (LATENCY_OBJECTIVE_S, "red"))


def _requests() -> list[Panel]:
    by_route = f"{COMPONENT}, http_route"
    return [
        graph(
            "Latency p95 by route",
            Look("95th percentile of HTTP request duration per component and route.", "s", _SLOW),
            Query(quantile(0.95, HTTP_DURATION, by=by_route), "{{tta_component}} {{http_route}}"),
        ),
        graph(
            "Requests by route and status",
            Look("HTTP requests per second per route and status code.", "reqps"),
            Query(
                rate(HTTP_REQUESTS, by=f"{by_route}, http_response_status_code"),
                "{{http_route}} {{http_response_status_code}}",
            ),
        ),
        graph(
            "Latency p50, p95, p99 by component",
            Look("HTTP request duration quantiles per component.", "s", _SLOW, width=24),
            *(
                Query(quantile(q, HTTP_DURATION, by=COMPONENT), f"{{{{tta_component}}}} p{round(q * 100)}")
                for q in (0.5, 0.95, 0.99)
            ),
        ),
    ]


def _resources() -> list[Panel]:
    return [
        graph(
            "CPU per component",
            Look(
                "CPU time per second of the component's processes, user and system: 100 % is one core busy.",
                "percentunit",
                thresholds("green", (0.8, "orange")),
                min=0,
            ),
            Query(rate(PROCESS_CPU, by=COMPONENT), "{{tta_component}}"),
        ),
        graph(
            "Memory per component",
            Look("Resident memory of the component's processes.", "bytes", min=0),
            Query(f"sum by ({COMPONENT}) ({PROCESS_MEMORY}{selector()})", "{{tta_component}}"),
        ),
    ]


def _databases() -> list[Panel]:
    neo4j = f'{DB_SYSTEM}="neo4j"'
    redis = f'{DB_SYSTEM}="redis"'
    return [
        graph(
            "Neo4j latency p95 by query",
            Look(
                "95th percentile of db.client.operation.duration per query summary (e.g. MATCH Scene).",
                "s",
                _SLOW,
            ),
            Query(quantile(0.95, DB_DURATION, neo4j, by="db_query_summary"), "{{db_query_summary}}"),
        ),
        graph(
            "Neo4j operations by outcome",
            Look("Neo4j operations per second by operation; failed ones by their Neo4j error code.", "ops"),
            Query(
                rate(f"{DB_DURATION}_count", neo4j, by="db_operation_name, error_type"),
                "{{db_operation_name}} {{error_type}}",
            ),
        ),
        graph(
            "Redis latency p95 by command",
            Look(
                "95th percentile of db.client.operation.duration per Redis command (PIPELINE for pipelines), "
                "recorded by tta_otel's redis_metrics instrumentation.",
                "s",
                _SLOW,
            ),
            Query(quantile(0.95, DB_DURATION, redis, by="db_operation_name"), "{{db_operation_name}}"),
        ),
        graph(
            "Redis pool connections",
            Look("Connections of each redis-py pool by state (idle, used), and the pool's maximum.", "short", min=0),
            Query(
                f"sum by ({COMPONENT}, db_client_connection_state) ({POOL_CONNECTIONS}{selector()})",
                "{{tta_component}} {{db_client_connection_state}}",
            ),
            Query(f"sum by ({COMPONENT}) ({POOL_MAX}{selector()})", "{{tta_component}} max"),
        ),
    ]


def _websockets() -> list[Panel]:
    return [
        graph(
            "Open WebSocket connections",
            Look("Streams open now, per component and route.", "short", min=0, width=8),
            Query(
                f"sum by ({COMPONENT}, http_route) ({WEBSOCKET_ACTIVE}{selector()})", "{{tta_component}} {{http_route}}"
            ),
        ),
        graph(
            "WebSocket messages",
            Look("Messages per second by direction (receive: from players; transmit: to them).", "mps", width=8),
            Query(
                rate(WEBSOCKET_MESSAGES, by=f"{COMPONENT}, network_io_direction"),
                "{{tta_component}} {{network_io_direction}}",
            ),
        ),
        graph(
            "WebSocket traffic",
            Look("Payload bytes per second by direction (sizes only; payloads are never recorded).", "Bps", width=8),
            Query(
                rate(WEBSOCKET_BYTES, by=f"{COMPONENT}, network_io_direction"),
                "{{tta_component}} {{network_io_direction}}",
            ),
        ),
        graph(
            "WebSocket connection duration p95 by close code",
            Look(
                "How long streams last, by close code (1000 normal, 1006 dropped, 1011 server error).",
                "s",
                width=24,
            ),
            Query(quantile(0.95, WEBSOCKET_DURATION, by="websocket_close_code"), "{{websocket_close_code}}"),
        ),
    ]


def build() -> model.Dashboard:
    return dashboard(
        UID,
        "TTA performance",
        "Latency by route and component, CPU and memory, Neo4j and Redis, WebSocket streams, and the service map.",
        [
            ("Requests", _requests()),
            ("CPU and memory", _resources()),
            ("Neo4j and Redis", _databases()),
            ("WebSockets", _websockets()),
            (
                "Service map",
                [
                    service_map(
                        "Service map",
                        "Calls between services from Tempo's metrics generator (docker compose only: the native "
                        "stack has no Tempo, docs/stack.md).",
                    )
                ],
            ),
        ],
        kinds=("tempo",),
    )
