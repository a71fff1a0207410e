"""Error fingerprints group occurrences of one bug and separate different bugs, as an error tracker does.

They are read from exception and traceback objects; ``test_fingerprint_injection`` shows that
message text cannot forge them.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tta_otel.errors import OTHER, FingerprintLimit, exception_chain, fingerprint, type_fingerprint


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


def narrate_while_handling(scene_id: str) -> None:
    try:
        load_scene(scene_id, 1)
    except SceneMissingError:
        raise RuntimeError(f"narration failed for {scene_id}")  # noqa: B904 - the implicit context is the point


def narrate_several(scene_ids: list[str]) -> None:
    errors: list[Exception] = []
    for scene_id in scene_ids:
        try:
            load_scene(scene_id, 1)
        except SceneMissingError as exc:
            errors.append(exc)
    raise ExceptionGroup("narration failed", errors)


def narrate_a_choice(choice_ids: list[str]) -> None:
    errors: list[Exception] = []
    for choice_id in choice_ids:
        try:
            load_choice(choice_id)
        except SceneMissingError as exc:
            errors.append(exc)
    raise ExceptionGroup("narration failed", errors)


def parse_answer(text: str) -> object:
    def hook(values: dict[str, object]) -> object:
        raise SceneMissingError(f"no scene for {values}")

    return json.loads(text, object_hook=hook)


def raised(call: Callable[..., object], *args: object) -> BaseException:
    try:
        call(*args)
    except BaseException as exc:
        return exc
    raise AssertionError("expected an exception")


def test_one_bug_raised_at_two_lines_with_different_values_has_one_fingerprint() -> None:
    assert fingerprint(raised(load_scene, "forest-17", 1)) == fingerprint(raised(load_scene, "cave-3", 2))


def test_a_different_in_app_function_has_another_fingerprint() -> None:
    assert fingerprint(raised(load_scene, "forest-17", 1)) != fingerprint(raised(load_choice, "c-1"))


def test_a_different_exception_type_has_another_fingerprint() -> None:
    def load_scene_locked(scene_id: str) -> None:
        raise PermissionError(scene_id)

    assert fingerprint(raised(load_scene, "forest-17", 1)) != fingerprint(raised(load_scene_locked, "forest-17"))


def test_the_cause_of_a_chained_exception_is_part_of_the_fingerprint() -> None:
    assert fingerprint(raised(narrate, "forest-17")) != fingerprint(raised(narrate_without_cause, "forest-17"))
    assert fingerprint(raised(narrate, "forest-17")) == fingerprint(raised(narrate, "lake-2"))


def test_the_exception_being_handled_is_part_of_the_fingerprint() -> None:
    assert fingerprint(raised(narrate_while_handling, "forest-17")) != fingerprint(
        raised(narrate_without_cause, "forest-17")
    )


def test_the_members_of_an_exception_group_are_part_of_the_fingerprint() -> None:
    assert fingerprint(raised(narrate_several, ["a", "b"])) != fingerprint(raised(narrate_a_choice, ["a", "b"]))


def test_a_chain_is_read_cause_first_with_fully_qualified_types_and_in_app_frames() -> None:
    chain = exception_chain(raised(narrate, "forest-17"))

    assert [exception.type for exception in chain] == [f"{__name__}.SceneMissingError", "RuntimeError"]
    assert [(frame.module, frame.function) for frame in chain[0].frames if frame.in_app] == [
        (__name__, "narrate"),
        (__name__, "load_scene"),
    ]


def test_library_frames_are_not_in_app() -> None:
    (chained,) = exception_chain(raised(parse_answer, '{"scene": "forest-17"}'))

    assert {frame.module for frame in chained.frames if not frame.in_app} == {"json", "json.decoder"}
    assert [frame.function for frame in chained.frames if frame.in_app] == [
        "raised",
        "parse_answer",
        "parse_answer.<locals>.hook",
    ]


def test_configured_in_app_modules_decide_which_frames_count() -> None:
    (chained,) = exception_chain(raised(load_scene, "forest-17", 1), in_app_modules=["tta"])

    assert not any(frame.in_app for frame in chained.frames)


def test_an_exception_that_was_never_raised_is_fingerprinted_by_its_type() -> None:
    assert fingerprint(SceneMissingError("no scene forest-17")) == fingerprint(SceneMissingError("no scene cave-3"))
    assert len(fingerprint(SceneMissingError("no scene forest-17"))) == 16


def test_a_type_fingerprint_depends_on_the_type_only() -> None:
    assert type_fingerprint("TimeoutError") == type_fingerprint("TimeoutError")
    assert type_fingerprint("TimeoutError") != type_fingerprint("KeyError")
    assert len(type_fingerprint("TimeoutError")) == 16


def test_past_the_limit_every_new_fingerprint_is_other() -> None:
    limit = FingerprintLimit(2)

    assert [limit(value) for value in ("a" * 16, "b" * 16, "c" * 16, "a" * 16)] == ["a" * 16, "b" * 16, OTHER, "a" * 16]


@pytest.mark.parametrize("cycle", ["cause", "context"])
def test_a_chain_that_refers_to_itself_ends(cycle: str) -> None:
    error = raised(load_scene, "forest-17", 1)
    setattr(error, f"__{cycle}__", error)

    assert len(exception_chain(error)) == 1
