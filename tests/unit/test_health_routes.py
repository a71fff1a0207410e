"""Specification of /healthz and /readyz: liveness always, readiness from the last checks, only
ok/fail per dependency type for an unauthenticated probe, names only where asked for, no error text."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tta_otel.health.registry import Registry
from tta_otel.health.routes import create_router

CHECKED_AT = 1_700_000_000.0
CHECKED_AT_ISO = "2023-11-14T22:13:20+00:00"
ADDRESS = "cache.tta.internal:6379/0"


def _client(registry: Registry, details: bool = False) -> TestClient:
    app = FastAPI()
    app.include_router(create_router(registry, details=details))
    return TestClient(app)


def _registry(**up: bool | None) -> Registry:
    registry = Registry()
    for name, result in up.items():
        registry.register(name, "redis", lambda: True)
        if result is not None:
            registry.record((name, "redis"), result, CHECKED_AT)
    return registry


def test_liveness_answers_200_even_when_a_dependency_is_down() -> None:
    response = _client(_registry(cache=False)).get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "alive"})


def test_readiness_is_200_with_ok_per_type_when_every_dependency_is_up() -> None:
    response = _client(_registry(cache=True, sessions=True)).get("/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ready", "checks": {"redis": "ok"}})


def test_readiness_is_503_with_fail_for_the_type_of_the_dependency_that_is_down() -> None:
    registry = _registry(cache=True, sessions=False)
    registry.register("graph", "neo4j", lambda: True)
    registry.record(("graph", "neo4j"), True, CHECKED_AT)
    response = _client(registry).get("/readyz")
    assert (response.status_code, response.json()) == (
        503,
        {"status": "not ready", "checks": {"neo4j": "ok", "redis": "fail"}},
    )


def test_readiness_is_503_with_fail_while_a_dependency_was_never_checked() -> None:
    response = _client(_registry(cache=None)).get("/readyz")
    assert (response.status_code, response.json()) == (503, {"status": "not ready", "checks": {"redis": "fail"}})


def test_readiness_is_200_without_dependencies() -> None:
    response = _client(Registry()).get("/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ready", "checks": {}})


def test_readiness_does_not_name_a_dependency_by_default() -> None:
    registry = Registry()
    registry.register(ADDRESS, "redis", lambda: True)
    registry.record((ADDRESS, "redis"), False, CHECKED_AT)
    assert ADDRESS not in _client(registry).get("/readyz").text


def test_readiness_with_details_lists_each_dependency() -> None:
    response = _client(_registry(cache=True, sessions=None), details=True).get("/readyz")
    assert (response.status_code, response.json()) == (
        503,
        {
            "status": "not ready",
            "checks": {"redis": "fail"},
            "dependencies": [
                {"name": "cache", "type": "redis", "up": True, "last_checked": CHECKED_AT_ISO},
                {"name": "sessions", "type": "redis", "up": None, "last_checked": None},
            ],
        },
    )


def test_readiness_never_carries_the_error_of_a_failed_check() -> None:
    registry = Registry()
    registry.register("sessions", "redis", lambda: True)
    registry.record(("sessions", "redis"), False, CHECKED_AT)
    body = _client(registry, details=True).get("/readyz").json()
    assert "error" not in json.dumps(body)
    assert set(body["dependencies"][0]) == {"name", "type", "up", "last_checked"}


@pytest.mark.parametrize(
    ("details", "body"),
    [
        (False, {"status": "not ready", "checks": {}}),
        (True, {"status": "not ready", "checks": {}, "dependencies": []}),
    ],
)
def test_a_registry_that_fails_answers_503_not_500(
    monkeypatch: pytest.MonkeyPatch, details: bool, body: dict[str, object]
) -> None:
    registry = Registry()

    def fail() -> None:
        raise RuntimeError("synthetic failure")

    monkeypatch.setattr(registry, "statuses", fail)
    response = _client(registry, details=details).get("/readyz")
    assert (response.status_code, response.json()) == (503, body)


def test_the_default_router_reads_the_process_registry_without_names() -> None:
    from tta_otel import health
    from tta_otel.health.routes import router

    app = FastAPI()
    app.include_router(router)
    health.register("synthetic-model", "llm", lambda: True)
    try:
        body = TestClient(app).get("/readyz").json()
        assert (body["checks"]["llm"], "dependencies" in body) == ("fail", False)
    finally:
        health.unregister("synthetic-model", "llm")
