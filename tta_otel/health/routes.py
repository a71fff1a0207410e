"""``/healthz`` and ``/readyz`` for a FastAPI service; the only module of ``tta_otel.health`` that
imports FastAPI, so a service without it can still use the checks.

``/healthz`` (liveness) answers 200 whenever the process serves requests: restarting a service
because its database is down would not bring the database back. ``/readyz`` (readiness) answers
200 when the last check of every registered dependency was up, 503 otherwise (a dependency not
yet checked included), with each dependency's name, type, up and last check time - never the
error, which could carry an address, a credential or a player's data. Both only read what the
background checks found, so a probe costs no call to any dependency. The distro excludes both
paths from tracing, and the availability rules exclude them from the objective.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from tta_otel import health
from tta_otel.health.registry import Registry, Status

_logger = logging.getLogger(__name__)

LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"


def _iso(timestamp: float | None) -> str | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC).isoformat()


def _describe(status: Status) -> dict[str, Any]:
    return {"name": status.name, "type": status.type, "up": status.up, "last_checked": _iso(status.checked_at)}


def create_router(registry: Registry | None = None) -> APIRouter:
    """The two endpoints over ``registry`` (default: the process's, ``tta_otel.health.registry``)."""
    source = health.registry if registry is None else registry
    router = APIRouter()

    @router.get(LIVENESS_PATH, include_in_schema=False)
    async def liveness() -> dict[str, str]:
        return {"status": "alive"}

    @router.get(READINESS_PATH, include_in_schema=False)
    async def readiness() -> JSONResponse:
        try:
            found = source.statuses()
        except Exception:  # never a 500 from telemetry: not ready, and the reason in the log
            _logger.exception("tta_otel: the dependency statuses could not be read")
            return JSONResponse({"status": "not ready", "dependencies": []}, status_code=503)
        ready = health.ready(found)
        body = {"status": "ready" if ready else "not ready", "dependencies": [_describe(status) for status in found]}
        return JSONResponse(body, status_code=200 if ready else 503)

    return router


router = create_router()
"""``app.include_router(router)``: the endpoints over the process's registry."""

__all__ = ["LIVENESS_PATH", "READINESS_PATH", "create_router", "router"]
