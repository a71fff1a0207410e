"""The native prefilter's own Rust tests (native/prefilter) run with the Python suite, so
``make test`` proves the crate as well as its Python face (tests/unit/test_prefilter.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
CRATE = Path(__file__).resolve().parents[2] / "native" / "prefilter"


def test_the_prefilter_crate_passes_its_own_tests() -> None:
    cargo = shutil.which("cargo") or str(Path.home() / ".cargo" / "bin" / "cargo")
    if not Path(cargo).exists():
        pytest.skip("Rust is not installed: the native prefilter cannot be tested (install it with rustup)")
    target = Path.home() / ".cache" / "tta-otel" / "cargo-target"
    result = subprocess.run(
        [cargo, "test", "--release", "--locked", "--quiet"],
        cwd=CRATE,
        env={**os.environ, "CARGO_TARGET_DIR": str(target)},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "test result: ok. 7 passed" in result.stdout
