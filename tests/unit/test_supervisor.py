"""Specification of the supervisor's back-off and log rotation."""

from __future__ import annotations

from pathlib import Path

from tta_otel.ops.secrets import SecretsDir
from tta_otel.ops.stack.runner import Stack
from tta_otel.ops.stack.supervisor import BACKOFF_MAX_S, backoff, rotate
from tta_otel.ops.stack.supervisor_process import start_supervisor, stop_supervisor, supervisor_pid
from tta_otel.testing.processes import wait_until

REPO = Path(__file__).resolve().parents[2]


def test_the_back_off_doubles_from_one_second_up_to_a_minute() -> None:
    assert [backoff(failures) for failures in range(1, 9)] == [1, 2, 4, 8, 16, 32, BACKOFF_MAX_S, BACKOFF_MAX_S]


def test_a_log_over_the_limit_is_copied_aside_and_emptied(tmp_path: Path) -> None:
    log = tmp_path / "jaeger.log"
    log.write_bytes(b"x" * 11)
    assert rotate(log, limit=10, keep=3)
    assert (log.read_bytes(), (tmp_path / "jaeger.log.1").read_bytes()) == (b"", b"x" * 11)


def test_older_copies_shift_and_the_oldest_beyond_keep_is_overwritten(tmp_path: Path) -> None:
    log = tmp_path / "jaeger.log"
    for generation in (b"a", b"b", b"c", b"d"):
        log.write_bytes(generation * 11)
        rotate(log, limit=10, keep=2)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["jaeger.log", "jaeger.log.1", "jaeger.log.2"]
    assert ((tmp_path / "jaeger.log.1").read_bytes(), (tmp_path / "jaeger.log.2").read_bytes()) == (
        b"d" * 11,
        b"c" * 11,
    )


def test_a_log_within_the_limit_is_left_alone(tmp_path: Path) -> None:
    log = tmp_path / "jaeger.log"
    log.write_bytes(b"x" * 10)
    assert not rotate(log, limit=10)
    assert log.read_bytes() == b"x" * 10


def test_a_missing_log_is_not_an_error(tmp_path: Path) -> None:
    assert not rotate(tmp_path / "absent.log", limit=10)


def test_a_writer_in_append_mode_continues_at_the_start_after_rotation(tmp_path: Path) -> None:
    log = tmp_path / "collector.log"
    with open(log, "ab") as writer:
        writer.write(b"x" * 11)
        writer.flush()
        rotate(log, limit=10)
        writer.write(b"next")
    assert log.read_bytes() == b"next"


def test_the_supervisor_process_runs_in_the_background_until_stopped_by_its_pid(tmp_path: Path) -> None:
    secrets = SecretsDir(tmp_path / "secrets")
    secrets.init()
    stack = Stack(REPO, tmp_path / "state", secrets)
    pid = start_supervisor(stack)
    try:
        assert wait_until(lambda: supervisor_pid(stack) == pid, timeout=10)
    finally:
        assert stop_supervisor(stack)
    assert supervisor_pid(stack) is None
    assert [path.name for path in (tmp_path / "state").iterdir()] == ["supervisor"]  # it started nothing
