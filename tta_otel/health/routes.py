"""``/healthz`` and ``/readyz`` for a FastAPI service; the only module of ``tta_otel.health`` that
imports FastAPI, so a service without it can still use the checks.

``/healthz`` (liveness) answers 200 whenever the process serves requests: restarting a service
because its database is down would not bring the database back. ``/readyz`` (readiness) answers
200 when the last check of every registered dependency was up, 503 otherwise (a dependency not
yet checked included). Both only read what the background checks found, so a probe costs no call
to any dependency. The distro excludes both paths from tracing, and the availability rules
exclude them from the objective.

A probe is unauthenticated, so by default ``/readyz`` says only ``ok`` or ``fail`` per dependency
type: a dependency's name is its address (``cache.tta.internal:6379/0``), which is no caller's
business. ``create_router(details=True)`` adds each dependency's name, type, up and last check
time, for a router mounted where only operators reach it. Neither ever carries the error of a
check, which could hold an address, a credential or a player's data.
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
OK = "ok"
FAIL = "fail"


def _iso(timestamp: float | None) -> str | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC).isoformat()


def _describe(status: Status) -> dict[str, Any]:
    return {"name": status.name, "type": status.type, "up": status.up, "last_checked": _iso(status.checked_at)}


def _checks(found: list[Status]) -> dict[str, str]:
    """``ok`` for a type whose every dependency was up at its last check, else ``fail``."""
    checks: dict[str, str] = {}
    for status in sorted(found, key=lambda s: s.type):
        checks[status.type] = OK if status.up and checks.get(status.type, OK) == OK else FAIL
    return checks


def create_router(registry: Registry | None = None, *, details: bool = False) -> APIRouter:
    """The two endpoints over ``registry`` (default: the process's, ``tta_otel.health.registry``).

    ``details=True`` lists every dependency by name in ``/readyz``: mount such a router only where
    unauthenticated callers cannot reach it (an internal port, or with an authentication
    dependency of the application's own and a prefix of its own, away from the probes)."""
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
            body: dict[str, Any] = {"status": "not ready", "checks": {}}
            if details:
                body["dependencies"] = []
            return JSONResponse(body, status_code=503)
        ready = health.ready(found)
        body = {"status": "ready" if ready else "not ready", "checks": _checks(found)}
        if details:
            body["dependencies"] = [_describe(status) for status in found]
        return JSONResponse(body, status_code=200 if ready else 503)

    return router


router = create_router()
"""``app.include_router(router)``: the endpoints over the process's registry, without names."""

__all__ = ["FAIL", "LIVENESS_PATH", "OK", "READINESS_PATH", "create_router", "router"]
