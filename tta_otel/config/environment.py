"""Turns the monitoring section into ``OTEL_*`` defaults.

Precedence is ``OTEL_*`` environment > ``tta_config.yaml`` > tta_otel defaults, and the
SDK already reads the environment; so the configuration is applied with
``os.environ.setdefault``: a variable the operator set is never overwritten, and every
standard variable keeps working.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

from tta_otel.config.schema import MonitoringConfig


def otel_defaults(config: MonitoringConfig) -> dict[str, str]:
    """The ``OTEL_*`` values that this configuration implies."""
    defaults = {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": "otlp",
        "OTEL_LOGS_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": config.otlp.protocol,
        # The Python OTLP exporters read this variable in seconds (the specification says ms).
        "OTEL_EXPORTER_OTLP_TIMEOUT": f"{config.otlp.timeout_s:g}",
        "OTEL_METRIC_EXPORT_INTERVAL": str(config.export.metric_interval_ms),
        "OTEL_BSP_SCHEDULE_DELAY": str(config.export.span_batch_delay_ms),
        "OTEL_BLRP_SCHEDULE_DELAY": str(config.export.log_batch_delay_ms),
        "OTEL_BSP_MAX_QUEUE_SIZE": str(config.export.max_queue_size),
        "OTEL_BLRP_MAX_QUEUE_SIZE": str(config.export.max_queue_size),
        # Stable HTTP and database semantic conventions (http.server.request.duration, db.*).
        "OTEL_SEMCONV_STABILITY_OPT_IN": "http,database",
    }
    if config.otlp.endpoint:
        defaults["OTEL_EXPORTER_OTLP_ENDPOINT"] = config.otlp.endpoint
    return defaults


def apply_otel_defaults(config: MonitoringConfig, environ: MutableMapping[str, str] = os.environ) -> None:
    """Set every implied ``OTEL_*`` variable that the environment does not already set."""
    for name, value in otel_defaults(config).items():
        environ.setdefault(name, value)
