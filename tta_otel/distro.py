"""The ``tta_otel`` distro: defaults for TTA services and options for each instrumentation.

``opentelemetry-instrument`` loads it (entry point ``opentelemetry_distro``) first. It
turns ``tta_config.yaml`` into ``OTEL_*`` defaults - never overriding a variable that is
already set - and passes TTA's options to the instrumentations it loads.

tta_otel ships several instrumentors in one distribution, so its ``instruments-any`` extra
lists every library one of them instruments, and ``opentelemetry-instrument`` loads them all
when any of those libraries is installed. The distro then has each of its own instrumentors
check its own ``instrumentation_dependencies()``: one whose library is missing is skipped,
and ``opentelemetry-instrument`` says why at DEBUG (at ERROR for a version out of range),
as it does for a contrib instrumentation.
"""

from __future__ import annotations

import logging
from importlib.metadata import EntryPoint
from typing import Any

from opentelemetry.instrumentation.distro import BaseDistro  # type: ignore[attr-defined]

from tta_otel.config import apply_otel_defaults
from tta_otel.config.environment import install_propagators
from tta_otel.instrumentation.redis.query import redis_request_hook
from tta_otel.startup import startup_config

_logger = logging.getLogger(__name__)


INSTRUMENTOR_OPTIONS: dict[str, dict[str, Any]] = {
    # Trace and span ids on every Python log record, for the service's own log format too.
    "logging": {"inject_trace_context": True},
    # Redis commands with their key names, never their values.
    "redis": {"request_hook": redis_request_hook},
}


class TTADistro(BaseDistro):  # type: ignore[misc]
    """Entry point ``opentelemetry_distro = tta_otel``."""

    def _configure(self, **kwargs: Any) -> None:
        try:
            loaded = startup_config()
            if loaded.config.enabled:
                apply_otel_defaults(loaded.config)
            # Instrumentations propagate context even with monitoring off: no inbound baggage unless configured.
            install_propagators(loaded.config)
        except Exception:  # telemetry must never stop the service
            _logger.exception("tta_otel: the distro could not apply its defaults; the SDK's apply")

    def load_instrumentor(self, entry_point: EntryPoint, **kwargs: Any) -> None:
        options = {**INSTRUMENTOR_OPTIONS.get(entry_point.name, {}), **kwargs}
        if entry_point.value.startswith(f"{__package__}."):
            # The distribution-wide check passed for one library of ours; check this one's.
            options.pop("skip_dep_check", None)
            options["raise_exception_on_conflict"] = True
        super().load_instrumentor(entry_point, **options)
