"""The supervisor as a process of its own: started by ``stack up``, stopped first by ``stack down``.

Its pid lives in ``<state>/supervisor/pid`` and its log in ``<state>/supervisor/supervisor.log``;
a pid whose command line is not ``tta-otel stack supervise`` counts as no supervisor (a stale
file). It exports ``tta.stack.component.restarts`` to the stack's own collector over OTLP/HTTP,
with the collector's token and CA from the stack's secrets.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from tta_otel import instruments, semconv
from tta_otel.environment_variables import TTA_OTLP_HTTP_ENDPOINT, TTA_SECRETS_DIR
from tta_otel.ops.collector_metrics import collector_meter_provider
from tta_otel.ops.stack.runner import URLS, Stack
from tta_otel.ops.stack.supervisor import Supervisor

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics import MeterProvider

_SERVICE_NAME = "tta-otel-supervisor"
_EXPORT_INTERVAL_MS = 15_000


def _folder(stack: Stack) -> Path:
    return stack.state_dir / "supervisor"


def supervisor_pid(stack: Stack) -> int | None:
    """The running supervisor's pid, or None."""
    try:
        pid = int((_folder(stack) / "pid").read_text())
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    return pid if b"supervise" in command else None


def start_supervisor(stack: Stack) -> int:
    """Start the supervisor in its own session (no-op when one runs); returns its pid."""
    running = supervisor_pid(stack)
    if running is not None:
        return running
    folder = _folder(stack)
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "tta_otel.ops.cli.main", "stack", "supervise"]
    command += ["--repo", str(stack.repository), "--state-dir", str(stack.state_dir)]
    command += ["--secrets-dir", str(stack.secrets.path)]
    with open(folder / "supervisor.log", "ab") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, TTA_SECRETS_DIR: str(stack.secrets.path)},
        )
    (folder / "pid").write_text(str(process.pid))
    return process.pid


def stop_supervisor(stack: Stack, grace: float = 10.0) -> bool:
    """Stop the supervisor by its pid (SIGTERM, then SIGKILL); returns whether one ran."""
    pid = supervisor_pid(stack)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while supervisor_pid(stack) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    if supervisor_pid(stack) is not None:
        os.kill(pid, signal.SIGKILL)
    (_folder(stack) / "pid").unlink(missing_ok=True)
    return True


def _export_restarts(stack: Stack) -> MeterProvider:
    """``tta.stack.component.restarts`` read from the state directory at each export; returns the
    meter provider (shut down to flush)."""
    from opentelemetry.metrics import CallbackOptions, Observation

    endpoint = os.environ.get(TTA_OTLP_HTTP_ENDPOINT, URLS[TTA_OTLP_HTTP_ENDPOINT])
    provider = collector_meter_provider(endpoint, _SERVICE_NAME, _EXPORT_INTERVAL_MS)

    def observe(options: CallbackOptions) -> Iterable[Observation]:
        for name in stack.native_names():
            yield Observation(stack.restarts(name), {semconv.TTA_STACK_COMPONENT: name})

    instruments.observe(provider.get_meter("tta_otel.ops.stack"), semconv.TTA_STACK_COMPONENT_RESTARTS, [observe])
    return provider


def serve(stack: Stack) -> None:
    """Supervise until SIGTERM or SIGINT."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    provider = _export_restarts(stack)
    try:
        Supervisor(stack).run(stop)
    finally:
        provider.shutdown()


__all__ = ["serve", "start_supervisor", "stop_supervisor", "supervisor_pid"]
