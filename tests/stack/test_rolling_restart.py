"""Continuity during a rolling deployment: two instances of the example service under the distro
are restarted one after the other while requests keep coming to whichever is up; every answered
request's server span reaches Jaeger (each instance flushes on SIGTERM before it exits)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.stack.conftest import REPO
from tta_otel.ops.stack.runner import URLS, Stack
from tta_otel.ops.stores import JaegerClient
from tta_otel.testing.processes import (
    RunningService,
    distro_environment,
    instrumented_service,
    redis_server,
    wait_until,
)
from tta_otel.testing.stored import spans_of_service

pytestmark = pytest.mark.integration

SERVICE = "tta-player-api"
SCENE = "GET /players/{player_id}/scene"


class Instance:
    """One instance of the service, started and stopped (SIGTERM) as a deployment would."""

    def __init__(self, redis_url: str, config: Path) -> None:
        self.id = str(uuid.uuid4())
        self._env = distro_environment(
            URLS["TTA_OTLP_GRPC_ENDPOINT"], config, redis_url, OTEL_RESOURCE_ATTRIBUTES=f"service.instance.id={self.id}"
        )
        self._running = ExitStack()
        self.service: RunningService | None = None
        self.answered = 0

    def start(self) -> None:
        self.service = self._running.enter_context(instrumented_service(self._env, cwd=REPO))

    def stop(self) -> None:
        self._running.close()
        self.service = None

    def requests(self, count: int) -> None:
        assert self.service is not None
        for number in range(count):
            response = httpx.get(f"{self.service.url}/players/p{number}/scene", timeout=10)
            self.answered += response.status_code == 200

    def scene_spans(self, jaeger: JaegerClient) -> int:
        return sum(span["operationName"] == SCENE for span in spans_of_service(jaeger, SERVICE, self.id))


@pytest.fixture
def instances(stack: Stack, tmp_path: Path) -> Iterator[tuple[Instance, Instance]]:
    config = tmp_path / "tta_config.yaml"
    config.write_text("monitoring:\n  component: player-api\n  repository: tta.dev\n  environment: test\n")
    with redis_server() as redis_url:
        pair = (Instance(redis_url, config), Instance(redis_url, config))
        try:
            yield pair
        finally:
            for instance in pair:
                instance.stop()


def test_a_rolling_restart_under_traffic_loses_no_span(
    instances: tuple[Instance, Instance], trace_store: JaegerClient
) -> None:
    first, second = instances
    first.start()
    second.start()
    first.requests(10)
    second.requests(10)
    first.stop()  # the first instance is replaced; the second takes the traffic meanwhile
    second.requests(10)
    first.start()
    first.requests(10)
    second.stop()  # then the second; the first, already new, takes the traffic
    first.requests(10)
    second.start()
    second.requests(10)
    first.stop()
    second.stop()
    assert (first.answered, second.answered) == (30, 30)
    assert wait_until(lambda: (first.scene_spans(trace_store), second.scene_spans(trace_store)) == (30, 30), timeout=60)
