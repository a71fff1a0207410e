"""Specification of the periodic checker: up, down on an exception, ``False`` or a timeout, off the request path."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from tta_otel.health.checker import HealthChecker, run_check
from tta_otel.health.metrics import HealthMetrics
from tta_otel.health.registry import Registry, Status
from tta_otel.testing.metrics import counts, series, sums, values

KEY = ("openai", "llm")
NOW = 1_700_000_000.0
TIMEOUT_S = 0.2


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set at the end of each test, so that a check left hanging returns and its thread ends."""
    event = threading.Event()
    yield event
    event.set()


def _checked(check: object) -> Status:
    registry = Registry()
    registry.register(*KEY, check)  # type: ignore[arg-type]
    HealthChecker(registry, timeout_s=TIMEOUT_S, clock=lambda: NOW).check_now()
    [status] = registry.statuses()
    return status


def _raise() -> None:
    raise ConnectionError("connection to 10.0.0.7 refused")


async def _async_up() -> str:
    return "PONG"


def test_a_check_that_returns_is_up_at_the_time_it_finished() -> None:
    assert _checked(lambda: "PONG") == Status("openai", "llm", True, NOW)


def test_a_check_that_raises_is_down() -> None:
    assert _checked(_raise) == Status("openai", "llm", False, NOW)


def test_a_check_that_returns_false_is_down() -> None:
    assert _checked(lambda: False).up is False


def test_a_check_that_returns_none_is_up() -> None:
    assert _checked(lambda: None).up is True


def test_a_coroutine_function_check_is_awaited() -> None:
    assert _checked(_async_up).up is True


def test_a_check_past_its_timeout_is_down(release: threading.Event) -> None:
    assert _checked(release.wait).up is False


def test_a_check_runs_with_instrumentation_suppressed() -> None:
    seen: list[bool] = []
    run_check(lambda: seen.append(is_instrumentation_enabled()))
    assert seen == [False]


def test_a_hanging_check_is_not_started_again_until_it_returns(release: threading.Event) -> None:
    started: list[int] = []

    def hang() -> None:
        started.append(1)
        release.wait()

    registry = Registry()
    registry.register(*KEY, hang)
    checker = HealthChecker(registry, timeout_s=TIMEOUT_S)
    checker.check_now()
    checker.check_now()
    assert len(started) == 1
    assert registry.statuses()[0].up is False


@pytest.mark.parametrize(("interval_s", "timeout_s"), [(0, 1), (1, 0), (-1, 1)])
def test_settings_must_be_positive(interval_s: float, timeout_s: float) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        HealthChecker(Registry(), interval_s=interval_s, timeout_s=timeout_s)


def test_started_it_checks_periodically_until_stopped() -> None:
    calls: list[int] = []
    third = threading.Event()

    def check() -> None:
        calls.append(1)
        if len(calls) == 3:
            third.set()

    registry = Registry()
    registry.register(*KEY, check)
    checker = HealthChecker(registry, interval_s=0.01, timeout_s=TIMEOUT_S)
    checker.start()
    try:
        assert third.wait(10)
    finally:
        checker.stop()
    assert checker.running is False


def test_start_twice_runs_one_thread() -> None:
    checker = HealthChecker(Registry(), interval_s=0.01, timeout_s=TIMEOUT_S)
    checker.start()
    first = checker._thread
    checker.start()
    try:
        assert checker._thread is first
    finally:
        checker.stop()


def test_a_failing_round_does_not_stop_the_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = Registry()
    rounds: list[int] = []
    second = threading.Event()

    def due() -> list[tuple[tuple[str, str], object]]:
        rounds.append(1)
        if len(rounds) == 2:
            second.set()
        raise RuntimeError("synthetic failure")

    monkeypatch.setattr(registry, "due", due)
    checker = HealthChecker(registry, interval_s=0.01, timeout_s=TIMEOUT_S)
    checker.start()
    try:
        assert second.wait(10)
    finally:
        checker.stop()


def _metered(check: object) -> InMemoryMetricReader:
    reader = InMemoryMetricReader()
    registry = Registry()
    registry.register(*KEY, check)  # type: ignore[arg-type]
    metrics = HealthMetrics(MeterProvider(metric_readers=[reader]).get_meter("test"), registry)
    HealthChecker(registry, metrics, timeout_s=TIMEOUT_S).check_now()
    return reader


ATTRIBUTES = series({"tta.dependency.name": "openai", "tta.dependency.type": "llm"})


def test_an_up_check_reports_1_and_its_duration() -> None:
    data = _metered(lambda: True).get_metrics_data()
    assert values(data, "tta.dependency.up") == {ATTRIBUTES: 1}
    assert counts(data, "tta.dependency.check.duration") == {ATTRIBUTES: 1}


def test_a_down_check_reports_0_without_its_error() -> None:
    data = _metered(_raise).get_metrics_data()
    assert values(data, "tta.dependency.up") == {ATTRIBUTES: 0}


def test_a_timed_out_check_records_the_timeout_as_its_duration(release: threading.Event) -> None:
    data = _metered(release.wait).get_metrics_data()
    assert sums(data, "tta.dependency.check.duration") == {ATTRIBUTES: TIMEOUT_S}


def test_a_dependency_not_yet_checked_is_not_reported() -> None:
    reader = InMemoryMetricReader()
    registry = Registry()
    registry.register(*KEY, lambda: True)
    HealthMetrics(MeterProvider(metric_readers=[reader]).get_meter("test"), registry)
    assert values(reader.get_metrics_data(), "tta.dependency.up") == {}


def test_a_check_that_cannot_get_a_thread_is_down_and_due_again(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = Registry()
    registry.register(*KEY, lambda: True)

    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    HealthChecker(registry, timeout_s=TIMEOUT_S, clock=lambda: NOW).check_now()
    monkeypatch.undo()
    assert registry.statuses() == [Status("openai", "llm", False, NOW)]
    assert [key for key, _ in registry.due()] == [KEY]


def test_a_dependency_added_while_running_is_checked_without_waiting_an_interval() -> None:
    registry = Registry()
    checked = threading.Event()
    checker = HealthChecker(registry, interval_s=3600, timeout_s=TIMEOUT_S)
    checker.start()
    try:
        registry.register(*KEY, checked.set)
        assert checked.wait(10)
    finally:
        checker.stop()
