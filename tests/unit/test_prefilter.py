"""Specification of the scanner's prefilter: the native one answers exactly as the RE2 one.

The prefilter only says which strings hold nothing to find; a string it wrongly calls clean
would leave unscanned. So the native prefilter (Rust's ``regex``) is held to the answers of
the RE2 one on the privacy corpora, on telemetry, on adversarial inputs and on generated text,
and the scanner's output is compared whole under both.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from faker import Faker
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import privacy_corpora
from benchmarks.redaction import adversarial_strings, telemetry_strings
from tta_otel.privacy import load_policy
from tta_otel.privacy.prefilter import Re2Prefilter, compile_prefilter
from tta_otel.privacy.scanner import _NORMALIZE_TRIGGERS, Scanner

native = pytest.importorskip("tta_otel_prefilter", reason="the native prefilter is not installed (make setup)")

_PATTERNS = [*(p.regex for p in load_policy().value_patterns), *_NORMALIZE_TRIGGERS]


@pytest.fixture(scope="module")
def prefilters() -> tuple[object, Re2Prefilter]:
    return native.Prefilter(_PATTERNS), Re2Prefilter(_PATTERNS)


def _corpus() -> Iterator[str]:
    fake = Faker(privacy_corpora.LOCALES)
    fake.seed_instance(20261130)
    yield from privacy_corpora.benign(fake, 2000)
    yield from telemetry_strings(2000, finding_every=3)
    for locale in privacy_corpora.LOCALES:
        local = Faker(locale)
        local.seed_instance(7)
        for form in (*privacy_corpora.NAME_FORMS, *privacy_corpora.ADDRESS_FORMS):
            yield form.format(v=local.name())
    yield from (text for text, _ in privacy_corpora._secrets(fake, 300))
    yield from (text for text, _ in privacy_corpora._obfuscated(fake, 300))
    yield from (text[:2048] for text in adversarial_strings().values())


def _ascii_corpus() -> list[str]:
    return [text for text in _corpus() if text.isascii()]


def test_both_prefilters_report_the_same_patterns_on_the_corpora(prefilters: tuple[object, Re2Prefilter]) -> None:
    fast, re2_set = prefilters
    differing = [text for text in _ascii_corpus() if fast.hits(text) != re2_set.hits(text)]  # type: ignore[attr-defined]
    assert differing == []


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=9, max_codepoint=126), max_size=120))
def test_both_prefilters_report_the_same_patterns_on_any_ascii_text(
    prefilters: tuple[object, Re2Prefilter], text: str
) -> None:
    fast, re2_set = prefilters
    assert fast.hits(text) == re2_set.hits(text)  # type: ignore[attr-defined]


def test_a_batch_names_the_strings_with_anything_to_find(prefilters: tuple[object, Re2Prefilter], fake: Faker) -> None:
    fast, re2_set = prefilters
    texts = ["GET /health", f"mail {fake.email()}", "ünïcode", 'File "/srv/tta/app.py", line 3', "%41"]
    assert fast.dirty(texts) == re2_set.dirty(texts) == [1, 2, 4]  # type: ignore[attr-defined]


def test_a_short_mixed_case_run_is_no_base64_candidate(prefilters: tuple[object, Re2Prefilter]) -> None:
    fast, re2_set = prefilters
    assert fast.hits("File app.py in Scene") == re2_set.hits("File app.py in Scene") == []  # type: ignore[attr-defined]


def test_a_long_mixed_case_run_is_reported_last_as_a_base64_candidate(
    prefilters: tuple[object, Re2Prefilter],
) -> None:
    fast, re2_set = prefilters
    assert fast.hits("x am9obkBleGFtcGxlLmNvbQ") == re2_set.hits("x am9obkBleGFtcGxlLmNvbQ") == [fast.candidate]  # type: ignore[attr-defined]


def test_the_scanner_redacts_the_corpora_alike_with_either_prefilter() -> None:
    patterns = load_policy().value_patterns
    fast, re2_set = Scanner(patterns), Scanner(patterns, native_prefilter=False)
    texts = list(_corpus())
    assert [fast.redact(text) for text in texts] == [re2_set.redact(text) for text in texts]


def test_a_pattern_the_native_prefilter_cannot_compile_falls_back_to_re2() -> None:
    assert isinstance(compile_prefilter([r"\C"]), Re2Prefilter)  # RE2's any-byte escape


def test_without_the_native_prefilter_installed_re2_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tta_otel_prefilter", None)
    assert isinstance(compile_prefilter(_PATTERNS), Re2Prefilter)


def test_the_native_prefilter_is_used_when_installed() -> None:
    assert isinstance(compile_prefilter(_PATTERNS), native.Prefilter)
