"""Specification of docs/tta-sh.md: the ``monitoring`` function TTA's ``tta.sh`` pastes is taken
from the page itself and run with ``sh`` against the real ``tta-otel`` on ``PATH``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tta_otel.testing.processes import free_port

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "tta-sh.md"


def monitoring_function() -> str:
    """The one ``sh`` block of the page that defines ``monitoring()``."""
    blocks: list[str] = re.findall(r"```sh\n(.*?)```", PAGE.read_text(), re.DOTALL)
    (block,) = [b for b in blocks if "monitoring() {" in b]
    return block


def run_monitoring(*arguments: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """``monitoring ARGUMENTS`` in ``sh``, with this interpreter's ``tta-otel`` first on ``PATH``."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return subprocess.run(
        ["sh", "-c", f'{monitoring_function()}\nmonitoring "$@"', "tta.sh", *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PATH": path, **environment},
    )


def test_monitoring_validate_checks_files_of_the_checkout_with_their_own_tools() -> None:
    result = run_monitoring("validate", "prometheus/rules/availability.yml", TTA_OTEL_HOME=str(REPO))
    assert (result.returncode, result.stdout) == (
        0,
        f"ok   {REPO}/prometheus/rules/availability.yml (promtool check rules)\n",
    )


def test_monitoring_status_says_down_when_prometheus_does_not_answer() -> None:
    result = run_monitoring("status", "--prometheus-url", f"http://127.0.0.1:{free_port()}")
    assert (result.returncode, result.stderr.startswith("status: down: Prometheus at http://127.0.0.1:")) == (2, True)


def test_an_unknown_action_prints_the_usage_and_returns_2() -> None:
    result = run_monitoring("restart")
    assert (result.returncode, result.stderr) == (2, "usage: monitoring up|down|status|validate|report [ARGUMENTS]\n")


def test_without_tta_otel_on_path_it_says_what_to_install() -> None:
    result = subprocess.run(
        ["sh", "-c", f"{monitoring_function()}\nmonitoring status", "tta.sh"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert (result.returncode, result.stderr) == (
        127,
        "monitoring: tta-otel is not on PATH: pip install 'tta-otel[stack]'\n",
    )
