"""The supervisor keeps the native stack running: a component that dies is started again and the
restart is counted; one that was stopped on purpose stays stopped."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import pytest

from tta_otel.ops.stack.runner import Stack
from tta_otel.ops.stack.supervisor import Supervisor
from tta_otel.testing.processes import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def supervised(stack: Stack) -> Iterator[Stack]:
    """The shared stack with a supervisor running beside it for one test, then restored."""
    stop = threading.Event()
    thread = threading.Thread(target=Supervisor(stack).run, args=(stop, 0.2), daemon=True)
    thread.start()
    yield stack
    stop.set()
    thread.join(10)
    for name in stack.native_names():
        stack.start(name)
    stack.wait_ready(stack.native_names(), timeout=60)


def _ready(stack: Stack, name: str) -> bool:
    return next(entry for entry in stack.status() if entry["service"] == name)["ready"] is True


def test_a_component_killed_with_sigkill_is_started_again_and_counted(supervised: Stack) -> None:
    before = supervised.restarts("victorialogs")
    pid = supervised.pid(supervised.service("victorialogs"))
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    assert wait_until(lambda: supervised.restarts("victorialogs") == before + 1, timeout=30)
    assert wait_until(lambda: _ready(supervised, "victorialogs"), timeout=30)
    assert supervised.pid(supervised.service("victorialogs")) not in (None, pid)


def test_a_component_stopped_on_purpose_stays_stopped(supervised: Stack) -> None:
    before = supervised.restarts("alertmanager")
    supervised.stop("alertmanager")
    assert not wait_until(lambda: supervised.is_running("alertmanager"), timeout=3)
    assert supervised.restarts("alertmanager") == before
