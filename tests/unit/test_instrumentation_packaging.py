"""Specification of how tta_otel's instrumentors are packaged for ``opentelemetry-instrument``.

One distribution ships several instrumentors, so its ``instruments-any`` extra names every
library they instrument (the distribution is loaded when any is installed) and each
instrumentor checks its own ``instrumentation_dependencies()`` through the distro.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, distribution, entry_points
from typing import Any

import pytest
from opentelemetry.instrumentation import dependencies
from opentelemetry.instrumentation.dependencies import DependencyConflictError, get_dist_dependency_conflicts
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]

from tta_otel.distro import TTADistro

OUR_ENTRY_POINTS = sorted(
    (
        entry_point
        for entry_point in entry_points(group="opentelemetry_instrumentor")
        if entry_point.value.startswith("tta_otel.")
    ),
    key=lambda entry_point: entry_point.name,
)


def _instruments_any() -> set[str]:
    requires = distribution("tta-otel").requires or []
    return {req.split(";")[0].replace(" ", "") for req in requires if 'extra == "instruments-any"' in req}


def test_the_distribution_registers_four_instrumentors() -> None:
    assert [entry_point.name for entry_point in OUR_ENTRY_POINTS] == [
        "neo4j",
        "redis_metrics",
        "redis_pool",
        "starlette_websockets",
    ]


@pytest.mark.parametrize("entry_point", OUR_ENTRY_POINTS, ids=lambda entry_point: entry_point.name)
def test_each_instrumentor_s_dependencies_are_in_the_instruments_any_extra(entry_point: EntryPoint) -> None:
    declared = {dependency.replace(" ", "") for dependency in entry_point.load()().instrumentation_dependencies()}
    assert declared <= _instruments_any()


def test_the_extra_names_no_library_that_no_instrumentor_needs() -> None:
    declared = {
        dependency.replace(" ", "")
        for entry_point in OUR_ENTRY_POINTS
        for dependency in entry_point.load()().instrumentation_dependencies()
    }
    assert declared == _instruments_any()


def test_opentelemetry_instrument_finds_no_conflict_for_the_distribution_here() -> None:
    assert get_dist_dependency_conflicts(distribution("tta-otel")) is None


@pytest.mark.parametrize(
    ("entry_point_name", "library", "too_old", "oldest"),
    [
        ("neo4j", "neo4j", "4.4.12", "5.0"),
        ("redis_metrics", "redis", "4.1.4", "4.2"),
        ("redis_pool", "redis", "4.1.4", "4.2"),
        ("starlette_websockets", "starlette", "0.26.1", "0.27"),
    ],
)
def test_each_instrumentor_refuses_a_library_older_than_it_supports(
    monkeypatch: pytest.MonkeyPatch, entry_point_name: str, library: str, too_old: str, oldest: str
) -> None:
    (entry_point,) = [entry_point for entry_point in OUR_ENTRY_POINTS if entry_point.name == entry_point_name]
    instrumentor: BaseInstrumentor = entry_point.load()()
    installed: dict[str, str] = {}
    monkeypatch.setattr(dependencies, "version", lambda name: installed[name])
    installed[library] = too_old
    assert instrumentor._check_dependency_conflicts() is not None
    installed[library] = oldest
    assert instrumentor._check_dependency_conflicts() is None


class _Loaded:
    def __init__(self) -> None:
        self.kwargs: dict[str, Any] = {}

    def __call__(self) -> _Loaded:
        return self

    def instrument(self, **kwargs: Any) -> None:
        self.kwargs = kwargs


def _entry_point(name: str, value: str, loaded: _Loaded, monkeypatch: pytest.MonkeyPatch) -> EntryPoint:
    entry_point = EntryPoint(name, value, "opentelemetry_instrumentor")
    monkeypatch.setattr(EntryPoint, "load", lambda self: loaded)
    return entry_point


def test_the_distro_has_its_own_instrumentors_check_their_dependencies(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = _Loaded()
    TTADistro().load_instrumentor(
        _entry_point("neo4j", "tta_otel.instrumentation.neo4j:Neo4jInstrumentor", loaded, monkeypatch),
        skip_dep_check=True,
    )
    assert loaded.kwargs == {"raise_exception_on_conflict": True}


def test_the_distro_leaves_the_check_of_other_instrumentations_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = _Loaded()
    TTADistro().load_instrumentor(
        _entry_point("requests", "opentelemetry.instrumentation.requests:RequestsInstrumentor", loaded, monkeypatch),
        skip_dep_check=True,
    )
    assert loaded.kwargs == {"skip_dep_check": True}


def test_a_conflict_of_our_instrumentor_reaches_opentelemetry_instrument_as_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dependencies, "version", lambda name: "4.0.0" if name == "redis" else "99")
    (entry_point,) = [entry_point for entry_point in OUR_ENTRY_POINTS if entry_point.name == "redis_metrics"]
    with pytest.raises(DependencyConflictError):
        TTADistro().load_instrumentor(entry_point, skip_dep_check=True)
