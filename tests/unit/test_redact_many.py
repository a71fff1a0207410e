"""Specification of batch redaction: the same answers as one string at a time."""

from __future__ import annotations

import pytest
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


def test_results_of_a_batch_are_remembered_and_not_scanned_again(
    redactor: Redactor, fake: Faker, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = f"mail {fake.email()}"
    redactor.redact_many([text, "GET /players/{player_id}/scene"])
    monkeypatch.setattr(redactor.scanner, "_redact", lambda *_: pytest.fail("scanned again"))
    assert [redactor.redact(text), redactor.redact("GET /players/{player_id}/scene")] == [
        "mail [REDACTED:email]",
        "GET /players/{player_id}/scene",
    ]


def test_only_strings_of_allowed_keys_are_offered_to_the_batch_scan(strict_redactor: Redactor, fake: Faker) -> None:
    attributes = {
        "http.route": "/players/{player_id}",
        "player.id": fake.uuid4(),
        "url.query": f"email={fake.email()}",
        "url.path": "/players/7",
        "tta.answer": fake.sentence(),
        "http.response.status_code": 200,
        "server.address": ["a.example", 7],
    }
    assert list(strict_redactor.scanned_strings(attributes)) == ["/players/{player_id}", "/players/7", "a.example"]


def test_unlisted_strings_are_offered_to_the_batch_scan_in_standard_mode(redactor: Redactor, fake: Faker) -> None:
    answer = fake.sentence()
    assert list(redactor.scanned_strings({"tta.answer": answer})) == [answer]


def test_strings_are_found_in_any_shape(fake: Faker) -> None:
    value = {"a": "x", "b": ["y", {"c": "z"}], "d": 3}
    assert list(iter_strings(value)) == ["x", "y", "z"]


def test_a_remembered_finding_stays_redacted_when_the_batch_fills_the_cache(redactor: Redactor, fake: Faker) -> None:
    address = f"from {fake.ipv4_public()}"
    redactor.redact(address)
    batch = [address, *(f"GET /scenes/{number}" for number in range(9000))]
    redact = redactor.redact_many(batch)
    assert redact(address) == "from [REDACTED:ipv4]"
