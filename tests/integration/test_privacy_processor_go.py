"""The collector's privacy processor (collector/privacyprocessor, Go): its own tests run with
the Python suite, so ``make test`` proves both layers. They read the committed
``collector-config/privacy.yaml`` (the policy as the processor gets it); the parity test also
reads a corpus that this module writes: synthetic texts and attribute maps with what the Python
layer made of them, which the processor must reproduce exactly."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from faker import Faker

from benchmarks import privacy_corpora
from tta_otel.privacy import load_policy
from tta_otel.privacy.pseudonym import Pseudonymizer, PseudonymKey
from tta_otel.privacy.redactor import Redactor
from tta_otel.privacy.scanner import LOG_BODY_CAP, Scanner

pytestmark = pytest.mark.integration
MODULE = Path(__file__).resolve().parents[2] / "collector" / "privacyprocessor"
# The Go tests' key and key id (policy_test.go).
_KEY = PseudonymKey("k1", b"a-synthetic-test-key-of-32-bytes!!")
# Keys of every kind: allowed, unlisted, dropped, pseudonymised, redacted, URLs.
_KEYS = [
    "http.route",
    "user_agent.original",
    "contact",
    "note",
    "gen_ai.prompt",
    "player.id",
    "playerId",
    "user.name",
    "user",
    "address",
    "url.full",
    "url.query",
    "db.statement",
    "tags",
    "gen_ai.response.finish_reasons",
]


def _go(*arguments: str, environment: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    go = shutil.which("go")
    if go is None:
        pytest.skip("Go is not installed: the collector's privacy processor cannot be tested (install Go 1.26)")
    return subprocess.run(
        [go, *arguments],
        cwd=MODULE,
        env={**os.environ, "GOFLAGS": "-mod=mod", **(environment or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _go_test(*arguments: str, environment: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return _go("test", "-count=1", *arguments, "./...", environment=environment)


def test_the_processors_go_tests_pass() -> None:
    result = _go_test()
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def test_the_processor_is_gofmt_and_vet_clean() -> None:
    vet = _go("vet", "./...")
    assert vet.returncode == 0, vet.stdout + vet.stderr
    gofmt = shutil.which("gofmt")
    if gofmt is None:
        pytest.skip("gofmt is not installed (it comes with Go)")
    unformatted = subprocess.run(
        [gofmt, "-l", "."],
        cwd=MODULE,
        capture_output=True,
        text=True,
        check=True,
    )
    assert unformatted.stdout == ""


def _texts() -> list[str]:
    texts: list[str] = []
    for locale in privacy_corpora.LOCALES:
        fake = Faker(locale)
        fake.seed_instance(3)
        texts += [t for t, _ in privacy_corpora._labelled(fake, privacy_corpora.NAME_FORMS, fake.name, 20)]
        texts += [t for t, _ in privacy_corpora._labelled(fake, privacy_corpora.ADDRESS_FORMS, fake.address, 20)]
        texts += [t for t, _ in privacy_corpora._secrets(fake, 20)]
        texts += [t for t, _ in privacy_corpora._obfuscated(fake, 20)]
        texts += privacy_corpora.benign(fake, 40)
        texts += [f"{fake.sentence()} {fake.email()}" for _ in range(5)]
        texts += [f"call {fake.phone_number()}, card {fake.credit_card_number()}, iban {fake.iban()}" for _ in range(5)]
        texts += [f"from {fake.ipv4()} and {fake.ipv6()} at {fake.uri()}?page=2&q={fake.word()}" for _ in range(5)]
    return texts


def _value(fake: Faker, depth: int) -> Any:
    choice = fake.random_int(0, 6 if depth < 2 else 3)
    if choice == 0:
        return fake.random_int(0, 1000)
    if choice == 1:
        return fake.boolean()
    if choice == 2:
        return f"mail {fake.email()} about {fake.word()}"
    if choice == 3:
        return f"{fake.uri()}?page={fake.random_int(1, 9)}&token={fake.pystr()}"
    if choice == 4:
        return [_value(fake, depth + 1) for _ in range(fake.random_int(1, 3))]
    return {fake.random_element(_KEYS): _value(fake, depth + 1) for _ in range(fake.random_int(1, 3))}


def _maps() -> list[dict[str, Any]]:
    fake = Faker()
    fake.seed_instance(5)
    return [{fake.random_element(_KEYS): _value(fake, 0) for _ in range(4)} for _ in range(200)]


def test_the_processor_redacts_exactly_as_the_python_layer(tmp_path: Path) -> None:
    policy = load_policy()
    scanner = Scanner(policy.value_patterns)
    redactor = Redactor(policy, Pseudonymizer(_KEY))
    corpus = {
        "texts": [[text, scanner.redact(text, cap=LOG_BODY_CAP)] for text in _texts()],
        "maps": [[attributes, redactor.redact_attributes(attributes)] for attributes in _maps()],
    }
    path = tmp_path / "parity.json"
    path.write_text(json.dumps(corpus), encoding="utf-8")
    result = _go_test(
        "-run", "TestParityWithThePythonLayer", "-v", environment={"TTA_PRIVACY_PARITY_CORPUS": str(path)}
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "--- PASS: TestParityWithThePythonLayer" in result.stdout
