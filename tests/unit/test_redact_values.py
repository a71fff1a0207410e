"""Specification of ``redact``: each kind of personal data in several formats, and the
ordinary telemetry that must come out untouched."""

from __future__ import annotations

import pytest
from faker import Faker

from tta_otel import privacy
from tta_otel.privacy import Redactor


def _placeholder(kind: str) -> str:
    return f"[REDACTED:{kind}]"


def _assert_redacted(redactor: Redactor, value: str, kind: str) -> None:
    text = f"player said {value} yesterday"
    assert redactor.redact(text) == f"player said {_placeholder(kind)} yesterday"


def test_email_addresses_are_redacted(redactor: Redactor, fake: Faker) -> None:
    for value in (fake.email(), fake.company_email(), fake.free_email(), fake.email().upper()):
        _assert_redacted(redactor, value, "email")


@pytest.mark.parametrize(
    "pattern",
    ["(###) ###-####", "###-###-####", "###.###.####", "+1 ### ### ####", "+1-###-###-####x###", "001-###-###-####"],
)
def test_us_phone_numbers_are_redacted(redactor: Redactor, fake: Faker, pattern: str) -> None:
    number = fake.numerify(pattern.replace("###", "2##", 1) if pattern.startswith("#") else pattern)
    _assert_redacted(redactor, number, "phone")


@pytest.mark.parametrize("locale", ["en_GB", "de_DE", "fr_FR", "es_ES", "ja_JP"])
def test_international_phone_numbers_are_redacted(redactor: Redactor, locale: str) -> None:
    local = Faker(locale)
    local.seed_instance(7)
    number = f"{local.country_calling_code()} {local.numerify('## #### ####')}"
    _assert_redacted(redactor, number, "phone")


@pytest.mark.parametrize("network", ["visa16", "visa19", "mastercard", "amex", "discover", "jcb"])
def test_payment_cards_passing_luhn_are_redacted(redactor: Redactor, fake: Faker, network: str) -> None:
    number = fake.credit_card_number(network)
    _assert_redacted(redactor, number, "payment_card")
    grouped = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    _assert_redacted(redactor, grouped, "payment_card")


def test_card_shaped_numbers_failing_luhn_are_kept(redactor: Redactor) -> None:
    assert redactor.redact("order 4111111111111112 shipped") == "order 4111111111111112 shipped"


def test_us_social_security_numbers_are_redacted(redactor: Redactor, fake: Faker) -> None:
    for _ in range(5):
        _assert_redacted(redactor, fake.ssn(), "us_ssn")


def test_never_issued_ssn_shapes_are_kept(redactor: Redactor) -> None:
    assert redactor.redact("ref 000-12-3456 and 666-12-3456") == "ref 000-12-3456 and 666-12-3456"


def test_ipv4_client_addresses_are_redacted(redactor: Redactor, fake: Faker) -> None:
    for value in (fake.ipv4_public(), fake.ipv4_private(), fake.ipv4_public()):
        _assert_redacted(redactor, value, "ipv4")


def test_ipv6_client_addresses_are_redacted(redactor: Redactor, fake: Faker) -> None:
    for value in (fake.ipv6(), "2001:db8::8a2e:370:7334", "fe80::1ff:fe23:4567:890a"):
        _assert_redacted(redactor, value, "ipv6")


def test_loopback_addresses_are_kept(redactor: Redactor) -> None:
    assert redactor.redact("listening on 127.0.0.1:8000 and [::1]:8000") == "listening on 127.0.0.1:8000 and [::1]:8000"


@pytest.mark.parametrize("locale", ["en_GB", "de_DE", "fr_FR", "nl_NL"])
def test_ibans_passing_mod97_are_redacted(redactor: Redactor, locale: str) -> None:
    local = Faker(locale)
    local.seed_instance(3)
    iban = local.iban()
    _assert_redacted(redactor, iban, "iban")
    spaced = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    _assert_redacted(redactor, spaced, "iban")


def test_iban_shaped_strings_failing_mod97_are_kept(redactor: Redactor) -> None:
    assert redactor.redact("ref GB00WEST12345698765432") == "ref GB00WEST12345698765432"


def test_jwts_are_redacted(redactor: Redactor, fake: Faker) -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ" + fake.pystr(min_chars=20, max_chars=20) + "." + fake.sha1()
    _assert_redacted(redactor, token, "jwt")


def test_bearer_tokens_keep_the_scheme(redactor: Redactor, fake: Faker) -> None:
    token = fake.sha256()
    assert redactor.redact(f"Authorization: Bearer {token}") == "Authorization: Bearer [REDACTED:bearer_token]"
    basic = fake.pystr(min_chars=16, max_chars=16)
    assert redactor.redact(f"authorization: Basic {basic}") == "authorization: Basic [REDACTED:bearer_token]"


@pytest.mark.parametrize(
    "template",
    ["sk_live_{}", "sk-{}", "ghp_{}{}", "AKIA{}"],
)
def test_api_keys_are_redacted(redactor: Redactor, fake: Faker, template: str) -> None:
    if template == "AKIA{}":
        value = "AKIA" + fake.pystr(min_chars=16, max_chars=16).upper()
    else:
        value = template.format(*(fake.pystr(min_chars=20, max_chars=20) for _ in range(template.count("{}"))))
    _assert_redacted(redactor, value, "api_key")


def test_secrets_assigned_in_text_are_redacted(redactor: Redactor, fake: Faker) -> None:
    password = fake.password()
    assert redactor.redact(f"login password={password}") == "login password=[REDACTED:secret_assignment]"
    assert redactor.redact("client_secret: abc123def") == "client_secret: [REDACTED:secret_assignment]"


def test_credentials_in_urls_keep_the_rest_of_the_url(redactor: Redactor, fake: Faker) -> None:
    url = f"postgres://{fake.user_name()}:{fake.password(special_chars=False)}@db.internal:5432/tta"
    assert redactor.redact(url) == "postgres://[REDACTED:url_credentials]@db.internal:5432/tta"


def test_query_string_values_are_redacted(redactor: Redactor) -> None:
    assert redactor.redact("/scene?choice=forest&mood=low") == (
        "/scene?choice=[REDACTED:query_value]&mood=[REDACTED:query_value]"
    )


def test_several_findings_in_one_string_are_each_replaced(redactor: Redactor, fake: Faker) -> None:
    text = f"{fake.email()} called from {fake.ipv4_public()} with card {fake.credit_card_number('visa16')}"
    assert redactor.redact(text) == "[REDACTED:email] called from [REDACTED:ipv4] with card [REDACTED:payment_card]"


def test_unicode_around_findings_is_preserved(redactor: Redactor, fake: Faker) -> None:
    assert redactor.redact(f"« {fake.email()} » — ok") == "« [REDACTED:email] » — ok"


BENIGN = [
    "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7",
    "request 550e8400-e29b-41d4-a716-446655440000 done",
    "2026-11-26T14:34:49.123456Z",
    "2026-11-26 14:34:49,123",
    "1764167689123456789",
    "took 12.5ms (p99 1.2s, PT0.25S)",
    "tta-otel 0.1.0, opentelemetry-sdk 1.45.2, collector v0.159.0, python 3.11.7",
    'File "/app/tta/narrative/engine.py", line 123, in next_scene',
    "/srv/tta/app.py:88",
    "GET /api/v1/players/{player_id}/scene",
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "d41d8cd98f00b204e9800998ecf8427e",
    "listening on 0.0.0.0:8080, redis at localhost:6379",
    "wrote 1048576 bytes (1.0 MiB) in 4096-byte blocks",
    "http.server.request.duration",
    "std::vector<int> at 0x7ffd5e8c",
    "gen_ai.usage.input_tokens=1532",
]


@pytest.mark.parametrize("text", BENIGN)
def test_ordinary_telemetry_is_untouched(redactor: Redactor, text: str) -> None:
    assert redactor.redact(text) == text


def test_a_clean_string_is_returned_as_the_same_object(redactor: Redactor) -> None:
    text = "GET /health"
    assert redactor.redact(text) is text
    assert redactor.redact(text) is text


def test_module_level_redact_uses_the_packaged_policy(fake: Faker) -> None:
    assert privacy.redact(f"mail {fake.email()}") == "mail [REDACTED:email]"


def test_a_candidate_a_validator_rejects_is_offered_to_the_next_pattern(redactor: Redactor, fake: Faker) -> None:
    number = fake.numerify("415-555-####")
    assert redactor.redact(f"call {number} now") == "call [REDACTED:phone] now"


def test_a_card_number_followed_by_more_digits_is_still_found(redactor: Redactor, fake: Faker) -> None:
    number = fake.credit_card_number("visa16")
    card = " ".join(number[i : i + 4] for i in range(0, 16, 4))
    assert redactor.redact(f"card {card} 12/25") == "card [REDACTED:payment_card] 12/25"
