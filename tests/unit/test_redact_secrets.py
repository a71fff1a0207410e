"""Specification of secrets: provider key shapes, PEM blocks, and any value after a secret label."""

from __future__ import annotations

import pytest
from faker import Faker

from tta_otel.privacy import Redactor


def _token(fake: Faker, length: int) -> str:
    return fake.pystr(min_chars=length, max_chars=length)


@pytest.mark.parametrize(
    "prefix",
    [
        "sk-",
        "sk-proj-",
        "sk-ant-api03-",
        "ghp_",
        "gho_",
        "ghu_",
        "ghs_",
        "ghr_",
        "github_pat_",
        "glpat-",
        "hf_",
        "sk_live_",
        "rk_live_",
        "xoxb-",
        "xoxp-",
    ],
)
def test_provider_keys(redactor: Redactor, fake: Faker, prefix: str) -> None:
    key = prefix + _token(fake, 40)
    assert redactor.redact(f"using {key} now") == "using [REDACTED:api_key] now"


def test_aws_google_and_sendgrid_keys(redactor: Redactor, fake: Faker) -> None:
    for key in (
        "AKIA" + _token(fake, 16).upper(),
        "ASIA" + _token(fake, 16).upper(),
        "AIza" + _token(fake, 35),
        f"SG.{_token(fake, 22)}.{_token(fake, 43)}",
    ):
        assert redactor.redact(f"using {key} now") == "using [REDACTED:api_key] now"


@pytest.mark.parametrize(
    "label",
    [
        "password",
        "passwd",
        "secret",
        "token",
        "api_key",
        "apikey",
        "client_secret",
        "private_key",
        "access_key",
        "auth",
        "AWS_SECRET_ACCESS_KEY",
        "db_password",
        "X-API-Key",
    ],
)
def test_values_after_secret_labels(redactor: Redactor, fake: Faker, label: str) -> None:
    secret = fake.password(special_chars=False)
    assert redactor.redact(f"{label}={secret}") == f"{label}=[REDACTED:secret_assignment]"
    assert redactor.redact(f'"{label}": "{secret} {secret}"') == f'"{label}": "[REDACTED:secret_assignment]"'


def test_bearer_and_authorization_headers(redactor: Redactor, fake: Faker) -> None:
    token = _token(fake, 32)
    assert redactor.redact(f"Authorization: Bearer {token}") == "Authorization: Bearer [REDACTED:bearer_token]"
    assert redactor.redact(f"authorization={token}") == "authorization=[REDACTED:bearer_token]"


def test_a_pem_private_key_block_is_redacted_whole(redactor: Redactor, fake: Faker) -> None:
    body = "\n".join(_token(fake, 64) for _ in range(4))
    pem = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
    assert redactor.redact(f"loaded {pem}") == "loaded [REDACTED:private_key]"
    assert redactor.redact(f"private_key: {pem}") == "private_key: [REDACTED:secret_assignment]"


@pytest.mark.parametrize("text", ["token_count=5", "max_tokens=512", "gen_ai.usage.input_tokens=1532", "author: tta"])
def test_counts_and_words_that_start_like_labels_are_kept(redactor: Redactor, text: str) -> None:
    assert redactor.redact(text) == text
