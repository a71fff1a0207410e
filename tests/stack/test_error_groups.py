"""Error groups through the real pipeline: the tracker's counter and exemplars reach Prometheus through
the collector, and ``tta-otel errors`` lists each fingerprint with its count, trace and criticality."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from tta_otel.config.schema import ErrorSettings
from tta_otel.errors import ErrorTracker, start_error_tracking, stop_error_tracking
from tta_otel.ops.cli.main import main
from tta_otel.ops.client_credentials import otlp_exporter_arguments, prometheus_auth
from tta_otel.ops.stack.runner import URLS, Stack
from tta_otel.testing.processes import wait_until

PROMETHEUS = "http://127.0.0.1:9090"


class SceneMissingError(LookupError):
    """Stands for an application error."""


def load_scene(scene: str) -> None:
    raise SceneMissingError(f"no scene {scene}")


def store_choice(choice: str) -> None:
    raise ValueError(f"bad choice {choice}")


@dataclass
class Raised:
    environment: str
    scene_trace_ids: set[str]
    choice_trace_ids: set[str]


def _count(selector: str) -> float:
    response = httpx.get(
        f"{PROMETHEUS}/api/v1/query", auth=prometheus_auth(), params={"query": f"sum({selector})"}, timeout=10
    )
    result = response.json()["data"]["result"]
    return float(result[0]["value"][1]) if result else 0.0


@pytest.fixture(scope="module")
def raised(stack: Stack) -> Iterator[Raised]:
    environment = f"errors-{uuid.uuid4().hex[:8]}"
    resource = Resource.create({"deployment.environment.name": environment, "tta.component": "narrator"})
    metrics = MeterProvider(
        resource=resource,
        metric_readers=[
            PeriodicExportingMetricReader(
                OTLPMetricExporter(endpoint=f"{URLS['TTA_OTLP_HTTP_ENDPOINT']}/v1/metrics", **otlp_exporter_arguments())
            )
        ],
    )
    tracer = TracerProvider(resource=resource).get_tracer("test")
    settings = ErrorSettings(critical_routes=["/players/{player_id}/choices"])
    start_error_tracking(ErrorTracker(settings, metrics.get_meter("test"), LoggerProvider().get_logger("test")))
    scenes, choices = set(), set()
    for scene in ("forest", "cave", "lake"):
        with pytest.raises(SceneMissingError), tracer.start_as_current_span("GET scene") as span:
            load_scene(scene)
        scenes.add(f"{span.get_span_context().trace_id:032x}")
    with (
        pytest.raises(ValueError, match="bad choice"),
        tracer.start_as_current_span("POST choice", attributes={"http.route": "/players/{player_id}/choices"}) as span,
    ):
        store_choice("jump")
    choices.add(f"{span.get_span_context().trace_id:032x}")
    stop_error_tracking()
    metrics.shutdown()
    wait_until(lambda: _count(f'tta_errors_total{{deployment_environment_name="{environment}"}}') == 4, timeout=30)
    yield Raised(environment, scenes, choices)


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TTA_OTEL_STATE", str(tmp_path))
    return tmp_path


def _groups(raised: Raised, capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    arguments = ["errors", "--since", "10m", "--environment", raised.environment, "--json", "--prometheus", PROMETHEUS]
    assert main(arguments) == 0
    return {group["error_type"]: group for group in json.loads(capsys.readouterr().out)}


def test_each_fingerprint_is_one_group_with_its_count(
    raised: Raised, state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    groups = _groups(raised, capsys)

    assert {kind: group["count"] for kind, group in groups.items()} == {
        f"{__name__}.SceneMissingError": 3,
        "ValueError": 1,
    }
    scene = groups[f"{__name__}.SceneMissingError"]
    assert (scene["component"], scene["critical"], scene["previous_count"], scene["trend"]) == (
        "narrator",
        False,
        0,
        None,
    )
    assert scene["first_seen"] is not None
    assert scene["last_seen"] >= scene["first_seen"]
    assert len(scene["fingerprint"]) == 16


def test_a_group_links_to_one_of_its_traces(raised: Raised, state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    groups = _groups(raised, capsys)

    assert groups[f"{__name__}.SceneMissingError"]["example_trace_id"] in raised.scene_trace_ids
    assert groups["ValueError"]["example_trace_id"] in raised.choice_trace_ids


def test_an_error_on_a_critical_route_is_a_critical_group(
    raised: Raised, state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _groups(raised, capsys)["ValueError"]["critical"] is True


def test_resolving_a_group_records_its_time_to_resolve(
    raised: Raised, state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fingerprint = _groups(raised, capsys)["ValueError"]["fingerprint"]
    arguments = ["errors", "--since", "10m", "--environment", raised.environment, "--prometheus", PROMETHEUS]

    assert main([*arguments, "--resolve", fingerprint]) == 0

    assert fingerprint in json.loads((state / "resolved-errors.json").read_text())
    selector = f'tta_error_time_to_resolve_seconds_count{{tta_error_fingerprint="{fingerprint}"}}'
    wait_until(lambda: _count(selector) == 1, timeout=30)
    assert main(arguments) == 0
    assert f"{fingerprint}" in capsys.readouterr().out.split("resolved")[0]


def test_resolving_an_unknown_group_is_an_error(
    raised: Raised, state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["errors", "--environment", raised.environment, "--prometheus", PROMETHEUS, "--resolve", "0" * 16]

    assert main(arguments) == 1
    assert "no error group 0000000000000000 was seen in the period" in capsys.readouterr().err
