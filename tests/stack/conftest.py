"""The native stack, started once for the stack tests: the real collector (our build),
Prometheus and Alertmanager on loopback. `make test` builds or reuses the binaries first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tta_otel.ops.stack.runner import Stack

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack(REPO, tmp_path_factory.mktemp("stack-state"))
    running.up(timeout=90)
    yield running
    running.down(purge=True)
