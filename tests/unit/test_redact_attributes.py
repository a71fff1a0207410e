"""Specification of the key rules: what is dropped, pseudonymised or replaced because of its key."""

from __future__ import annotations

import pytest
from faker import Faker

from tta_otel.privacy import KeyAction, Pseudonymizer, Redactor

CONTENT_KEYS = [
    "http.request.body",
    "http.response.body.size.raw",
    "gen_ai.prompt",
    "gen_ai.prompt.0.content",
    "gen_ai.completion.0.content",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.call.arguments",
    "db.query.parameter.player_email",
    "http.request.header.cookie",
    "http.request.header.authorization",
    "http.response.header.set-cookie",
    "player.input",
    "tta.player.input",
    "tta.narrative",
    "tta.prompt.template",
]


@pytest.mark.parametrize("key", CONTENT_KEYS)
def test_content_bearing_keys_are_dropped(redactor: Redactor, fake: Faker, key: str) -> None:
    assert redactor.redact_attributes({key: fake.sentence(), "http.route": "/scene"}) == {"http.route": "/scene"}


@pytest.mark.parametrize("key", ["user.id", "enduser.id", "player.id", "session.id", "tta.player.id", "tta.session.id"])
def test_identifier_keys_are_pseudonymised(
    redactor: Redactor, pseudonymizer: Pseudonymizer, fake: Faker, key: str
) -> None:
    identifier = fake.uuid4()
    assert redactor.redact_attributes({key: identifier}) == {key: pseudonymizer.pseudonymize(identifier)}


def test_identifier_lists_are_pseudonymised_item_by_item(redactor: Redactor, pseudonymizer: Pseudonymizer) -> None:
    assert redactor.redact_attributes({"player.id": ("a", "b")}) == {
        "player.id": (pseudonymizer.pseudonymize("a"), pseudonymizer.pseudonymize("b"))
    }


@pytest.mark.parametrize("key", ["user.name", "player.full_name", "tta.player.display_name", "customer.last_name"])
def test_values_under_person_name_keys_are_replaced(redactor: Redactor, fake: Faker, key: str) -> None:
    assert redactor.redact_attributes({key: fake.name()}) == {key: "[REDACTED:person_name]"}


@pytest.mark.parametrize("key", ["player.address", "home.address", "billing_address", "user.postal_code"])
def test_values_under_postal_address_keys_are_replaced(redactor: Redactor, fake: Faker, key: str) -> None:
    assert redactor.redact_attributes({key: fake.address()}) == {key: "[REDACTED:address]"}


@pytest.mark.parametrize(
    "key",
    ["service.name", "server.address", "network.peer.address", "db.namespace", "http.route"],
)
def test_semantic_convention_keys_are_kept(redactor: Redactor, key: str) -> None:
    assert redactor.decide(key).action is KeyAction.KEEP


@pytest.mark.parametrize("key", ["client.address", "client.socket.address", "http.client_ip", "clientAddress"])
def test_a_client_s_address_is_replaced_whatever_its_form(redactor: Redactor, key: str) -> None:
    host_name = "cpc81-2-69-142-brig21.cable.example.net"  # a host name that spells out an IP address
    assert redactor.redact_attributes({key: host_name}) == {key: "[REDACTED:client_address]"}


def test_kept_values_are_still_scanned(redactor: Redactor, fake: Faker) -> None:
    attributes = {"exception.message": f"no scene for {fake.email()}", "http.response.status_code": 503}
    assert redactor.redact_attributes(attributes) == {
        "exception.message": "no scene for [REDACTED:email]",
        "http.response.status_code": 503,
    }


def test_string_sequences_are_scanned_item_by_item(redactor: Redactor, fake: Faker) -> None:
    assert redactor.redact_attributes({"tags": [fake.email(), "ok"]}) == {"tags": ["[REDACTED:email]", "ok"]}


def test_nested_maps_apply_key_rules_inside(redactor: Redactor, fake: Faker) -> None:
    body = {"event": "choice", "player.input": fake.sentence(), "detail": {"user.name": fake.name()}}
    assert redactor.redact_value(body) == {"event": "choice", "detail": {"user.name": "[REDACTED:person_name]"}}


def test_non_string_values_pass_through(redactor: Redactor) -> None:
    assert redactor.redact_value(42) == 42
    assert redactor.redact_value(None) is None
    assert redactor.redact_attributes(None) == {}


def test_bytes_values_leave_as_scanned_text(redactor: Redactor, fake: Faker) -> None:
    assert redactor.redact_value({"raw": f"to {fake.email()}".encode()}) == {"raw": "to [REDACTED:email]"}


def test_keys_of_body_maps_are_scanned_too(redactor: Redactor, fake: Faker) -> None:
    assert redactor.redact_value({fake.email(): "subscribed"}) == {"[REDACTED:email]": "subscribed"}
