"""Specification of URL redaction: names kept, values replaced, allowed values scanned."""

from __future__ import annotations

from faker import Faker

from tta_otel.privacy import Redactor, load_policy
from tta_otel.privacy.urls import redact_path, redact_query, redact_url

ALLOWED = frozenset(load_policy().url.allowed_query_parameters)


def test_the_first_parameter_of_url_query_is_redacted(redactor: Redactor, fake: Faker) -> None:
    query = f"email={fake.email()}&page=2"
    assert redact_query(query, ALLOWED, redactor.redact) == "email=[REDACTED:query_value]&page=2"


def test_allowed_parameters_are_case_insensitive_and_scanned(redactor: Redactor, fake: Faker) -> None:
    assert redact_query("PAGE=3&Sort=name", ALLOWED, redactor.redact) == "PAGE=3&Sort=name"
    assert redact_query(f"sort={fake.email()}", ALLOWED, redactor.redact) == "sort=[REDACTED:email]"


def test_percent_encoded_at_and_plus_in_allowed_values_are_decoded(redactor: Redactor, fake: Faker) -> None:
    user, domain = fake.email().split("@")
    assert redact_query(f"fields={user}%40{domain}", ALLOWED, redactor.redact) == "fields=[REDACTED:email]"
    number = "%2B44+20+" + fake.numerify("####+####")
    assert redact_query(f"include={number}", ALLOWED, redactor.redact) == "include=[REDACTED:phone]"


def test_flags_and_empty_values_keep_their_shape(redactor: Redactor) -> None:
    assert redact_query("debug&q=&x=1", ALLOWED, redactor.redact) == "debug&q=&x=[REDACTED:query_value]"


def test_a_full_url_loses_credentials_values_and_fragment(redactor: Redactor, fake: Faker) -> None:
    url = f"https://{fake.user_name()}:{fake.password(special_chars=False)}@api.example.com/players?name=x&page=1#top"
    assert redact_url(url, ALLOWED, redactor.redact) == (
        "https://[REDACTED:url_credentials]@api.example.com/players?name=[REDACTED:query_value]&page=1"
        "#[REDACTED:fragment]"
    )


def test_a_request_target_is_a_url_without_authority(redactor: Redactor, fake: Faker) -> None:
    target = f"/players/{fake.uuid4()}/scene?mood=low"
    path = target.split("?", maxsplit=1)[0]
    assert redact_url(target, ALLOWED, redactor.redact) == f"{path}?mood=[REDACTED:query_value]"


def test_percent_encoded_personal_data_in_a_path_segment_is_found(redactor: Redactor, fake: Faker) -> None:
    user, domain = fake.email().split("@")
    assert redact_path(f"/players/{user}%40{domain}/scene", redactor.redact) == "/players/[REDACTED:email]/scene"


def test_a_clean_path_is_unchanged(redactor: Redactor, fake: Faker) -> None:
    path = f"/api/v1/players/{fake.uuid4()}/scenes/3"
    assert redact_path(path, redactor.redact) == path
