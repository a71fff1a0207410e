"""Specification of default-deny: only allowed keys keep their string values.

The packaged policy in strict mode, as a service runs it: a key the policy does not name loses
its string values, whatever they hold; identifiers are pseudonymised however their keys are
written, and never become metric attributes.
"""

from __future__ import annotations

import logging

import pytest
from faker import Faker

from tta_otel.privacy import UNLISTED, KeyAction, Pseudonymizer, Redactor, load_policy


def test_a_free_text_answer_under_an_unlisted_key_does_not_leave(strict_redactor: Redactor, fake: Faker) -> None:
    answer = f"I feel alone, call me at {fake.phone_number()}"
    assert strict_redactor.redact_attributes({"tta.answer": answer}) == {"tta.answer": UNLISTED}


def test_an_allowed_key_keeps_its_value_after_scanning(strict_redactor: Redactor, fake: Faker) -> None:
    email = fake.email()
    assert strict_redactor.redact_attributes({"http.route": "/scene", "user_agent.original": f"bot {email}"}) == {
        "http.route": "/scene",
        "user_agent.original": "bot [REDACTED:email]",
    }


def test_numbers_and_booleans_of_an_unlisted_key_pass(strict_redactor: Redactor) -> None:
    assert strict_redactor.redact_attributes({"tta.turns": 7, "tta.ratio": 0.5, "tta.first": True}) == {
        "tta.turns": 7,
        "tta.ratio": 0.5,
        "tta.first": True,
    }


def test_each_string_of_an_unlisted_array_is_replaced(strict_redactor: Redactor, fake: Faker) -> None:
    assert strict_redactor.redact_attributes({"tta.choices": (fake.name(), 3, fake.city())}) == {
        "tta.choices": (UNLISTED, 3, UNLISTED)
    }


def test_a_nested_map_is_decided_by_its_full_dotted_path(strict_redactor: Redactor, fake: Faker) -> None:
    body = {"http": {"route": "/scene", "note": fake.sentence()}, "turn": 4}
    assert strict_redactor.redact_value(body) == {"http": {"route": "/scene", "note": UNLISTED}, "turn": 4}


def test_a_nested_identifier_is_pseudonymised(
    strict_redactor: Redactor, pseudonymizer: Pseudonymizer, fake: Faker
) -> None:
    player = fake.uuid4()
    assert strict_redactor.redact_value({"detail": {"player_id": player}}) == {
        "detail": {"player_id": pseudonymizer.pseudonymize(player)}
    }


@pytest.mark.parametrize(
    "key", ["player_id", "playerId", "Player.Id", "tta.player_id", "user_id", "user-id", "sessionId"]
)
def test_identifier_variants_are_pseudonymised(
    strict_redactor: Redactor, pseudonymizer: Pseudonymizer, key: str
) -> None:
    assert strict_redactor.redact_attributes({key: "player-42"}) == {key: pseudonymizer.pseudonymize("player-42")}


@pytest.mark.parametrize(
    "key", ["http.request.method", "HTTP_REQUEST_METHOD", "httpRequestMethod", "http-request-method"]
)
def test_allowed_keys_match_however_they_are_written(strict_redactor: Redactor, key: str) -> None:
    assert strict_redactor.decide(key).action is KeyAction.KEEP


def test_a_prefix_does_not_allow_a_longer_word(strict_redactor: Redactor) -> None:
    assert strict_redactor.decide("serverless.note").action is KeyAction.UNLISTED


def test_an_identifier_never_becomes_a_metric_attribute(strict_redactor: Redactor) -> None:
    assert strict_redactor.redact_metric_attributes({"player.id": "p-1", "http.route": "/scene"}) == (
        {"http.route": "/scene"},
        1,
    )


def test_standard_mode_scans_unlisted_values(pseudonymizer: Pseudonymizer, fake: Faker) -> None:
    standard = Redactor(load_policy(), pseudonymizer, mode="standard")
    email = fake.email()
    assert standard.redact_attributes({"tta.answer": f"write to {email}"}) == {
        "tta.answer": "write to [REDACTED:email]"
    }


def test_an_unlisted_key_is_reported_once_with_the_line_that_would_allow_it(
    strict_redactor: Redactor, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="tta_otel.privacy.redactor"):
        strict_redactor.redact_attributes({"tta.answer": "a"})
        strict_redactor.redact_attributes({"tta.answer": "b"})
    (line,) = [record.getMessage() for record in caplog.records if "tta.answer" in record.getMessage()]
    assert line == (
        "tta_otel: attribute 'tta.answer' is not allowed by the privacy policy; its string values leave as "
        "[REDACTED:unlisted]. To let its values leave after scanning, add to keys.allow of a custom policy: "
        "- 'tta.answer'"
    )


def test_every_tta_attribute_key_that_tta_otel_emits_is_allowed(strict_redactor: Redactor) -> None:
    from tta_otel import semconv

    emitted = {
        value
        for name, value in vars(semconv).items()
        if name.startswith("TTA_") and isinstance(value, str) and value.startswith("tta.")
    }
    assert emitted
    assert {key for key in emitted if strict_redactor.decide(key).action is not KeyAction.KEEP} == set()


def test_the_first_query_parameter_loses_its_percent_encoded_value(strict_redactor: Redactor, fake: Faker) -> None:
    email = fake.email().replace("@", "%40")
    assert strict_redactor.redact_attributes({"url.query": f"email={email}&page=2"}) == {
        "url.query": "email=[REDACTED:query_value]&page=2"
    }


def test_a_full_url_keeps_its_shape_and_loses_its_query_values(strict_redactor: Redactor, fake: Faker) -> None:
    url = f"https://play.example/players/7/scene?email={fake.email()}"
    assert strict_redactor.redact_attributes({"url.full": url}) == {
        "url.full": "https://play.example/players/7/scene?email=[REDACTED:query_value]"
    }


def test_every_tta_attribute_that_tta_otel_emits_is_allowed(strict_redactor: Redactor) -> None:
    """Default-deny would otherwise turn tta_otel's own labels into ``[REDACTED:unlisted]``."""
    from tta_otel import semconv

    keys = {value for name, value in vars(semconv).items() if name.isupper() and str(value).startswith("tta.")}
    assert len(keys) > 15
    assert {key for key in keys if strict_redactor.decide(key).action is not KeyAction.KEEP} == set()
