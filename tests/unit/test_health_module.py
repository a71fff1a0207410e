"""Specification of the process-wide API of ``tta_otel.health``: register, start once, stop."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from tta_otel import health
from tta_otel.testing.metrics import series, values


@pytest.fixture(autouse=True)
def stopped() -> Iterator[None]:
    health.stop()
    yield
    health.stop()
    for status in health.statuses():
        health.unregister(status.name, status.type)


def test_ready_needs_every_dependency_up() -> None:
    health.register("model", "llm", lambda: True)
    assert health.ready() is False
    health.registry.record(("model", "llm"), True, 1.0)
    assert health.ready() is True


def test_start_checks_the_registered_dependencies_and_reports_them() -> None:
    checked = threading.Event()
    health.register("model", "llm", checked.set)
    reader = InMemoryMetricReader()
    assert health.start(interval_s=0.01, timeout_s=1.0, meter_provider=MeterProvider(metric_readers=[reader]))
    assert checked.wait(10)
    health.stop()
    assert values(reader.get_metrics_data(), "tta.dependency.up") == {
        series({"tta.dependency.name": "model", "tta.dependency.type": "llm"}): 1
    }


def test_a_second_start_keeps_the_running_checks() -> None:
    assert health.start(interval_s=60, timeout_s=1.0, meter_provider=MeterProvider())
    assert health.start(interval_s=0.5, timeout_s=0.1, meter_provider=MeterProvider())


def test_a_bad_setting_is_logged_and_nothing_starts(caplog: pytest.LogCaptureFixture) -> None:
    assert health.start(interval_s=0, timeout_s=1.0, meter_provider=MeterProvider()) is False
    assert "could not start" in caplog.text


def test_stop_without_start_does_nothing() -> None:
    health.stop()
    assert health.statuses() == []
