"""Specification of batch redaction: the same answers as one string at a time."""

from __future__ import annotations

from faker import Faker

from tta_otel.privacy import Redactor
from tta_otel.privacy.redactor import iter_strings


def test_a_batch_gives_the_same_results_as_single_calls(redactor: Redactor, fake: Faker) -> None:
    texts = [
        f"contact {fake.email()}",
        "GET /health",
        f"from {fake.ipv4_public()} and {fake.ipv4_public()}",
        f"« {fake.email()} » — ünïcode",
        "trace 4bf92f3577b34da6a3ce929d0e0e4736",
        f"card {fake.credit_card_number('visa16')}",
    ]
    expected = [Redactor(redactor.policy, redactor.pseudonymizer).redact(text) for text in texts]
    redact = redactor.redact_many(texts)
    assert [redact(text) for text in texts] == expected


def test_a_candidate_spanning_two_strings_is_rescanned_one_by_one(redactor: Redactor, fake: Faker) -> None:
    token = fake.sha256()
    texts = ["header: Bearer", token, f"Bearer {token}"]
    redact = redactor.redact_many(texts)
    assert [redact(text) for text in texts] == ["header: Bearer", token, "Bearer [REDACTED:bearer_token]"]


def test_a_string_outside_the_batch_is_scanned_on_its_own(redactor: Redactor, fake: Faker) -> None:
    redact = redactor.redact_many(["GET /health"])
    assert redact(f"mail {fake.email()}") == "mail [REDACTED:email]"


def test_clean_strings_of_a_batch_are_remembered(redactor: Redactor) -> None:
    redactor.redact_many(["GET /players/{player_id}/scene"])
    assert "GET /players/{player_id}/scene" in redactor.scanner._clean


def test_strings_are_found_in_any_shape(fake: Faker) -> None:
    value = {"a": "x", "b": ["y", {"c": "z"}], "d": 3}
    assert list(iter_strings(value)) == ["x", "y", "z"]
