"""Turns the monitoring section into ``OTEL_*`` defaults.

Precedence is ``OTEL_*`` environment > ``tta_config.yaml`` > tta_otel defaults, and the
SDK already reads the environment; so the configuration is applied with
``os.environ.setdefault``: a variable the operator set is never overwritten, and every
standard variable keeps working.

``OTEL_PROPAGATORS`` is the exception to "the SDK reads it": the API reads it once, when
``opentelemetry.propagate`` is first imported, which ``opentelemetry-instrument`` does before
the distro runs. ``install_propagators`` therefore sets its default and installs the global
propagator it names. The default is ``tracecontext`` alone: inbound W3C baggage is client-
controlled text that would otherwise be handed to the service and forwarded on every
outgoing call (``monitoring.propagation.baggage: true`` turns it on).

The FastAPI instrumentation excludes the health endpoints (``/healthz``, ``/readyz``) from
tracing and from ``http.server.request.duration`` by default: a probe every few seconds would
otherwise outnumber the players' requests. An operator's ``OTEL_PYTHON_FASTAPI_EXCLUDED_URLS``
or ``OTEL_PYTHON_EXCLUDED_URLS`` (which the FastAPI one would override) replaces that default.
"""

from __future__ import annotations

import logging
import os
from collections.abc import MutableMapping
from importlib.metadata import entry_points

from opentelemetry.environment_variables import OTEL_PROPAGATORS
from opentelemetry.propagate import set_global_textmap
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.propagators.textmap import TextMapPropagator
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from tta_otel.config.schema import MonitoringConfig

_logger = logging.getLogger(__name__)

FASTAPI_EXCLUDED_URLS = "OTEL_PYTHON_FASTAPI_EXCLUDED_URLS"
EXCLUDED_URLS = "OTEL_PYTHON_EXCLUDED_URLS"
HEALTH_EXCLUDED_URLS = "/healthz$,/readyz$"
"""Regular expressions searched in the request URL (without its query): the two health paths, anchored."""


def propagators(config: MonitoringConfig) -> str:
    """The ``OTEL_PROPAGATORS`` default: W3C trace context, and W3C baggage only when configured."""
    return "tracecontext,baggage" if config.propagation.baggage else "tracecontext"


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
        "OTEL_PROPAGATORS": propagators(config),
        FASTAPI_EXCLUDED_URLS: HEALTH_EXCLUDED_URLS,
    }
    if config.otlp.endpoint:
        defaults["OTEL_EXPORTER_OTLP_ENDPOINT"] = config.otlp.endpoint
    if config.otlp.ca_file:
        defaults["OTEL_EXPORTER_OTLP_CERTIFICATE"] = str(config.otlp.ca_file)
    return defaults


def apply_otel_defaults(config: MonitoringConfig, environ: MutableMapping[str, str] = os.environ) -> None:
    """Set every implied ``OTEL_*`` variable that the environment does not already set (nor, for the
    FastAPI excluded URLs, the generic ``OTEL_PYTHON_EXCLUDED_URLS`` that it would override)."""
    for name, value in otel_defaults(config).items():
        if name == FASTAPI_EXCLUDED_URLS and EXCLUDED_URLS in environ:
            continue
        environ.setdefault(name, value)


def _load_propagators(names: str) -> TextMapPropagator:
    loaded: list[TextMapPropagator] = []
    for name in (part.strip() for part in names.split(",")):
        if name.lower() == "none":
            return CompositePropagator([])
        if not name:
            continue
        found = entry_points(group="opentelemetry_propagator", name=name)
        if not found:
            raise ValueError(f"propagator {name!r} is not installed")
        loaded.append(next(iter(found)).load()())
    return CompositePropagator(loaded)


def install_propagators(config: MonitoringConfig, environ: MutableMapping[str, str] = os.environ) -> None:
    """Set the ``OTEL_PROPAGATORS`` default (the operator's variable wins) and install what it names
    as the global propagator; a name that cannot be loaded leaves ``tracecontext`` alone, never baggage."""
    names = environ.setdefault(OTEL_PROPAGATORS, propagators(config))
    try:
        propagator = _load_propagators(names)
    except Exception:
        _logger.exception(
            "tta_otel: %s=%r could not be loaded; only W3C trace context is propagated", OTEL_PROPAGATORS, names
        )
        propagator = CompositePropagator([TraceContextTextMapPropagator()])
    set_global_textmap(propagator)
