"""Specification of the dependency registry: what is checked, held how, and what it last said."""

from __future__ import annotations

import gc
import logging

import pytest

from tta_otel.health.registry import Registry, Status


class _Client:
    """Stands in for a client an instrumentation sees: weak-referenceable and hashable."""


def test_a_registered_dependency_is_listed_as_not_yet_checked() -> None:
    registry = Registry()
    registry.register("openai", "llm", lambda: True)
    assert registry.statuses() == [Status("openai", "llm", None, None)]


def test_a_recorded_result_is_listed_with_its_time() -> None:
    registry = Registry()
    registry.register("openai", "llm", lambda: True)
    registry.record(("openai", "llm"), False, 1_700_000_000.0)
    assert registry.statuses() == [Status("openai", "llm", False, 1_700_000_000.0)]


def test_statuses_are_ordered_by_type_then_name() -> None:
    registry = Registry()
    for name, type_ in [("b", "redis"), ("z", "llm"), ("a", "redis")]:
        registry.register(name, type_, lambda: True)
    assert [(status.type, status.name) for status in registry.statuses()] == [
        ("llm", "z"),
        ("redis", "a"),
        ("redis", "b"),
    ]


def test_registering_again_replaces_the_check_and_keeps_the_last_result() -> None:
    registry = Registry()
    registry.register("openai", "llm", lambda: "first")
    registry.record(("openai", "llm"), True, 1.0)
    registry.register("openai", "llm", lambda: "second")
    assert [check() for _, check in registry.due()] == ["second"]
    assert registry.statuses() == [Status("openai", "llm", True, 1.0)]


@pytest.mark.parametrize(("name", "type_", "check"), [("", "llm", print), ("openai", "", print), ("openai", "llm", 3)])
def test_an_invalid_registration_is_logged_not_raised(
    name: str, type_: str, check: object, caplog: pytest.LogCaptureFixture
) -> None:
    registry = Registry()
    with caplog.at_level(logging.ERROR, logger="tta_otel.health.registry"):
        assert registry.register(name, type_, check) is False  # type: ignore[arg-type]
    assert registry.statuses() == []
    assert "not registered" in caplog.text


def test_unregister_removes_the_dependency() -> None:
    registry = Registry()
    registry.register("openai", "llm", lambda: True)
    registry.unregister("openai", "llm")
    assert registry.statuses() == []


def test_a_result_arriving_after_unregister_does_not_bring_it_back() -> None:
    registry = Registry()
    registry.register("openai", "llm", lambda: True)
    registry.unregister("openai", "llm")
    registry.record(("openai", "llm"), True, 1.0)
    assert registry.statuses() == []


def test_a_check_still_running_is_not_due_again_until_it_finished() -> None:
    registry = Registry()
    registry.register("openai", "llm", lambda: True)
    assert [key for key, _ in registry.due()] == [("openai", "llm")]
    assert registry.due() == []
    registry.finished(("openai", "llm"))
    assert [key for key, _ in registry.due()] == [("openai", "llm")]


def test_a_watched_client_is_probed_itself() -> None:
    registry = Registry()
    client = _Client()
    registry.watch(client, "127.0.0.1:6379/0", "redis", lambda target: target)
    [(_, check)] = registry.due()
    assert check() is client


def test_a_watched_client_is_held_by_weak_reference_only() -> None:
    registry = Registry()
    client = _Client()
    registry.watch(client, "127.0.0.1:6379/0", "redis", lambda target: True)
    del client
    gc.collect()
    assert registry.statuses() == []


def test_a_dependency_stays_while_one_of_its_clients_lives() -> None:
    registry = Registry()
    first, second = _Client(), _Client()
    registry.watch(first, "127.0.0.1:6379/0", "redis", lambda target: target)
    registry.watch(second, "127.0.0.1:6379/0", "redis", lambda target: target)
    del first
    gc.collect()
    [(_, check)] = registry.due()
    assert check() is second


def test_the_check_of_clients_collected_meanwhile_raises() -> None:
    registry = Registry()
    client = _Client()
    registry.watch(client, "127.0.0.1:6379/0", "redis", lambda target: True)
    [(_, check)] = registry.due()
    del client
    gc.collect()
    with pytest.raises(LookupError):
        check()


def test_watching_replaces_a_callable_registered_under_the_same_name() -> None:
    registry = Registry()
    client = _Client()
    registry.register("127.0.0.1:6379/0", "redis", lambda: "callable")
    registry.watch(client, "127.0.0.1:6379/0", "redis", lambda target: "watched")
    assert [check() for _, check in registry.due()] == ["watched"]


def test_adding_a_dependency_tells_the_listeners_and_replacing_one_does_not() -> None:
    registry = Registry()
    told: list[str] = []
    registry.on_added(lambda: told.append("added"))
    client = _Client()
    registry.register("openai", "llm", lambda: True)
    registry.register("openai", "llm", lambda: True)
    registry.watch(client, "127.0.0.1:6379/0", "redis", lambda target: True)
    registry.watch(client, "127.0.0.1:6379/0", "redis", lambda target: True)
    assert told == ["added", "added"]


def test_a_listener_removed_is_no_longer_told() -> None:
    registry = Registry()
    told: list[str] = []

    def listener() -> None:
        told.append("added")

    registry.on_added(listener)
    registry.off_added(listener)
    registry.off_added(listener)
    registry.register("openai", "llm", lambda: True)
    assert told == []
