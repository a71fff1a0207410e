"""Fixtures that start real components for the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tta_otel.testing.otlp_sink import OtlpSink
from tta_otel.testing.processes import redis_server

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture
def sink() -> Iterator[OtlpSink]:
    with OtlpSink() as running:
        yield running
