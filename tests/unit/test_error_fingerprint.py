"""Error fingerprints group occurrences of one bug and separate different bugs, as an error tracker does."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import pytest

from tta_otel.errors import fingerprint, parse_traceback
from tta_otel.errors.fingerprint import module_of


class SceneMissingError(LookupError):
    """Stands for an application error."""


def load_scene(scene_id: str, chapter: int) -> None:
    if chapter > 1:
        raise SceneMissingError(f"scene {scene_id} of chapter {chapter} is missing")
    raise SceneMissingError(f"no scene {scene_id}")


def load_choice(choice_id: str) -> None:
    raise SceneMissingError(f"no choice {choice_id}")


def narrate(scene_id: str) -> None:
    try:
        load_scene(scene_id, 1)
    except SceneMissingError as exc:
        raise RuntimeError(f"narration failed for {scene_id}") from exc


def narrate_without_cause(scene_id: str) -> None:
    raise RuntimeError(f"narration failed for {scene_id}")


def formatted(call: object, *args: object) -> tuple[str, str]:
    try:
        call(*args)  # type: ignore[operator]
    except Exception as exc:
        return type(exc).__name__, "".join(traceback.format_exception(exc))
    raise AssertionError("expected an exception")


def test_one_bug_raised_at_two_lines_with_different_values_has_one_fingerprint() -> None:
    first = formatted(load_scene, "forest-17", 1)
    second = formatted(load_scene, "cave-3", 2)

    assert first[1] != second[1]
    assert fingerprint(*first) == fingerprint(*second)


def test_a_different_in_app_function_has_another_fingerprint() -> None:
    assert fingerprint(*formatted(load_scene, "forest-17", 1)) != fingerprint(*formatted(load_choice, "c-1"))


def test_a_different_exception_type_has_another_fingerprint() -> None:
    exception_type, stacktrace = formatted(load_scene, "forest-17", 1)

    assert fingerprint(exception_type, stacktrace) != fingerprint(
        exception_type, stacktrace.replace("SceneMissingError:", "SceneLockedError:")
    )


def test_the_cause_of_a_chained_exception_is_part_of_the_fingerprint() -> None:
    assert fingerprint(*formatted(narrate, "forest-17")) != fingerprint(*formatted(narrate_without_cause, "forest-17"))
    assert fingerprint(*formatted(narrate, "forest-17")) == fingerprint(*formatted(narrate, "lake-2"))


def test_a_chained_traceback_parses_into_its_exceptions_cause_first() -> None:
    _, stacktrace = formatted(narrate, "forest-17")

    chain = parse_traceback(stacktrace)

    assert [exception.type.rsplit(".", 1)[-1] for exception in chain] == ["SceneMissingError", "RuntimeError"]
    assert [frame.function for frame in chain[0].frames if frame.in_app][-1] == "load_scene"
    assert all(frame.module == __name__ for frame in chain[0].frames if frame.function == "load_scene")


TEMPLATE = """Traceback (most recent call last):
  File "{root}/lib/python3.11/site-packages/starlette/routing.py", line {line}, in handle
    await self.app(scope, receive, send)
  File "{root}/app/tta/story.py", line {line}, in next_scene
    raise KeyError(player)
KeyError: '{value}'
"""


def test_paths_line_numbers_values_and_library_frames_are_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "release-1", tmp_path / "release-2"
    monkeypatch.setattr(sys, "path", [str(first / "app"), str(second / "app"), *sys.path])

    one = TEMPLATE.format(root=first, line=10, value="player-7")
    other = TEMPLATE.format(root=second, line=99, value="player-8").replace("routing.py", "applications.py")

    assert fingerprint("KeyError", one) == fingerprint("KeyError", other)
    assert [frame.module for frame in parse_traceback(one)[0].frames] == ["routing", "tta.story"]


def test_configured_in_app_modules_decide_which_frames_count() -> None:
    _, stacktrace = formatted(load_scene, "forest-17", 1)

    chain = parse_traceback(stacktrace, in_app_modules=["tta"])

    assert not any(frame.in_app for frame in chain[0].frames)


def test_a_traceback_that_cannot_be_parsed_falls_back_to_the_type() -> None:
    assert fingerprint("TimeoutError", "") == fingerprint("TimeoutError", "garbled")
    assert fingerprint("TimeoutError", "") != fingerprint("KeyError", "")
    assert len(fingerprint("TimeoutError", "")) == 16


def test_a_path_outside_sys_path_is_named_by_its_file() -> None:
    assert module_of("/nowhere/at/all/story.py") == "story"
