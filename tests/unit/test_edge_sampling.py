"""Specification of sampling and propagation at the edge: an inbound ``traceparent`` cannot force
sampling unless the service trusts its callers, and inbound baggage is neither read nor forwarded
unless configured."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry import baggage, context, propagate
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Decision, TraceIdRatioBased
from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    TraceFlags,
    TraceState,
    format_trace_id,
    set_span_in_context,
)

from tta_otel.config import MonitoringConfig, load_config, otel_defaults
from tta_otel.config.environment import install_propagators
from tta_otel.configurator import _sampler
from tta_otel.distro import TTADistro
from tta_otel.sampling import AdjustableRatioSampler, UntrustedRemoteParentSampler, parent_based
from tta_otel.startup import startup_config

SAMPLED = TraceFlags(TraceFlags.SAMPLED)
NOT_SAMPLED = TraceFlags(TraceFlags.DEFAULT)


def _parent(trace_id: int, *, remote: bool, flags: TraceFlags, state: TraceState | None = None) -> context.Context:
    span_context = SpanContext(trace_id, 0x00F067AA0BA902B7, is_remote=remote, trace_flags=flags, trace_state=state)
    return set_span_in_context(NonRecordingSpan(span_context))


def _trace_ids(count: int, seed: int = 7) -> list[int]:
    generator = random.Random(seed)
    return [generator.getrandbits(128) or 1 for _ in range(count)]


def _decide(sampler: object, parent: context.Context | None, trace_id: int) -> Decision:
    return sampler.should_sample(parent, trace_id, "GET /players/{player_id}/scene").decision  # type: ignore[attr-defined,no-any-return]


# --- the sampler -----------------------------------------------------------------------------


def test_a_remote_sampled_parent_cannot_force_sampling_when_not_trusted() -> None:
    sampler = parent_based(AdjustableRatioSampler(0.0))
    decisions = {_decide(sampler, _parent(t, remote=True, flags=SAMPLED), t) for t in _trace_ids(200)}
    assert decisions == {Decision.DROP}


def test_a_remote_sampled_parent_is_followed_when_trusted() -> None:
    sampler = parent_based(AdjustableRatioSampler(0.0), trust_remote_parent=True)
    decisions = {_decide(sampler, _parent(t, remote=True, flags=SAMPLED), t) for t in _trace_ids(200)}
    assert decisions == {Decision.RECORD_AND_SAMPLE}


def test_a_remote_parent_that_is_not_sampled_is_sampled_by_the_ratio_when_not_trusted() -> None:
    sampler = parent_based(AdjustableRatioSampler(1.0))
    decisions = {_decide(sampler, _parent(t, remote=True, flags=NOT_SAMPLED), t) for t in _trace_ids(200)}
    assert decisions == {Decision.RECORD_AND_SAMPLE}


@pytest.mark.parametrize("trusted", [False, True])
def test_a_local_parent_is_followed(trusted: bool) -> None:
    for ratio, flags, expected in [
        (0.0, SAMPLED, Decision.RECORD_AND_SAMPLE),
        (1.0, NOT_SAMPLED, Decision.DROP),
    ]:
        sampler = parent_based(AdjustableRatioSampler(ratio), trust_remote_parent=trusted)
        decisions = {_decide(sampler, _parent(t, remote=False, flags=flags), t) for t in _trace_ids(100)}
        assert decisions == {expected}


def test_new_traces_are_sampled_by_the_ratio_of_the_trace_id() -> None:
    trace_ids = _trace_ids(500)
    sampler = parent_based(AdjustableRatioSampler(0.3))
    assert [_decide(sampler, None, t) for t in trace_ids] == [
        _decide(TraceIdRatioBased(0.3), None, t) for t in trace_ids
    ]


def test_a_reloaded_ratio_applies_to_remote_parents() -> None:
    root = AdjustableRatioSampler(0.0)
    sampler = parent_based(root)
    trace_ids = _trace_ids(100)
    parents = [_parent(t, remote=True, flags=SAMPLED) for t in trace_ids]
    assert {_decide(sampler, p, t) for p, t in zip(parents, trace_ids, strict=True)} == {Decision.DROP}
    root.set_ratio(1.0)  # what ConfigReloader does when the file changes
    assert {_decide(sampler, p, t) for p, t in zip(parents, trace_ids, strict=True)} == {Decision.RECORD_AND_SAMPLE}
    root.set_ratio(0.0)
    assert {_decide(sampler, p, t) for p, t in zip(parents, trace_ids, strict=True)} == {Decision.DROP}


def test_a_chosen_trace_id_gains_nothing_over_the_ratio() -> None:
    # Trace ids whose low 64 bits are zero pass TraceIdRatioBased at every ratio above zero.
    chosen = [high << 64 for high in range(1, 2_001)]
    assert all(_decide(TraceIdRatioBased(0.1), None, t) is Decision.RECORD_AND_SAMPLE for t in chosen)
    sampler = parent_based(AdjustableRatioSampler(0.1))
    recorded = sum(
        _decide(sampler, _parent(t, remote=True, flags=SAMPLED), t) is Decision.RECORD_AND_SAMPLE for t in chosen
    )
    assert 100 <= recorded <= 300  # 10 % of 2,000, far beyond six standard deviations either side


def test_the_remote_decision_is_stable_for_one_trace_id() -> None:
    root = AdjustableRatioSampler(0.5)
    sampler = UntrustedRemoteParentSampler(root, key=b"synthetic test key")
    again = UntrustedRemoteParentSampler(root, key=b"synthetic test key")
    trace_ids = _trace_ids(200)
    first = [_decide(sampler, None, t) for t in trace_ids]
    assert first == [_decide(sampler, None, t) for t in trace_ids] == [_decide(again, None, t) for t in trace_ids]
    assert set(first) == {Decision.DROP, Decision.RECORD_AND_SAMPLE}
    assert sampler.get_description() == "UntrustedRemoteParent{AdjustableRatioSampler{0.5}}"


# --- spans: the trace id continues, the flag and the tracestate do not -------------------------


@pytest.fixture
def spans() -> Iterator[tuple[AdjustableRatioSampler, TracerProvider, InMemorySpanExporter]]:
    root = AdjustableRatioSampler(0.0)
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=parent_based(root))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield root, provider, exporter
    provider.shutdown()


def test_the_trace_id_is_continued_without_the_sampled_flag_or_the_tracestate(
    spans: tuple[AdjustableRatioSampler, TracerProvider, InMemorySpanExporter],
) -> None:
    root, provider, exporter = spans
    trace_id = 0x4BF92F3577B34DA6A3CE929D0E0E4736
    parent = _parent(trace_id, remote=True, flags=SAMPLED, state=TraceState([("tta", "player-marker")]))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("edge", context=parent) as span:
        assert span.get_span_context().trace_id == trace_id
        assert not span.get_span_context().trace_flags.sampled
        assert span.get_span_context().trace_state == TraceState()
        with tracer.start_as_current_span("inner") as inner:
            assert not inner.is_recording()
    root.set_ratio(1.0)
    with tracer.start_as_current_span("edge", context=parent) as span:
        assert span.get_span_context().trace_id == trace_id
        with tracer.start_as_current_span("inner"):
            pass
    assert [(s.name, s.context.trace_id, s.context.trace_state) for s in exporter.get_finished_spans()] == [
        ("inner", trace_id, TraceState()),
        ("edge", trace_id, TraceState()),
    ]


# --- configuration ----------------------------------------------------------------------------


def test_remote_parents_are_untrusted_and_baggage_is_off_by_default() -> None:
    config = MonitoringConfig()
    assert config.sampling.trust_remote_parent is False
    assert config.propagation.baggage is False
    assert otel_defaults(config)["OTEL_PROPAGATORS"] == "tracecontext"
    on = MonitoringConfig.model_validate({"propagation": {"baggage": True}})
    assert otel_defaults(on)["OTEL_PROPAGATORS"] == "tracecontext,baggage"


def test_the_configured_sampler_trusts_remote_parents_only_when_configured(clean_env: pytest.MonkeyPatch) -> None:
    untrusted, root = _sampler(MonitoringConfig())
    assert root is not None and untrusted is not None
    assert "UntrustedRemoteParent" in untrusted.get_description()
    trusted, _ = _sampler(MonitoringConfig.model_validate({"sampling": {"trust_remote_parent": True}}))
    assert trusted is not None and "UntrustedRemoteParent" not in trusted.get_description()
    clean_env.setenv("OTEL_TRACES_SAMPLER", "parentbased_always_on")
    operator, root = _sampler(MonitoringConfig())
    assert root is None and operator is not None
    assert operator.get_description().startswith("ParentBased{root:AlwaysOnSampler")


def test_trust_remote_parent_is_read_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "tta_config.yaml"
    path.write_text(
        "monitoring:\n  sampling: {ratio: 0.5, trust_remote_parent: true}\n  propagation: {baggage: true}\n"
    )
    loaded = load_config(path)
    assert loaded.error is None
    assert loaded.config.sampling.trust_remote_parent is True
    assert loaded.config.propagation.baggage is True


# --- propagators ------------------------------------------------------------------------------

INBOUND = {
    "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "baggage": "player_email=player%40example.org,tta.session=edge-marker",
}


@pytest.fixture
def restore_textmap() -> Iterator[None]:
    saved = propagate.get_global_textmap()
    yield
    propagate.set_global_textmap(saved)


def _forwarded(inbound: dict[str, str]) -> tuple[dict[str, object], dict[str, str]]:
    """What a service sees in its context, and the headers it sends on an outgoing call."""
    token = context.attach(propagate.extract(inbound))
    try:
        outgoing: dict[str, str] = {}
        propagate.inject(outgoing)
        return dict(baggage.get_all()), outgoing
    finally:
        context.detach(token)


@pytest.mark.usefixtures("restore_textmap")
def test_inbound_baggage_is_neither_read_nor_forwarded_by_default() -> None:
    environ: dict[str, str] = {}
    install_propagators(MonitoringConfig(), environ)
    assert environ == {"OTEL_PROPAGATORS": "tracecontext"}
    seen, outgoing = _forwarded(INBOUND)
    assert seen == {}
    assert set(outgoing) == {"traceparent"}
    assert format_trace_id(0x4BF92F3577B34DA6A3CE929D0E0E4736) in outgoing["traceparent"]


@pytest.mark.usefixtures("restore_textmap")
def test_baggage_is_propagated_when_configured() -> None:
    install_propagators(MonitoringConfig.model_validate({"propagation": {"baggage": True}}), {})
    seen, outgoing = _forwarded(INBOUND)
    assert seen["tta.session"] == "edge-marker"
    assert "baggage" in outgoing


@pytest.mark.usefixtures("restore_textmap")
def test_the_operators_otel_propagators_wins() -> None:
    environ = {"OTEL_PROPAGATORS": "tracecontext,baggage"}
    install_propagators(MonitoringConfig(), environ)
    assert environ == {"OTEL_PROPAGATORS": "tracecontext,baggage"}
    assert _forwarded(INBOUND)[0]["tta.session"] == "edge-marker"


@pytest.mark.usefixtures("restore_textmap")
def test_a_propagator_that_cannot_be_loaded_leaves_trace_context_alone(caplog: pytest.LogCaptureFixture) -> None:
    install_propagators(MonitoringConfig(), {"OTEL_PROPAGATORS": "baggage,no-such-propagator"})
    assert "could not be loaded" in caplog.text
    seen, outgoing = _forwarded(INBOUND)
    assert seen == {}
    assert set(outgoing) == {"traceparent"}


@pytest.mark.usefixtures("restore_textmap")
@pytest.mark.parametrize("enabled", ["true", "false"])
def test_the_distro_installs_the_propagators(clean_env: pytest.MonkeyPatch, tmp_path: Path, enabled: str) -> None:
    path = tmp_path / "tta_config.yaml"
    path.write_text(f"monitoring:\n  enabled: {enabled}\n")
    clean_env.setenv("TTA_CONFIG", str(path))
    startup_config.cache_clear()
    propagate.set_global_textmap(propagate._load_propagators())  # the API's default: tracecontext,baggage
    TTADistro().configure()
    assert os.environ["OTEL_PROPAGATORS"] == "tracecontext"
    assert _forwarded(INBOUND)[0] == {}
