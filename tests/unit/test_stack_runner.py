"""Specification of the native stack runner, with small stand-in servers instead of the
real binaries (the real stack is exercised by tests/stack): start, wait for readiness,
report, stop by pid, and explain every failure."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tta_otel.ops.secrets import SecretsDir
from tta_otel.ops.stack import runner
from tta_otel.ops.stack.components import Component
from tta_otel.ops.stack.runner import Service, Stack, StackError, running_component
from tta_otel.testing.processes import free_port

REPO = Path(__file__).resolve().parents[2]


def _script(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text(f"#!{sys.executable}\n{body}\n")
    path.chmod(0o755)


def _component(cache: Path, name: str, body: str) -> Component:
    component = Component(name, "0.0.1", (name,), None, lambda c, r, o: None)
    component.cache_dir().mkdir(parents=True, exist_ok=True)
    _script(component.cache_dir(), name, body)
    return component


SERVE = (
    "import http.server, sys\n"
    "http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), http.server.SimpleHTTPRequestHandler).serve_forever()"
)


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    monkeypatch.setenv("TTA_OTEL_CACHE", str(tmp_path / "cache"))
    port = free_port()
    services = (Service("web", "web", port, "/", (), lambda at: [str(at.port)]),)
    monkeypatch.setattr(runner, "SERVICES", services)
    running = Stack(REPO, tmp_path / "state")
    running.components = {"web": _component(tmp_path, "web", SERVE)}
    yield running
    running.down()


def test_up_waits_until_ready_and_down_stops_by_pid(stack: Stack) -> None:
    stack.up(timeout=20)
    (status,) = stack.status()
    assert status["ready"] is True
    assert isinstance(status["pid"], int)
    stack.down()
    assert stack.status()[0]["pid"] is None


def test_starting_twice_keeps_the_running_process(stack: Stack) -> None:
    stack.up(timeout=20)
    pid = stack.status()[0]["pid"]
    stack.up(timeout=20)
    assert stack.status()[0]["pid"] == pid


def test_a_component_that_exits_during_start_up_shows_its_log(stack: Stack, tmp_path: Path) -> None:
    stack.components["web"] = _component(
        tmp_path, "web-broken", "print('config error: bad scrape_interval'); raise SystemExit(3)"
    )
    with pytest.raises(StackError, match=r"web exited during start-up:\n.*config error: bad scrape_interval"):
        stack.up(timeout=20)


def test_a_component_that_never_gets_ready_times_out(stack: Stack, tmp_path: Path) -> None:
    stack.components["web"] = _component(
        tmp_path, "web-slow", "import time; print('warming up', flush=True); time.sleep(60)"
    )
    with pytest.raises(StackError, match=r"not ready after 1 s: web\n--- web\nwarming up"):
        stack.up(timeout=1)


def test_a_port_in_use_is_named(stack: Stack) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", stack.service("web").port))
        blocker.listen()
        with pytest.raises(StackError, match=rf"port {stack.service('web').port} \(web\) is in use"):
            stack.start("web")


def test_a_binary_not_built_says_how_to_build_it(stack: Stack) -> None:
    stack.components["web"] = Component("absent", "1.0", ("absent",), None, lambda c, r, o: None)
    with pytest.raises(StackError, match=r"absent 1.0 is not built: run `tta-otel stack build`"):
        stack.start("web")


def test_an_unknown_service_is_an_error(stack: Stack) -> None:
    with pytest.raises(StackError, match="no service 'grafana'; services: web"):
        stack.service("grafana")


def test_logs_of_a_service_that_never_ran(stack: Stack) -> None:
    assert stack.last_lines("web") == "(no log)"


def test_down_with_purge_removes_the_state(stack: Stack) -> None:
    stack.up(timeout=20)
    stack.down(purge=True)
    assert not stack.state_dir.exists()


def test_a_process_that_ignores_sigterm_is_killed(stack: Stack, tmp_path: Path) -> None:
    body = (
        "import signal, sys, http.server\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), http.server.SimpleHTTPRequestHandler).serve_forever()"
    )
    stack.components["web"] = _component(tmp_path, "web-stubborn", body)
    stack.up(timeout=20)
    assert stack.stop("web", grace=0.5) is True
    assert stack.status()[0]["pid"] is None
    assert stack.stop("web") is False


def test_a_pid_file_left_by_another_process_is_read(stack: Stack) -> None:
    stack.up(timeout=20)
    pid = stack.status()[0]["pid"]
    other = Stack(REPO, stack.state_dir)
    other.components = stack.components
    assert other.status()[0]["pid"] == pid


def test_a_pid_file_of_another_program_counts_as_stopped(stack: Stack) -> None:
    state = stack.state_dir / "web"
    state.mkdir(parents=True)
    (state / "pid").write_text(str(os.getpid()))
    assert stack.status()[0]["pid"] is None
    assert stack.stop("web") is False


def test_an_unreadable_pid_file_counts_as_stopped(stack: Stack) -> None:
    state = stack.state_dir / "web"
    state.mkdir(parents=True)
    (state / "pid").write_text("")
    assert stack.status()[0]["pid"] is None


def test_running_component_starts_one_component_from_the_table_on_its_own_port(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "components", lambda repository: stack.components)
    port = free_port()
    with running_component(
        REPO, "web", tmp_path / "alone", SecretsDir(tmp_path / "secrets"), port=port, timeout=20
    ) as url:
        assert url == f"http://127.0.0.1:{port}"
        assert runner._is_ready(url + "/")
        assert stack.status()[0]["pid"] is None  # not the stack's: no pid file
    assert not runner._is_ready(url + "/")


def test_running_component_shows_the_log_of_a_component_that_exits(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = {"web": _component(tmp_path, "web-broken", "print('bad config'); raise SystemExit(1)")}
    monkeypatch.setattr(runner, "components", lambda repository: broken)
    with (
        pytest.raises(StackError, match=r"web exited during start-up:\nbad config"),
        running_component(REPO, "web", tmp_path / "alone", SecretsDir(tmp_path / "secrets"), timeout=20),
    ):
        pass
