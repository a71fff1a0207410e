"""The collector's privacy processor (collector/privacyprocessor, Go): its own tests run with
the Python suite, so ``make test`` proves both layers. They read the committed
``collector-config/privacy.yaml`` (the policy as the processor gets it) and check the Python
layer's results for the same input: pseudonyms, value patterns, URLs, shapes, every field."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
MODULE = Path(__file__).resolve().parents[2] / "collector" / "privacyprocessor"


def test_the_processors_go_tests_pass() -> None:
    go = shutil.which("go")
    if go is None:
        pytest.skip("Go is not installed: the collector's privacy processor cannot be tested (install Go 1.26)")
    result = subprocess.run(
        [go, "test", "-count=1", "./..."],
        cwd=MODULE,
        env={**os.environ, "GOFLAGS": "-mod=mod"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
