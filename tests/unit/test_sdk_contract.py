"""Contract of the private OpenTelemetry SDK symbols tta_otel relies on.

The SDK is pinned to one minor release (``~=1.45.0`` in pyproject.toml) because tta_otel uses
these underscored names; each test states what tta_otel expects of one of them, so that moving
the pin to a new minor either passes here or shows exactly what changed.
"""

from __future__ import annotations

import inspect

import pytest
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk import _configuration
from opentelemetry.sdk._configuration import (
    _BaseConfigurator,
    _get_exporter_names,
    _get_sampler,
    _import_exporters,
    _import_sampler,
)
from opentelemetry.sdk.metrics.export import AggregationTemporality, ConsoleMetricExporter
from opentelemetry.sdk.metrics.view import LastValueAggregation
from opentelemetry.sdk.trace import Span
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, Sampler


def test_get_exporter_names_reads_the_signal_s_exporter_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp,console")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    assert _get_exporter_names("traces") == ["otlp_proto_grpc", "console"]


def test_get_exporter_names_is_empty_for_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_LOGS_EXPORTER", "none")
    assert _get_exporter_names("logs") == []


def test_import_exporters_returns_the_classes_by_name_per_signal() -> None:
    spans, metrics, logs = _import_exporters(["otlp_proto_grpc"], ["console"], [])
    assert spans == {"otlp_proto_grpc": OTLPSpanExporter}
    assert metrics == {"console": ConsoleMetricExporter}
    assert logs == {}


def test_get_sampler_reads_otel_traces_sampler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_off")
    assert _get_sampler() == "always_off"


def test_get_sampler_is_none_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_TRACES_SAMPLER", raising=False)
    assert _get_sampler() is None


def test_import_sampler_returns_the_named_sampler_instance() -> None:
    sampler = _import_sampler("always_off")
    assert isinstance(sampler, Sampler)
    assert sampler.get_description() == ALWAYS_OFF.get_description() == "AlwaysOffSampler"


def test_base_configurator_calls_configure_once_with_its_arguments() -> None:
    seen: list[dict[str, object]] = []

    class Recording(_BaseConfigurator):  # type: ignore[misc]
        def _configure(self, **kwargs: object) -> None:
            seen.append(kwargs)

    Recording._instance = None
    Recording().configure(option=1)
    assert seen == [{"option": 1}]
    assert "_configure" in _BaseConfigurator.__abstractmethods__
    assert _configuration._BaseConfigurator is _BaseConfigurator


def test_metric_exporter_keeps_its_preferences_in_private_attributes() -> None:
    temporality = {int: AggregationTemporality.DELTA}
    aggregation = {int: LastValueAggregation()}
    exporter = ConsoleMetricExporter(preferred_temporality=temporality, preferred_aggregation=aggregation)  # type: ignore[arg-type]
    assert exporter._preferred_temporality[int] is AggregationTemporality.DELTA  # type: ignore[index]
    assert exporter._preferred_aggregation[int] is aggregation[int]  # type: ignore[index]


def test_sdk_span_record_exception_takes_the_arguments_the_error_tracker_passes_on() -> None:
    parameters = list(inspect.signature(Span.record_exception).parameters)
    assert parameters == ["self", "exception", "attributes", "timestamp", "escaped"]


def test_otlp_exporters_report_each_export_to_a_metrics_object_with_export_operation() -> None:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpanExporter

    for exporter in (OTLPSpanExporter(insecure=True), HttpSpanExporter()):
        assert callable(exporter._metrics.export_operation)
        exporter.shutdown()


def test_batch_processors_report_a_full_queue_to_their_metrics_drop_items() -> None:
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, InMemoryLogRecordExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    for processor in (BatchSpanProcessor(InMemorySpanExporter()), BatchLogRecordProcessor(InMemoryLogRecordExporter())):
        assert list(inspect.signature(processor._batch_processor._metrics.drop_items).parameters) == [
            "count",
            "error_type",
        ]
        processor.shutdown()


def test_bounded_attributes_keep_their_items_in_a_plain_dict() -> None:
    attributes = BoundedAttributes(maxlen=4, attributes={"http.route": "/scene", "http.response.status_code": 200})
    assert type(attributes._dict) is dict
    assert attributes._dict == {"http.route": "/scene", "http.response.status_code": 200}
