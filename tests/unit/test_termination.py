"""Specification of the SIGTERM flush: telemetry is exported before the process ends."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tta_otel.termination import flush_on_sigterm


def test_sigterm_flushes_then_terminates_like_the_default(tmp_path: Path) -> None:
    marker = tmp_path / "flushed"
    script = textwrap.dedent(
        f"""
        import os, signal
        from tta_otel.termination import flush_on_sigterm
        assert flush_on_sigterm(lambda: open({str(marker)!r}, "w").write("yes"))
        os.kill(os.getpid(), signal.SIGTERM)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], timeout=30, check=False)
    assert result.returncode == -signal.SIGTERM
    assert marker.read_text() == "yes"


def test_a_failing_flush_still_terminates(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import os, signal
        from tta_otel.termination import flush_on_sigterm
        def flush():
            raise RuntimeError("collector gone")
        flush_on_sigterm(flush)
        os.kill(os.getpid(), signal.SIGTERM)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], timeout=30, check=False, capture_output=True, text=True)
    assert result.returncode == -signal.SIGTERM
    assert "flushing telemetry at SIGTERM failed" in result.stderr


def test_a_flush_that_hangs_is_abandoned_after_the_timeout() -> None:
    script = textwrap.dedent(
        """
        import os, signal, time
        from tta_otel.termination import flush_on_sigterm
        flush_on_sigterm(lambda: time.sleep(60), timeout_s=0.5)
        os.kill(os.getpid(), signal.SIGTERM)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], timeout=20, check=False)
    assert result.returncode == -signal.SIGTERM


def test_an_existing_handler_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    def application_handler(signum: int, frame: object) -> None:
        return None

    previous = signal.signal(signal.SIGTERM, application_handler)
    try:
        assert flush_on_sigterm(lambda: None) is False
        assert signal.getsignal(signal.SIGTERM) is application_handler
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_nothing_is_installed_outside_the_main_thread() -> None:
    import threading

    results: list[bool] = []
    thread = threading.Thread(target=lambda: results.append(flush_on_sigterm(lambda: None)))
    thread.start()
    thread.join()
    assert results == [False]
