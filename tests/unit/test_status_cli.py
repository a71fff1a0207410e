"""Specification of the ``tta-otel status`` command line when Prometheus does not answer: one
line, exit 2, never a traceback; ``--watch`` keeps trying until Ctrl-C."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tta_otel.ops.cli.main import main
from tta_otel.testing.processes import free_port


def _nobody() -> str:
    return f"http://127.0.0.1:{free_port()}"


def test_an_unreachable_prometheus_is_down_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    url = _nobody()
    code = main(["status", "--prometheus-url", url])
    captured = capsys.readouterr()
    assert (code, captured.out, captured.err.startswith(f"status: down: Prometheus at {url} cannot be reached")) == (
        2,
        "",
        True,
    )


def test_with_json_an_unreachable_prometheus_is_a_down_document(capsys: pytest.CaptureFixture[str]) -> None:
    url = _nobody()
    code = main(["status", "--json", "--prometheus-url", url])
    document = json.loads(capsys.readouterr().out)
    assert (
        code,
        document["status"],
        document["exit_code"],
        document["reasons"][0].startswith(f"Prometheus at {url}"),
    ) == (
        2,
        "down",
        2,
        True,
    )


def test_watch_and_json_are_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["status", "--json", "--watch"])
    assert (exit_info.value.code, "not allowed with argument" in capsys.readouterr().err) == (2, True)


def test_watch_keeps_asking_until_ctrl_c_and_exits_with_the_last_status() -> None:
    # Ctrl-C once the command asks Prometheus again (a socket that hangs up): during start-up it would be
    # Python's, not the command's, and on a busy machine start-up takes seconds. The command starts
    # with SIGINT's default disposition, as from a terminal (a shell's background job ignores it).
    with socket.create_server(("127.0.0.1", 0)) as prometheus:
        url = f"http://127.0.0.1:{prometheus.getsockname()[1]}"
        command = [str(Path(sys.executable).parent / "tta-otel"), "status", "--watch", "1", "--prometheus-url", url]
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509 (one C call)
        )
        try:
            prometheus.settimeout(60)
            for _ in range(2):  # the second ask comes after the first screen, "down", is drawn
                asked, _ = prometheus.accept()
                asked.close()
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=60)
        finally:
            process.kill()
            process.wait()
    assert (process.returncode, "status: down: Prometheus at" in out, "Traceback" in err) == (2, True, False)
