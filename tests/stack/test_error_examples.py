"""Error groups with their example log lines, end to end on the native stack: the example service
raises real errors with planted personal data in their messages, its telemetry goes through the
collector, and ``tta-otel errors`` shows each group's newest line from VictoriaLogs - redacted -
with a trace id that Jaeger resolves to the failing request."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from faker import Faker

from examples.tta_service.traffic import PlantedData, play_instrumented
from tta_otel.ops.cli.main import main
from tta_otel.ops.client_credentials import jaeger_auth, prometheus_auth
from tta_otel.ops.stack.runner import URLS, Stack
from tta_otel.ops.stores import JaegerClient
from tta_otel.testing.processes import wait_until

pytestmark = pytest.mark.integration

CRASH = "RuntimeError"
FAILURE = "examples.tta_service.app.StoryUnavailableError"


@dataclass(frozen=True)
class Played:
    environment: str
    planted: PlantedData


def _groups_in_prometheus(environment: str) -> int:
    response = httpx.get(
        f"{URLS['TTA_PROMETHEUS_URL']}/api/v1/query",
        params={"query": f'count(tta_errors_total{{deployment_environment_name="{environment}"}})'},
        auth=prometheus_auth(),
        timeout=10,
    )
    result = response.json()["data"]["result"]
    return int(result[0]["value"][1]) if result else 0


def _errors(environment: str, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    assert main(["errors", "--since", "10m", "--environment", environment, *extra]) == 0
    return capsys.readouterr().out


def _groups(environment: str, capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    return {group["error_type"]: group for group in json.loads(_errors(environment, capsys, "--json"))}


@pytest.fixture(scope="module")
def played(stack: Stack) -> Iterator[Played]:
    fake = Faker()
    fake.seed_instance(13)
    planted = PlantedData.generate(fake)
    environment = f"examples-{uuid.uuid4().hex[:8]}"
    play_instrumented([planted], URLS["TTA_OTLP_GRPC_ENDPOINT"], str(uuid.uuid4()), environment)
    assert wait_until(lambda: _groups_in_prometheus(environment) == 2, timeout=30)
    yield Played(environment, planted)


def _examples(played: Played, capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    """Each group's example, once VictoriaLogs has both groups' records."""
    found: dict[str, dict[str, Any]] = {}

    def both() -> bool:
        found.update({kind: group["example"] for kind, group in _groups(played.environment, capsys).items()})
        return all(found.get(kind) for kind in (CRASH, FAILURE))

    assert wait_until(both, timeout=30)
    return found


def test_each_group_shows_its_redacted_line_from_victorialogs(
    played: Played, capsys: pytest.CaptureFixture[str]
) -> None:
    examples = _examples(played, capsys)

    assert {kind: example["line"] for kind, example in examples.items()} == {
        CRASH: "RuntimeError: [REDACTED:exception_message]",
        FAILURE: "scene delivery failed for [REDACTED:arg]",
    }


def test_the_examples_trace_id_resolves_in_jaeger_to_the_failing_request(
    played: Played, capsys: pytest.CaptureFixture[str]
) -> None:
    trace_id = _examples(played, capsys)[CRASH]["trace_id"]
    jaeger = JaegerClient(URLS["TTA_JAEGER_URL"], jaeger_auth())

    assert wait_until(lambda: jaeger.trace(trace_id) is not None, timeout=30)
    trace = jaeger.trace(trace_id)
    assert trace is not None
    assert "GET /players/{player_id}/crash" in {span["operationName"] for span in trace["spans"]}


def test_the_table_shows_the_example_under_its_group(played: Played, capsys: pytest.CaptureFixture[str]) -> None:
    trace_id = _examples(played, capsys)[CRASH]["trace_id"]

    table = _errors(played.environment, capsys)

    assert f"example: RuntimeError: [REDACTED:exception_message]  (trace {trace_id})" in table


def test_no_planted_value_is_printed(played: Played, capsys: pytest.CaptureFixture[str]) -> None:
    _examples(played, capsys)
    printed = _errors(played.environment, capsys) + _errors(played.environment, capsys, "--json")

    assert [name for name, value in played.planted.secrets().items() if value in printed] == []
