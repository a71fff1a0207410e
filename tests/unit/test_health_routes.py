"""Specification of /healthz and /readyz: liveness always, readiness from the last checks, no error text."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tta_otel.health.registry import Registry
from tta_otel.health.routes import create_router

CHECKED_AT = 1_700_000_000.0
CHECKED_AT_ISO = "2023-11-14T22:13:20+00:00"


def _client(registry: Registry) -> TestClient:
    app = FastAPI()
    app.include_router(create_router(registry))
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


def test_readiness_is_200_when_every_dependency_is_up() -> None:
    response = _client(_registry(cache=True, sessions=True)).get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "dependencies": [
            {"name": "cache", "type": "redis", "up": True, "last_checked": CHECKED_AT_ISO},
            {"name": "sessions", "type": "redis", "up": True, "last_checked": CHECKED_AT_ISO},
        ],
    }


def test_readiness_is_503_when_one_dependency_is_down() -> None:
    response = _client(_registry(cache=True, sessions=False)).get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "not ready"
    assert response.json()["dependencies"][1] == {
        "name": "sessions",
        "type": "redis",
        "up": False,
        "last_checked": CHECKED_AT_ISO,
    }


def test_readiness_is_503_while_a_dependency_was_never_checked() -> None:
    response = _client(_registry(cache=None)).get("/readyz")
    assert response.status_code == 503
    assert response.json()["dependencies"] == [{"name": "cache", "type": "redis", "up": None, "last_checked": None}]


def test_readiness_is_200_without_dependencies() -> None:
    response = _client(Registry()).get("/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ready", "dependencies": []})


def test_readiness_never_carries_the_error_of_a_failed_check() -> None:
    registry = Registry()
    registry.register("sessions", "redis", lambda: True)
    registry.record(("sessions", "redis"), False, CHECKED_AT)
    body = json.dumps(_client(registry).get("/readyz").json())
    assert "error" not in body
    assert set(_client(registry).get("/readyz").json()["dependencies"][0]) == {"name", "type", "up", "last_checked"}


def test_a_registry_that_fails_answers_503_not_500(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = Registry()

    def fail() -> None:
        raise RuntimeError("synthetic failure")

    monkeypatch.setattr(registry, "statuses", fail)
    response = _client(registry).get("/readyz")
    assert (response.status_code, response.json()) == (503, {"status": "not ready", "dependencies": []})


def test_the_default_router_reads_the_process_registry() -> None:
    from tta_otel import health
    from tta_otel.health.routes import router

    app = FastAPI()
    app.include_router(router)
    health.register("synthetic-model", "llm", lambda: True)
    try:
        response = TestClient(app).get("/readyz")
        assert {"name": "synthetic-model", "type": "llm", "up": None, "last_checked": None} in response.json()[
            "dependencies"
        ]
    finally:
        health.unregister("synthetic-model", "llm")
