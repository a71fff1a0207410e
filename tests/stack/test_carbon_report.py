"""Carbon and GenAI metrics through the real collector into the real Prometheus, and the carbon
report built from them: the names our queries use exist, and the figures are the hand-computed ones."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.metrics.v1.metrics_pb2 import (
    AggregationTemporality,
    Gauge,
    Histogram,
    HistogramDataPoint,
    Metric,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource as SdkResource
from pypdf import PdfReader

from tests.stack.otlp_requests import key_values, send
from tta_otel import semconv
from tta_otel.ai import GenAIClientTelemetry, ModelActivity
from tta_otel.carbon import CarbonMeter
from tta_otel.ops.cli.main import main
from tta_otel.ops.client_credentials import otlp_exporter_arguments, prometheus_auth
from tta_otel.ops.stack.runner import URLS, Stack
from tta_otel.testing.processes import wait_until

PROMETHEUS = "http://127.0.0.1:9090"


def _series(selector: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{PROMETHEUS}/api/v1/series", auth=prometheus_auth(), params={"match[]": selector}, timeout=10
    )
    response.raise_for_status()
    return list(response.json()["data"])


class _FixedSource:
    def __init__(self, name: str) -> None:
        self.name = name

    def sample(self, interval_s: float) -> float:
        return 100.0


def test_prometheus_has_every_name_the_reports_query(stack: Stack) -> None:
    """The SDK instruments of tta_otel.ai and tta_otel.carbon, exported over OTLP through the collector."""
    environment = f"names-{uuid.uuid4().hex[:8]}"
    reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(endpoint=f"{URLS['TTA_OTLP_HTTP_ENDPOINT']}/v1/metrics", **otlp_exporter_arguments())
    )
    provider = MeterProvider(
        resource=SdkResource.create({"deployment.environment.name": environment, "tta.component": "narrator"}),
        metric_readers=[reader],
    )
    activity = ModelActivity()
    telemetry = GenAIClientTelemetry(meter_provider=provider, activity=activity)
    meter = CarbonMeter([_FixedSource("gpu"), _FixedSource("cpu")], g_per_kwh=480.0, pue=1.2, activity=activity)
    meter.register(provider.get_meter("test"), daily_budget_g=250.0)
    with telemetry.inference(model="llama-3.1-8b", provider="vllm") as call:
        call.record_usage(input_tokens=10, output_tokens=20)
    provider.force_flush()
    provider.shutdown()
    scope = f'deployment_environment_name="{environment}",tta_component="narrator"'

    model = semconv.prometheus_label(semconv.GEN_AI_REQUEST_MODEL)
    expected = {
        semconv.TTA_ENERGY.prometheus: "tta_energy_source",
        semconv.TTA_CARBON_EMISSIONS.prometheus: "tta_energy_source",
        semconv.TTA_CARBON_INTENSITY.prometheus: "",
        semconv.TTA_CARBON_BUDGET.prometheus: "",
        semconv.GEN_AI_CLIENT_OPERATION_DURATION.prometheus_bucket: model,
        semconv.GEN_AI_CLIENT_OPERATION_DURATION.prometheus_count: model,
        semconv.GEN_AI_CLIENT_TOKEN_USAGE.prometheus_sum: model,
    }
    wait_until(lambda: all(_series(f"{metric}{{{scope}}}") for metric in expected), timeout=30)
    for metric, label in expected.items():
        (first, *_) = _series(f"{metric}{{{scope}}}")
        assert not label or label in first, (metric, first)


STEP_S = 300
PERIOD = "10m"


def _cumulative(previous: float, current: float) -> list[float]:
    """Five samples, STEP_S apart, ending now: ``previous`` grows in the period before, ``current`` in the last."""
    return [0.0, previous / 2, previous, previous + current / 2, previous + current]


def _sum(name: str, unit: str, points: list[tuple[dict[str, Any], float, float]], times: list[int]) -> Metric:
    data = [
        NumberDataPoint(attributes=key_values(attrs), start_time_unix_nano=times[0], time_unix_nano=t, as_double=value)
        for attrs, previous, current in points
        for t, value in zip(times, _cumulative(previous, current), strict=True)
    ]
    return Metric(
        name=name,
        unit=unit,
        sum=Sum(
            data_points=data,
            is_monotonic=True,
            aggregation_temporality=AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE,
        ),
    )


def _histogram(name: str, unit: str, points: list[tuple[dict[str, Any], int, float]], times: list[int]) -> Metric:
    """Histograms whose count and sum grow by the given amount in the last period only (counts even)."""
    data = []
    for attrs, count, total in points:
        for t, (c, s) in zip(times, zip(_cumulative(0, count), _cumulative(0, total), strict=True), strict=True):
            data.append(
                HistogramDataPoint(
                    attributes=key_values(attrs),
                    start_time_unix_nano=times[0],
                    time_unix_nano=t,
                    count=int(c),
                    sum=s,
                    bucket_counts=[int(c)],
                )
            )
    return Metric(
        name=name,
        unit=unit,
        histogram=Histogram(
            data_points=data, aggregation_temporality=AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
        ),
    )


def _gauge(name: str, unit: str, value: float, times: list[int]) -> Metric:
    return Metric(
        name=name,
        unit=unit,
        gauge=Gauge(data_points=[NumberDataPoint(time_unix_nano=t, as_double=value) for t in times]),
    )


# Joules in the previous and the current period. 400 g/kWh makes 9,000 J one gram.
GRAMS_PER_JOULE = 400 / 3_600_000
ENERGY = [
    ({"tta.energy.source": "gpu", "gen_ai.request.model": "large"}, 2000.0, 3000.0),
    ({"tta.energy.source": "gpu", "gen_ai.request.model": "small"}, 400.0, 600.0),
    ({"tta.energy.source": "gpu"}, 1000.0, 1400.0),
    ({"tta.energy.source": "cpu"}, 700.0, 1000.0),
]


@pytest.fixture(scope="module")
def environment(stack: Stack) -> str:
    """Planted series for one environment of its own, sent through the collector with explicit timestamps."""
    environment = f"carbon-{uuid.uuid4().hex[:8]}"
    now = time.time_ns()
    times = [now - (4 - i) * STEP_S * 1_000_000_000 for i in range(5)]
    emissions = [(attrs, previous * GRAMS_PER_JOULE, current * GRAMS_PER_JOULE) for attrs, previous, current in ENERGY]
    metrics = [
        _sum("tta.energy", "J", ENERGY, times),
        _sum("tta.carbon.emissions", "g", emissions, times),
        _gauge("tta.carbon.intensity", "g/kWh", 400.0, times),
        _gauge("tta.carbon.budget", "g", 10.0, times),
        _histogram(
            "gen_ai.client.operation.duration",
            "s",
            [
                ({"gen_ai.request.model": "large"}, 38, 76.0),
                ({"gen_ai.request.model": "large", "error.type": "TimeoutError"}, 2, 4.0),
                ({"gen_ai.request.model": "small"}, 40, 44.0),
            ],
            times,
        ),
        _histogram(
            "gen_ai.client.token.usage",
            "{token}",
            [
                ({"gen_ai.request.model": "large", "gen_ai.token.type": "output"}, 20, 10_000.0),
                ({"gen_ai.request.model": "small", "gen_ai.token.type": "output"}, 40, 8_000.0),
            ],
            times,
        ),
    ]
    resource = Resource(
        attributes=key_values(
            {"service.name": "tta-narrator", "tta.component": "narrator", "deployment.environment.name": environment}
        )
    )
    send(
        "/v1/metrics",
        ExportMetricsServiceRequest(
            resource_metrics=[ResourceMetrics(resource=resource, scope_metrics=[ScopeMetrics(metrics=metrics)])]
        ),
    )
    scope = f'deployment_environment_name="{environment}"'
    wait_until(
        lambda: (
            len(_series(f"{semconv.TTA_ENERGY.prometheus}{{{scope}}}")) == 4
            and _series(f"{semconv.TTA_CARBON_BUDGET.prometheus}{{{scope}}}")
        ),
        30,
    )
    return environment


@pytest.fixture(scope="module")
def report_json(environment: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("report") / "carbon.json"
    arguments = ["--since", PERIOD, "--environment", environment, "--prometheus", PROMETHEUS]
    assert main(["report", "carbon", *arguments, "--format", "json", "--output", str(path)]) == 0
    return dict(json.loads(path.read_text()))


def test_the_report_sums_energy_and_emissions_of_the_period(report_json: dict[str, Any]) -> None:
    assert report_json["period_s"] == 600
    assert report_json["energy_j"] == pytest.approx(6000.0)
    assert report_json["emissions_g"] == pytest.approx(6000.0 * GRAMS_PER_JOULE)
    assert report_json["previous_emissions_g"] == pytest.approx(4100.0 * GRAMS_PER_JOULE)
    assert report_json["trend"] == pytest.approx(6000.0 / 4100.0 - 1)
    assert report_json["daily_emissions_g"] == pytest.approx(6000.0 * GRAMS_PER_JOULE * 144)
    assert (report_json["intensity_g_per_kwh"], report_json["daily_budget_g"]) == (400.0, 10.0)
    assert report_json["idle_gpu_share"] == pytest.approx(1400.0 / 5000.0)


def test_the_report_shares_emissions_by_source_and_component(report_json: dict[str, Any]) -> None:
    assert {row["name"]: row["share"] for row in report_json["by_source"]} == pytest.approx(
        {"gpu": 5000.0 / 6000.0, "cpu": 1000.0 / 6000.0}
    )
    assert [(row["name"], row["share"]) for row in report_json["by_component"]] == [("narrator", pytest.approx(1.0))]


def test_the_report_gives_carbon_per_thousand_tokens_latency_and_errors_per_model(report_json: dict[str, Any]) -> None:
    models = {row["model"]: row for row in report_json["by_model"]}
    assert models["large"] == {
        "model": "large",
        "energy_j": pytest.approx(3000.0),
        "emissions_g": pytest.approx(3000.0 * GRAMS_PER_JOULE),
        "share": pytest.approx(0.5),
        "calls": 40,
        "tokens": 10_000,
        "g_per_1k_tokens": pytest.approx(3000.0 * GRAMS_PER_JOULE / 10),
        "mean_latency_s": pytest.approx(2.0),
        "error_rate": pytest.approx(0.05),
    }
    assert models["small"]["g_per_1k_tokens"] == pytest.approx(600.0 * GRAMS_PER_JOULE / 8)
    assert [row["model"] for row in report_json["ranking"]] == ["small", "large"]


def test_the_recommendations_that_fire_are_those_the_rules_predict(report_json: dict[str, Any]) -> None:
    rules = [row["rule"] for row in report_json["recommendations"]]

    # small: 75 % less CO2e per token, 1.1 s vs 2.0 s, no errors; grid 400 g/kWh; 96 g/day > 10 g; +46 %.
    # Idle GPU 28 % (< 30 %) and 40 calls per model (< 100) stay quiet.
    assert rules == ["smaller-model", "greener-region", "over-budget", "rising-emissions"]
    assert report_json["recommendations"][0]["message"].startswith(
        "small emits 75% less CO2e per 1,000 tokens than large"
    )


def test_the_csv_report_reads_back_to_the_same_figures(environment: str, tmp_path: Path) -> None:
    path = tmp_path / "carbon.csv"
    arguments = ["--since", PERIOD, "--environment", environment, "--prometheus", PROMETHEUS]
    assert main(["report", "carbon", *arguments, "--format", "csv", "--output", str(path)]) == 0

    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    values = {(row["section"], row["name"], row["metric"]): row["value"] for row in rows}
    assert float(values["total", "", "energy_j"]) == pytest.approx(6000.0)
    assert float(values["model", "small", "tokens"]) == 8000
    assert values["ranking", "small", "rank"] == "1"
    assert "smaller-model" in {row["name"] for row in rows if row["section"] == "recommendation"}


def test_the_pdf_report_has_a_summary_page_and_a_chart_page(environment: str, tmp_path: Path) -> None:
    path = tmp_path / "carbon.pdf"
    arguments = ["--since", PERIOD, "--environment", environment, "--prometheus", PROMETHEUS]
    assert main(["report", "carbon", *arguments, "--format", "pdf", "--output", str(path)]) == 0

    pages = PdfReader(path).pages
    assert len(pages) == 2
    summary = pages[0].extract_text()
    assert "TTA carbon report" in summary
    assert "[smaller-model] small emits 75% less CO2e" in summary
    assert "gCO2e per 1,000 tokens" in pages[1].extract_text()


@pytest.fixture
def no_prometheus() -> Iterator[str]:
    yield "http://127.0.0.1:9"


def test_an_unreachable_prometheus_is_a_clear_error(no_prometheus: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "carbon", "--prometheus", no_prometheus]) == 1
    assert "Prometheus at http://127.0.0.1:9 cannot be reached" in capsys.readouterr().err
