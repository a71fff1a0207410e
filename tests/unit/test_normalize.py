"""Specification of normalisation: each way of hiding data from the patterns, as a named regression."""

from __future__ import annotations

import base64

import pytest
from faker import Faker

from tta_otel.privacy import Redactor
from tta_otel.privacy.normalize import needs_normalizing, normalize


def _said(redactor: Redactor, value: str) -> str:
    return redactor.redact(f"player said {value} today")


def test_percent_encoded_at_sign(redactor: Redactor, fake: Faker) -> None:
    user, domain = fake.email().split("@")
    assert _said(redactor, f"{user}%40{domain}") == "player said [REDACTED:email] today"


def test_percent_encoded_plus_of_a_phone_number(redactor: Redactor, fake: Faker) -> None:
    number = "%2B44%2020%20" + fake.numerify("####%20####")
    assert _said(redactor, number) == "player said [REDACTED:phone] today"


def test_double_percent_encoding(redactor: Redactor, fake: Faker) -> None:
    user, domain = fake.email().split("@")
    assert _said(redactor, f"{user}%2540{domain}") == "player said [REDACTED:email] today"


def test_fullwidth_at_sign(redactor: Redactor, fake: Faker) -> None:
    assert _said(redactor, fake.email().replace("@", "\uff20")) == "player said [REDACTED:email] today"


def test_fullwidth_digits_of_a_phone_number(redactor: Redactor) -> None:
    digits = "\uff14\uff11\uff15-\uff15\uff15\uff15-\uff10\uff11\uff13\uff12"
    assert _said(redactor, digits) == "player said [REDACTED:phone] today"


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"])
def test_zero_width_characters_inside_an_address(redactor: Redactor, fake: Faker, invisible: str) -> None:
    email = fake.email()
    hidden = invisible.join(email)
    assert _said(redactor, hidden) == "player said [REDACTED:email] today"


@pytest.mark.parametrize(
    "email", ["josé.müller@bücher.de", "山田太郎@例え.jp", "иван@пример.рф", "jos\u0065\u0301@example.com"]
)
def test_non_ascii_local_parts_and_domains(redactor: Redactor, email: str) -> None:
    assert _said(redactor, email) == "player said [REDACTED:email] today"


@pytest.mark.parametrize(
    ("at", "dot"), [(" [at] ", " [dot] "), ("(at)", "(dot)"), (" at ", " dot "), ("{at}", "."), (" AT ", ".")]
)
def test_email_obfuscations(redactor: Redactor, fake: Faker, at: str, dot: str) -> None:
    user = fake.user_name()
    assert _said(redactor, f"{user}{at}example{dot}com") == "player said [REDACTED:email] today"


def test_at_in_ordinary_prose_is_not_an_address(redactor: Redactor) -> None:
    for text in ("error at module.py line 3", "raised at engine.next_scene", "<Scene object at 0x7f3a2b>"):
        assert redactor.redact(text) == text


def test_html_entities(redactor: Redactor, fake: Faker) -> None:
    user, domain = fake.email().split("@")
    for at in ("&#64;", "&#x40;", "&commat;"):
        assert _said(redactor, f"{user}{at}{domain}") == "player said [REDACTED:email] today"


def test_base64_wrapped_email_replaces_the_whole_segment(redactor: Redactor, fake: Faker) -> None:
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        blob = encode(f"contact: {fake.email()}".encode()).decode()
        assert _said(redactor, blob) == "player said [REDACTED:email] today"


def test_base64_of_clean_text_is_kept(redactor: Redactor) -> None:
    blob = base64.b64encode(b"chapter three, the forest path").decode()
    assert _said(redactor, blob) == f"player said {blob} today"


def test_ipv4_mapped_ipv6_is_one_address(redactor: Redactor) -> None:
    assert redactor.redact("peer ::ffff:203.0.113.7 closed") == "peer [REDACTED:ipv6] closed"
    assert redactor.redact("peer [::ffff:198.51.100.23]:443") == "peer [[REDACTED:ipv6]]:443"


def test_a_dotted_quad_after_one_colon_is_an_ipv4_address(redactor: Redactor, fake: Faker) -> None:
    address = fake.ipv4_public()
    assert redactor.redact(f"Mozilla/5.0 (X11; rv:{address}) Gecko") == "Mozilla/5.0 (X11; rv:[REDACTED:ipv4]) Gecko"
    assert redactor.redact(f"peer ::{address} closed") == "peer [REDACTED:ipv6] closed"


def test_unicode_around_a_finding_is_kept(redactor: Redactor, fake: Faker) -> None:
    assert redactor.redact(f"« {fake.email()} » — ok ✓") == "« [REDACTED:email] » — ok ✓"


def test_the_offset_map_points_back_to_the_original() -> None:
    text = "a%40b \uff20 c\u200bd"
    normalized = normalize(text)
    assert normalized.text == "a@b @ cd"
    assert normalized.original_span(1, 2) == (1, 4)  # "@" came from "%40"
    assert normalized.original_span(4, 5) == (6, 7)  # the fullwidth at sign
    assert normalized.original_span(6, 8) == (8, 11)  # "cd" spans the zero-width space


def test_plain_ascii_telemetry_takes_the_fast_path() -> None:
    assert not needs_normalizing("GET /api/v1/players/{player_id}/scene 200 12.5ms")
    assert needs_normalizing("a%40b")
    assert needs_normalizing("café")


def test_a_finding_inside_a_run_of_mixed_ascii_and_marks_maps_to_its_own_characters() -> None:
    # ASCII between combining marks: one run for normalisation, still mapped character by character
    # (the ligature "fi" is one character of the original).
    text = "\u0301e\u0301\u0301415\u0301-555-01\ufb0132\u0301e"
    normalized = normalize(text)
    assert normalized.text == "e415-555-01fi32e"
    start = normalized.text.index("415")
    assert text[slice(*normalized.original_span(start, start + 3))] == "415"
    assert normalized.original_span(start + 10, start + 12) == (text.index("\ufb01"), text.index("\ufb01") + 1)


def test_a_long_interleaved_run_keeps_every_hidden_finding(redactor: Redactor) -> None:
    hidden = "\u200b".join("415-555-0132")
    text = ("e\u0301" * 500) + f" call {hidden} " + ("\uff41\u200b" * 500)
    assert redactor.redact(text) == ("e\u0301" * 500) + " call [REDACTED:phone] " + ("\uff41\u200b" * 500)
