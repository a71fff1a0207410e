"""``stack up`` is all or nothing: when one component cannot start, the components this call had
started are stopped again, so none of them holds a port that breaks the next stack. Runs the real
native binaries (``make test`` builds them first); it uses the stack's fixed ports, so it runs
here, before the stack tests start their shared stack."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.integration.conftest import REPO
from tta_otel.ops.secrets import SecretsDir
from tta_otel.ops.stack.runner import Stack, StackError

pytestmark = [pytest.mark.integration, pytest.mark.fixed_ports]  # it starts the native stack


def test_a_busy_port_leaves_no_component_of_the_failed_up_running(tmp_path: Path) -> None:
    secrets = SecretsDir(tmp_path / "secrets")
    secrets.init()
    stack = Stack(REPO, tmp_path / "state", secrets)
    last = stack.native_names()[-1]
    with socket.socket() as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the last stack may have left TIME_WAIT
        busy.bind(("127.0.0.1", stack.service(last).port))
        busy.listen()
        with pytest.raises(StackError, match=f"port {stack.service(last).port} \\({last}\\) is in use"):
            stack.up(timeout=90)
    assert {entry["service"]: entry["pid"] for entry in stack.status()} == dict.fromkeys(stack.native_names())
