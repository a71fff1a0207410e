"""Specification of erasure's pure parts: the subject's pseudonyms under every key on record, and
the LogsQL that selects their records."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tta_otel.ops.cli.privacy_command import _trace_retention
from tta_otel.ops.erasure import TRACE_RETENTION, pseudonyms, subject_filter
from tta_otel.ops.secrets import COLLECTOR_PSEUDONYM_KEY, PSEUDONYM_KEYS, SecretsDir
from tta_otel.privacy import Pseudonymizer, PseudonymKey


def test_the_subject_has_a_pseudonym_under_every_service_key_and_the_collectors(tmp_path: Path) -> None:
    secrets = SecretsDir(tmp_path / "secrets")
    secrets.init()
    (tmp_path / "secrets" / PSEUDONYM_KEYS).write_text(f"k2:{'b' * 32}\nk1:{'a' * 32}\n")
    collector = secrets.read(COLLECTOR_PSEUDONYM_KEY).strip().encode()
    assert pseudonyms("player-7", secrets) == [
        Pseudonymizer(PseudonymKey("k2", b"b" * 32)).pseudonymize("player-7"),
        Pseudonymizer(PseudonymKey("k1", b"a" * 32)).pseudonymize("player-7"),
        Pseudonymizer(PseudonymKey("collector", collector)).pseudonymize("player-7"),
    ]


def test_the_filter_looks_in_every_identifier_field_and_in_the_message() -> None:
    assert subject_filter(["player.id", "user_id"], ["psn_a_1", "psn_b_2"], "p7") == (
        '("player.id":="psn_a_1" OR "player.id":="psn_b_2" OR "user_id":="psn_a_1" OR "user_id":="psn_b_2" '
        'OR _msg:"p7")'
    )


def test_the_trace_bound_is_the_checkout_s_traces_retention(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "versions.env").write_text("")
    (tmp_path / "collector-config").mkdir()
    (tmp_path / "retention.yaml").write_text("traces: 3d\n")
    monkeypatch.chdir(tmp_path)
    assert _trace_retention() == timedelta(days=3)


def test_outside_a_checkout_the_trace_bound_is_the_stack_s_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _trace_retention() == TRACE_RETENTION == timedelta(days=14)
