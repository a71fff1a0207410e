"""Specification of the audit trail: appended records form one chain that detects any edit,
removal, reordering or cut-off end, and the trail holds names and digests, never contents."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tta_otel.audit_log import GENESIS, AuditLog, digest_of
from tta_otel.ops.cli.main import main
from tta_otel.ops.secrets import OTLP_TOKEN, SecretsDir


@pytest.fixture
def trail(tmp_path: Path) -> AuditLog:
    log = AuditLog(tmp_path / "audit.jsonl")
    for number in range(4):
        log.append("policy.reload", "policy.yaml", before=digest_of(f"v{number}"), after=digest_of(f"v{number + 1}"))
    return log


def _lines(log: AuditLog) -> list[str]:
    return log.path.read_text().splitlines(keepends=True)


def test_appended_records_form_one_chain_from_the_genesis(trail: AuditLog) -> None:
    records = list(trail.records())
    assert [record.sequence for record in records] == [0, 1, 2, 3]
    assert [record.previous for record in records] == [GENESIS, *(record.digest for record in records[:-1])]
    assert trail.verify() == []


def test_the_trail_and_its_head_are_private_files(trail: AuditLog) -> None:
    assert (trail.path.stat().st_mode & 0o777, trail.head.stat().st_mode & 0o777) == (0o600, 0o600)


def test_an_edited_record_is_detected(trail: AuditLog) -> None:
    lines = _lines(trail)
    lines[1] = lines[1].replace('"policy.reload"', '"report.export"')
    trail.path.write_text("".join(lines))
    assert trail.verify() == [
        "record 1: edited (its digest does not match its content)",
    ]


def test_a_removed_record_is_detected(trail: AuditLog) -> None:
    lines = _lines(trail)
    del lines[1]
    trail.path.write_text("".join(lines))
    assert trail.verify() == [
        "record 2: out of order or after a removed record (expected 1)",
        "record 2: the chain is broken before it (a record removed, reordered or edited)",
    ]


def test_reordered_records_are_detected(trail: AuditLog) -> None:
    lines = _lines(trail)
    lines[1], lines[2] = lines[2], lines[1]
    trail.path.write_text("".join(lines))
    assert trail.verify() == [
        "record 2: out of order or after a removed record (expected 1)",
        "record 2: the chain is broken before it (a record removed, reordered or edited)",
        "record 1: out of order or after a removed record (expected 3)",
        "record 1: the chain is broken before it (a record removed, reordered or edited)",
        "record 3: out of order or after a removed record (expected 2)",
        "record 3: the chain is broken before it (a record removed, reordered or edited)",
    ]


def test_records_cut_off_the_end_are_detected_by_the_head(trail: AuditLog) -> None:
    trail.path.write_text("".join(_lines(trail)[:-1]))
    assert trail.verify() == [f"the trail ends before record 3 that {trail.head} names: records were cut off"]


def test_verify_exits_1_and_names_the_problem(trail: AuditLog, capsys: pytest.CaptureFixture[str]) -> None:
    trail.path.write_text("".join(_lines(trail)[:-1]))
    assert main(["audit", "verify", "--log", str(trail.path)]) == 1
    assert "records were cut off" in capsys.readouterr().err


def test_show_prints_the_records_as_json(trail: AuditLog, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "show", "--since", "1h", "--json", "--log", str(trail.path)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [(record["sequence"], record["action"]) for record in shown] == [(n, "policy.reload") for n in range(4)]


_APPEND = """
import sys
from pathlib import Path
from tta_otel.audit_log import AuditLog
log = AuditLog(Path(sys.argv[1]))
for number in range(40):
    log.append("report.export", f"carbon json {sys.argv[2]}-{number}")
"""


def test_processes_appending_at_once_keep_one_chain(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    writers = [subprocess.Popen([sys.executable, "-c", _APPEND, str(log.path), name]) for name in ("first", "second")]
    assert [writer.wait(60) for writer in writers] == [0, 0]
    assert (sum(1 for _ in log.records()), log.verify()) == (80, [])


def test_making_and_rotating_secrets_is_recorded_without_their_contents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TTA_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    log = AuditLog()
    secrets = SecretsDir(tmp_path / "secrets")
    secrets.init()
    token = secrets.read(OTLP_TOKEN)
    secrets.init(rotate=[OTLP_TOKEN])
    records = [record for record in log.records() if record.subject == OTLP_TOKEN]
    assert [record.action for record in records] == ["secret.create", "secret.rotate"]
    assert (records[0].before, records[1].before) == (None, records[0].after)
    assert token not in log.path.read_text()
