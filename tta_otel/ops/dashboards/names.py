"""The Prometheus names the dashboards read that the reports do not (``tta_otel.ops.reports`` has the
rest): OTLP metrics as Prometheus's OTLP receiver writes them (unit suffix, ``_total`` on monotonic
sums, dots as underscores), and the collector's own metrics, which it serves without ``_total``."""

from __future__ import annotations

from typing import Final

HTTP_DURATION: Final = "http_server_request_duration_seconds"
HTTP_REQUESTS: Final = f"{HTTP_DURATION}_count"
STATUS_CODE: Final = "http_response_status_code"
ROUTE: Final = "http_route"
DB_DURATION: Final = "db_client_operation_duration_seconds"
DB_SYSTEM: Final = "db_system_name"
POOL_CONNECTIONS: Final = "db_client_connection_count"
POOL_MAX: Final = "db_client_connection_max"
PROCESS_CPU: Final = "process_cpu_time_seconds_total"
PROCESS_MEMORY: Final = "process_memory_usage_bytes"
WEBSOCKET_ACTIVE: Final = "tta_websocket_connections_active"
WEBSOCKET_MESSAGES: Final = "tta_websocket_messages_total"
WEBSOCKET_BYTES: Final = "tta_websocket_io_bytes_total"
WEBSOCKET_DURATION: Final = "tta_websocket_connection_duration_seconds"
GPU_UTILIZATION: Final = "hw_gpu_utilization_ratio"
GPU_MEMORY_USED: Final = "hw_gpu_memory_usage_bytes"
GPU_MEMORY_LIMIT: Final = "hw_gpu_memory_limit_bytes"
GPU_TEMPERATURE: Final = "hw_temperature_celsius"
TELEMETRY_DROPPED: Final = "tta_telemetry_dropped_total"
ALERT_TIME_TO_ACKNOWLEDGE: Final = "tta_alert_time_to_acknowledge_seconds"
ALERT_TIME_TO_RESOLVE: Final = "tta_alert_time_to_resolve_seconds"
