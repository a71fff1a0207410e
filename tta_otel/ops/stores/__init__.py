"""Reading the trace and log stores: Jaeger (traces) and VictoriaLogs (logs) of the native stack,
and Loki (logs) of the docker compose one.

Each client asks one store's HTTP API with its basic auth and answers plain dicts; a store
that cannot be reached, or refuses, raises ``StoreError`` with what to do. Both log stores
answer ``LogStore``: one example line of an error group, for ``tta-otel errors``.
"""

from tta_otel.ops.stores.http import StoreError
from tta_otel.ops.stores.jaeger import JaegerClient
from tta_otel.ops.stores.log_store import LogExample, LogStore
from tta_otel.ops.stores.loki import LokiClient
from tta_otel.ops.stores.victorialogs import VictoriaLogsClient

__all__ = ["JaegerClient", "LogExample", "LogStore", "LokiClient", "StoreError", "VictoriaLogsClient"]
