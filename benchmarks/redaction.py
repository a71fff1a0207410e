"""Redaction cost: throughput on realistic telemetry strings, and cost per span.

Baselines in the same run: scanning is compared with a plain copy of the same strings,
and spans with 10 attributes are exported through the redacting exporter and through
the bare exporter. "Realistic" telemetry is mostly clean - routes, ids, timestamps, log
lines - with a finding in one string in 50; "PII-heavy" has one in 5 (two e-mail or IP
findings in every ten strings), a worst case. Caches are cleared before every pass.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

from faker import Faker
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from tta_otel.exporters import RedactingSpanExporter
from tta_otel.privacy import Pseudonymizer, PseudonymKey, Redactor, load_policy
from tta_otel.privacy.prefilter import Re2Prefilter
from tta_otel.privacy.scanner import LOG_BODY_CAP, Scanner


def telemetry_strings(count: int, seed: int = 1, finding_every: int = 50) -> list[str]:
    fake = Faker()
    fake.seed_instance(seed)
    templates: list[Callable[[], str]] = [
        lambda: f"GET /api/v1/players/{{player_id}}/scenes/{fake.random_int(1, 99)}",
        lambda: f"trace_id={fake.hexify('^' * 32)} span_id={fake.hexify('^' * 16)}",
        lambda: f"{fake.iso8601()}Z request {fake.uuid4()} took {fake.pyfloat(2, 2, True)}ms",
        lambda: f'File "/srv/tta/{fake.word()}/{fake.word()}.py", line {fake.random_int(1, 900)}, in {fake.word()}',
        lambda: f"narrative engine {fake.numerify('#.##.#')} selected branch {fake.word()} for chapter {fake.word()}",
        lambda: f"redis INCRBY visits:{fake.uuid4()} 1 -> {fake.random_int()} ({fake.random_int()} bytes)",
        lambda: f"player {fake.uuid4()} reached scene {fake.random_int(1, 40)} after {fake.random_int(1, 900)} s",
        lambda: f"model gpt-{fake.random_int(3, 5)} answered in {fake.random_int(100, 4000)} ms, 512 tokens",
        lambda: f"cache miss for scene {fake.random_int()} in chapter {fake.word()}",
    ]
    with_finding: list[Callable[[], str]] = [
        lambda: f"connection from {fake.ipv4_public()} dropped",
        lambda: f"contact {fake.email()} about session {fake.uuid4()}",
    ]
    return [with_finding[i % 2]() if i % finding_every == 0 else templates[i % len(templates)]() for i in range(count)]


def _best_of(repeats: int, run: Callable[[], None]) -> float:
    """The least CPU time of this thread over ``repeats`` runs: everything measured here runs on
    one thread, and on a shared machine the time other processes take must not count."""
    timings = []
    for _ in range(repeats):
        start = time.thread_time()
        run()
        timings.append(time.thread_time() - start)
    return min(timings)


class _NullExporter(SpanExporter):
    def export(self, spans: Any) -> SpanExportResult:
        return SpanExportResult.SUCCESS


class _CopyingExporter(SpanExporter):
    """The least any redacting exporter does: a new span with a new attribute map for each span.
    Measured in the same run, it shows the machine's pace beside the redacting exporter's cost."""

    def export(self, spans: Any) -> SpanExportResult:
        for span in spans:
            ReadableSpan(
                name=span.name,
                context=span.context,
                parent=span.parent,
                resource=span.resource,
                attributes=dict(span.attributes),
                events=span.events,
                links=span.links,
                kind=span.kind,
                status=span.status,
                start_time=span.start_time,
                end_time=span.end_time,
                instrumentation_scope=span.instrumentation_scope,
            )
        return SpanExportResult.SUCCESS


def _ten_attribute_spans(count: int, players: int | None = None) -> list[Any]:
    """Spans of a request with 10 attributes. ``players=None``: every span from a new player, on
    a new device, at a new address (nothing repeats: the worst case); otherwise ``players``
    players come back in turn, as real traffic does (each with one device and one address)."""
    fake = Faker()
    fake.seed_instance(2)
    provider = TracerProvider(resource=Resource({"service.name": "tta-player-api", "tta.component": "player-api"}))
    tracer = provider.get_tracer("bench")
    people = [(fake.uuid4(), fake.ipv4_public(), fake.user_agent()) for _ in range(players or 0)]
    spans = []
    for index in range(count):
        player, address, agent = (
            people[index % len(people)] if people else (fake.uuid4(), fake.ipv4_public(), fake.user_agent())
        )
        span = tracer.start_span(
            "GET /players/{player_id}/scene",
            attributes={
                "http.request.method": "GET",
                "http.route": "/players/{player_id}/scene",
                "url.path": f"/players/{player}/scene",
                "url.scheme": "http",
                "server.address": "player-api",
                "server.port": 8000,
                "client.address": address,
                "user_agent.original": agent,
                "http.response.status_code": 200,
                "player.id": player,
            },
        )
        span.end()
        spans.append(span)
    return spans


def _throughput(redactor: Redactor, texts: list[str], repeats: int, batch: int = 512) -> dict[str, float]:
    megabytes = sum(len(t.encode()) for t in texts) / 1e6
    batches = [texts[i : i + batch] for i in range(0, len(texts), batch)]

    def batched() -> None:
        redactor.scanner.clear_cache()
        for chunk in batches:
            redact = redactor.redact_many(chunk)
            for text in chunk:
                redact(text)

    def one_by_one() -> None:
        redactor.scanner.clear_cache()
        for text in texts:
            redactor.redact(text)

    def copy() -> None:
        for text in texts:
            "".join((text,))

    return {
        "batched_mb_per_s": round(megabytes / _best_of(repeats, batched), 1),
        "one_string_per_call_mb_per_s": round(megabytes / _best_of(repeats, one_by_one), 1),
        "copy_mb_per_s_baseline": round(megabytes / _best_of(repeats, copy), 1),
    }


def adversarial_strings(seed: int = 3) -> dict[str, str]:
    """Inputs built to slow a scanner down, each 16 KiB (the log body cap)."""
    fake = Faker()
    fake.seed_instance(seed)
    size = 16384
    return {
        "digit_separator_runs": ("1-2 3.4 " * size)[:size],
        "long_base64": base64.b64encode(fake.binary(size)).decode()[:size],
        "base64_of_text": base64.b64encode(fake.text(size).encode()).decode()[:size],
        "combining_marks": ("e" + "\u0301" * 7) * (size // 8),
        "fullwidth_and_zero_width": ("\uff41\u200b\uff20" * size)[:size],
        "percent_escapes": ("%41" * size)[:size],
        "obfuscation_words": (" at x dot " * size)[:size],
    }


def _scanner_figures(scanner: Scanner, realistic: list[str], repeats: int) -> dict[str, Any]:
    """``Scanner.redact`` one string per call (normalisation included), with a copy baseline."""
    megabytes = sum(len(t.encode()) for t in realistic) / 1e6

    def one_by_one() -> None:
        scanner.clear_cache()
        for text in realistic:
            scanner.redact(text)

    def copy() -> None:
        for text in realistic:
            "".join((text,))

    adversarial = {}
    for name, text in adversarial_strings().items():
        size = len(text.encode()) / 1e6

        def run(text: str = text) -> None:
            scanner.clear_cache()
            scanner.redact(text, cap=LOG_BODY_CAP)

        adversarial[name] = round(size / _best_of(repeats, run), 1)
    re2_only = Scanner(load_policy().value_patterns, native_prefilter=False)

    def one_by_one_re2_prefilter() -> None:
        re2_only.clear_cache()
        for text in realistic:
            re2_only.redact(text)

    return {
        "prefilter": "re2" if isinstance(scanner._prefilter, Re2Prefilter) else "native",
        "realistic_one_string_per_call_mb_per_s": round(megabytes / _best_of(repeats, one_by_one), 1),
        "realistic_one_string_per_call_mb_per_s_re2_prefilter": round(
            megabytes / _best_of(repeats, one_by_one_re2_prefilter), 1
        ),
        "copy_mb_per_s_baseline": round(megabytes / _best_of(repeats, copy), 1),
        "adversarial_16kib_mb_per_s": adversarial,
        "targets": {"realistic_one_string_per_call_mb_per_s": 50, "adversarial_mb_per_s": 10},
    }


def measure(strings: int = 20_000, spans: int = 5_000, repeats: int = 5) -> dict[str, Any]:
    redactor = Redactor(load_policy(), Pseudonymizer(PseudonymKey("bench", b"benchmark key")))
    realistic = telemetry_strings(strings, finding_every=50)
    heavy = telemetry_strings(strings, finding_every=5)
    redacting = RedactingSpanExporter(_NullExporter(), lambda: redactor)
    bare = _NullExporter()

    def per_span_us(batch: list[Any], exporter: SpanExporter) -> float:
        chunks = [batch[i : i + 512] for i in range(0, len(batch), 512)]

        def export_all() -> None:
            redactor.scanner.clear_cache()
            redactor.pseudonymizer.clear_cache()
            for chunk in chunks:
                exporter.export(chunk)

        # several times the repeats: each run is short, and the least of many is the steadiest figure
        return round(_best_of(3 * repeats, export_all) / len(batch) * 1e6, 2)

    unique = _ten_attribute_spans(spans)
    returning = _ten_attribute_spans(spans, players=200)
    return {
        "scanner": _scanner_figures(redactor.scanner, realistic, repeats),
        "realistic_telemetry": _throughput(redactor, realistic, repeats),
        "pii_heavy_telemetry": _throughput(redactor, heavy, repeats),
        "corpus": {"strings": strings, "megabytes": round(sum(len(t) for t in realistic) / 1e6, 3)},
        "per_span_10_attributes_us": per_span_us(unique, redacting),
        "per_span_10_attributes_us_200_returning_players": per_span_us(returning, redacting),
        "per_span_copy_only_us_baseline": per_span_us(unique, _CopyingExporter()),
        "per_span_bare_exporter_us_baseline": per_span_us(unique, bare),
        "export_batch_size": 512,
        "targets": {"batched_mb_per_s": 50, "per_span_10_attributes_us": 20},
    }


if __name__ == "__main__":
    import json

    print(json.dumps(measure(), indent=2))
