"""Reading the trace and log stores of the native stack: Jaeger (traces) and VictoriaLogs (logs).

Each client asks one store's HTTP API with its basic auth and answers plain dicts; a store
that cannot be reached, or refuses, raises ``StoreError`` with what to do.
"""

from tta_otel.ops.stores.http import StoreError
from tta_otel.ops.stores.jaeger import JaegerClient
from tta_otel.ops.stores.victorialogs import VictoriaLogsClient

__all__ = ["JaegerClient", "StoreError", "VictoriaLogsClient"]
