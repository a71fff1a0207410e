"""Exported reports are kept in state/reports/ no longer than retention.yaml's ``reports`` class:
``stack up`` and the supervisor remove the older files, each removal in the audit trail."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tta_otel.audit_log import AuditLog, digest_of
from tta_otel.ops.reports import folder
from tta_otel.ops.stack.runner import Stack

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def trail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AuditLog:
    monkeypatch.setenv("TTA_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    return AuditLog(tmp_path / "audit.jsonl")


def _report(reports: Path, name: str, age: timedelta, content: str = "{}", now: datetime = NOW) -> Path:
    reports.mkdir(parents=True, exist_ok=True)
    path = reports / name
    path.write_text(content)
    written = (now - age).timestamp()
    os.utime(path, (written, written))
    return path


def test_files_older_than_the_class_are_removed_and_newer_ones_kept(tmp_path: Path, trail: AuditLog) -> None:
    reports = tmp_path / "reports"
    old = _report(reports, "capacity-2026-08.pdf", timedelta(days=91))
    older = _report(reports, "carbon-2026-07.json", timedelta(days=120))
    recent = _report(reports, "availability-2026-11.csv", timedelta(days=89))

    assert folder.prune(reports, timedelta(days=90), NOW) == [older, old]
    assert sorted(path.name for path in reports.iterdir()) == [recent.name]


def test_each_removal_is_recorded_with_the_digest_of_what_was_removed(tmp_path: Path, trail: AuditLog) -> None:
    _report(tmp_path / "reports", "carbon-2026-07.json", timedelta(days=120), content='{"grams": 12.5}')

    folder.prune(tmp_path / "reports", timedelta(days=90), NOW)

    assert [(r.action, r.subject, r.before) for r in trail.records()] == [
        ("report.prune", "carbon-2026-07.json", digest_of('{"grams": 12.5}'))
    ]


def test_folders_and_links_in_the_folder_are_left_alone(tmp_path: Path, trail: AuditLog) -> None:
    reports = tmp_path / "reports"
    outside = _report(tmp_path / "elsewhere", "kept.json", timedelta(days=365))
    (reports / "2025").mkdir(parents=True)
    (reports / "link.json").symlink_to(outside)

    assert folder.prune(reports, timedelta(days=90), NOW) == []
    assert outside.exists()
    assert list(trail.records()) == []


def test_a_file_that_cannot_be_read_stops_no_other(
    tmp_path: Path, trail: AuditLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    reports = tmp_path / "reports"
    stuck = _report(reports, "a-stuck.json", timedelta(days=200))
    other = _report(reports, "b-other.json", timedelta(days=100))
    read_bytes = Path.read_bytes

    def failing_for_stuck(path: Path) -> bytes:
        if path == stuck:
            raise PermissionError(13, "Permission denied", str(path))
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", failing_for_stuck)

    assert folder.prune(reports, timedelta(days=90), NOW) == [other]
    assert stuck.exists()
    assert [r.subject for r in trail.records()] == ["b-other.json"]


def test_a_missing_folder_has_nothing_to_remove(tmp_path: Path) -> None:
    assert folder.prune(tmp_path / "reports", timedelta(days=90), NOW) == []


def test_the_stack_prunes_its_state_folder_with_the_checkouts_reports_class(tmp_path: Path, trail: AuditLog) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "versions.env").write_text((REPO / "versions.env").read_text())
    (checkout / "retention.yaml").write_text("reports: 7d\n")
    stack = Stack(checkout, tmp_path / "state")
    reports, now = tmp_path / "state" / folder.FOLDER, datetime.now(UTC)
    week_old = _report(reports, "week-old.json", timedelta(days=8), now=now)
    fresh = _report(reports, "fresh.json", timedelta(days=6), now=now)

    assert stack.prune_reports() == [week_old]
    assert fresh.exists()
