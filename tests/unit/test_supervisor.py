"""Specification of the supervisor's back-off, log rotation and following of the gateways."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from tta_otel.ops.secrets import SecretsDir
from tta_otel.ops.stack.runner import Stack
from tta_otel.ops.stack.supervisor import BACKOFF_MAX_S, PRUNE_INTERVAL_S, Supervisor, backoff, rotate
from tta_otel.ops.stack.supervisor_process import start_supervisor, stop_supervisor, supervisor_pid
from tta_otel.testing.processes import wait_until

REPO = Path(__file__).resolve().parents[2]


class _AgentWithGateways:
    """A stand-in for a ``Stack`` started with gateways, whose gateways answer their health check
    or not as the test says; no process runs (tests/stack/test_gateways.py runs the real ones)."""

    def __init__(self, logs: Path, count: int) -> None:
        self.gateways = count
        self.answering = set(range(1, count + 1))
        self.members = list(range(1, count + 1))
        self.reloads = 0
        self.agent_ready = True
        self._logs = logs

    def gateway_names(self) -> list[str]:
        return [f"otel-gateway-{index}" for index in range(1, self.gateways + 1)]

    def native_names(self) -> list[str]:
        return [*self.gateway_names(), "otel-collector"]

    def log_file(self, name: str) -> Path:
        return self._logs / f"{name}.log"

    def expected(self, name: str) -> bool:
        return False  # nothing to start again here

    def is_running(self, name: str) -> bool:
        return True

    def is_ready(self, name: str) -> bool:
        if name == "otel-collector":
            return self.agent_ready
        return int(name.rpartition("-")[2]) in self.answering

    def gateway_members(self) -> list[int]:
        return self.members

    def set_gateway_members(self, indices: list[int]) -> None:
        self.members = list(indices)
        self.reloads += 1


def _supervising(stack: _AgentWithGateways) -> Supervisor:
    return Supervisor(cast(Any, stack))


def test_a_gateway_that_stops_answering_leaves_the_agents_ring_after_two_checks(tmp_path: Path) -> None:
    stack = _AgentWithGateways(tmp_path, 3)
    supervisor = _supervising(stack)
    stack.answering.discard(2)
    supervisor.check()
    assert (stack.members, stack.reloads) == ([1, 2, 3], 0)
    supervisor.check()
    assert (stack.members, stack.reloads) == ([1, 3], 1)


def test_a_gateway_that_answers_again_gets_its_share_back(tmp_path: Path) -> None:
    stack = _AgentWithGateways(tmp_path, 2)
    supervisor = _supervising(stack)
    stack.answering.discard(1)
    supervisor.check()
    supervisor.check()
    stack.answering.add(1)
    supervisor.check()
    assert (stack.members, stack.reloads) == ([1, 2], 2)


def test_the_agent_is_not_reloaded_while_its_gateways_stay_as_they_are(tmp_path: Path) -> None:
    stack = _AgentWithGateways(tmp_path, 2)
    supervisor = _supervising(stack)
    supervisor.check()
    supervisor.check()
    assert stack.reloads == 0


def test_while_no_gateway_answers_the_agent_keeps_its_list_and_its_queue(tmp_path: Path) -> None:
    stack = _AgentWithGateways(tmp_path, 2)
    supervisor = _supervising(stack)
    stack.answering.clear()
    supervisor.check()
    supervisor.check()
    assert (stack.members, stack.reloads) == ([1, 2], 0)


def test_an_agent_that_does_not_answer_yet_is_not_sent_a_reload(tmp_path: Path) -> None:
    stack = _AgentWithGateways(tmp_path, 2)
    supervisor = _supervising(stack)
    stack.answering.discard(2)
    stack.agent_ready = False
    supervisor.check()
    supervisor.check()
    assert (stack.members, stack.reloads) == ([1, 2], 0)


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


class _StackWithRetention(_AgentWithGateways):
    """A stand-in that counts the retention passes asked of it, one of which fails as a store that
    does not answer does."""

    def __init__(self, logs: Path) -> None:
        super().__init__(logs, 0)
        self.passes: list[str] = []

    def prune_reports(self) -> list[Path]:
        self.passes.append("reports")
        return [self._logs / "old.json"]

    def prune_log_classes(self) -> list[str]:
        self.passes.append("log classes")
        raise OSError("VictoriaLogs does not answer")


def test_the_retention_classes_no_store_keeps_are_applied_every_prune_interval(tmp_path: Path) -> None:
    stack = _StackWithRetention(tmp_path)
    now = [0.0]
    supervisor = Supervisor(cast(Any, stack), clock=lambda: now[0])

    supervisor.check()
    assert stack.passes == []  # `stack up` has just applied them
    now[0] = PRUNE_INTERVAL_S
    supervisor.check()
    supervisor.check()
    assert stack.passes == ["reports", "log classes"]
    now[0] = 2 * PRUNE_INTERVAL_S
    supervisor.check()
    assert stack.passes == ["reports", "log classes"] * 2
