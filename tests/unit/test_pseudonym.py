"""Specification of keyed pseudonyms: stable under one key, different under another, never leaking the key."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest
from faker import Faker

from tta_otel.privacy import Pseudonymizer, PseudonymKey, pseudonymizer_from_environment


def test_the_same_identifier_gives_the_same_pseudonym(pseudonymizer: Pseudonymizer, fake: Faker) -> None:
    identifier = fake.uuid4()
    assert pseudonymizer.pseudonymize(identifier) == pseudonymizer.pseudonymize(identifier)


def test_different_identifiers_give_different_pseudonyms(pseudonymizer: Pseudonymizer) -> None:
    assert pseudonymizer.pseudonymize("player-1") != pseudonymizer.pseudonymize("player-2")


def test_a_pseudonym_names_its_key_and_hides_the_identifier(pseudonymizer: Pseudonymizer) -> None:
    pseudonym = pseudonymizer.pseudonymize("player-1")
    assert pseudonym.startswith("psn_test_")
    assert len(pseudonym) == len("psn_test_") + 16
    assert "player" not in pseudonym


def test_the_pseudonym_depends_on_the_key() -> None:
    first = Pseudonymizer(PseudonymKey("k1", b"first synthetic key"))
    second = Pseudonymizer(PseudonymKey("k1", b"second synthetic key"))
    assert first.pseudonymize("player-1") != second.pseudonymize("player-1")


def test_rotation_keeps_previous_pseudonyms_recognisable() -> None:
    old = PseudonymKey("k1", b"old synthetic key")
    before = Pseudonymizer(old).pseudonymize("player-1")
    rotated = Pseudonymizer(PseudonymKey("k2", b"new synthetic key"), (old,))
    assert rotated.pseudonymize("player-1") != before
    assert rotated.pseudonymize("player-1").startswith("psn_k2_")
    assert rotated.matches("player-1", before)
    assert rotated.matches("player-1", rotated.pseudonymize("player-1"))
    assert not rotated.matches("player-2", before)


def test_the_key_never_appears_in_a_repr() -> None:
    key = PseudonymKey("k1", b"do-not-print-me")
    assert "do-not-print-me" not in repr(key)
    assert "do-not-print-me" not in repr(Pseudonymizer(key).__dict__)


def test_an_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        Pseudonymizer(PseudonymKey("k1", b""))


def test_environment_key_with_previous_keys(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("TTA_PSEUDONYM_KEY", "current synthetic secret of 32 bytes+")
    clean_env.setenv("TTA_PSEUDONYM_KEY_ID", "k2")
    clean_env.setenv("TTA_PSEUDONYM_PREVIOUS_KEYS", "k1:old synthetic secret of 32 bytes or more")
    old = Pseudonymizer(PseudonymKey("k1", b"old synthetic secret of 32 bytes or more")).pseudonymize("p")
    pseudonymizer = pseudonymizer_from_environment()
    assert pseudonymizer.key_id == "k2"
    assert pseudonymizer.matches("p", old)


def test_key_file_lists_current_key_first(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key_file = tmp_path / "keys"
    key_file.write_text(
        "# rotated 2026-11\nk3:newest synthetic secret of 32 bytes+\nk2:older synthetic secret of 32 bytes+\n"
    )
    clean_env.setenv("TTA_PSEUDONYM_KEY_FILE", str(key_file))
    pseudonymizer = pseudonymizer_from_environment()
    assert pseudonymizer.key_id == "k3"


def test_malformed_key_file_is_an_error(tmp_path: Path) -> None:
    key_file = tmp_path / "keys"
    key_file.write_text("just-a-secret-without-id\n")
    with pytest.raises(ValueError, match="<key id>:<secret>"):
        pseudonymizer_from_environment(key_file)


def test_empty_key_file_is_an_error(tmp_path: Path) -> None:
    key_file = tmp_path / "keys"
    key_file.write_text("# nothing yet\n")
    with pytest.raises(ValueError, match="holds no key"):
        pseudonymizer_from_environment(key_file)


def test_without_a_key_an_ephemeral_one_is_used_and_announced(
    clean_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    pseudonymizer = pseudonymizer_from_environment()
    assert pseudonymizer.key_id == "ephemeral"
    assert "ephemeral key" in caplog.text


@pytest.mark.parametrize("source", ["file", "environment"])
def test_a_key_shorter_than_32_bytes_is_refused(clean_env: pytest.MonkeyPatch, tmp_path: Path, source: str) -> None:
    if source == "file":
        key_file = tmp_path / "keys"
        key_file.write_text("k1:only 31 bytes of synthetic keys\n")
        clean_env.setenv("TTA_PSEUDONYM_KEY_FILE", str(key_file))
    else:
        clean_env.setenv("TTA_PSEUDONYM_KEY", "only 31 bytes of synthetic keys")
    with pytest.raises(ValueError, match="pseudonym keys need at least 32"):
        pseudonymizer_from_environment()


@pytest.mark.parametrize("key_length", [1, 32, 64, 65, 200])
def test_a_pseudonym_is_the_truncated_hmac_sha256_of_the_identifier(key_length: int, fake: Faker) -> None:
    secret, identifier = fake.binary(key_length), fake.uuid4()
    expected = hmac.new(secret, identifier.encode(), hashlib.sha256).hexdigest()[:16]
    assert Pseudonymizer(PseudonymKey("k1", secret)).pseudonymize(identifier) == f"psn_k1_{expected}"
