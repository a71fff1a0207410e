"""Fixtures that start real components for the integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.processes import redis_server
from tta_otel.devtools.otlp_sink import OtlpSink


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture
def sink() -> Iterator[OtlpSink]:
    with OtlpSink() as running:
        yield running
