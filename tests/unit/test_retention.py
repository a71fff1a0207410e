"""retention.yaml: one file of periods, every store's flags derived from it, refused where a store
cannot keep it, and each change recorded in the audit trail."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from tta_otel.audit_log import AuditLog, digest_of
from tta_otel.config.loader import ConfigError
from tta_otel.ops.alerts.service import DEFAULT_RETENTION as ALERT_SERVICE_DEFAULT
from tta_otel.ops.archive import ARCHIVE_FILE, MANIFEST, Manifest, Section, list_archives, prune
from tta_otel.ops.stack import retention
from tta_otel.ops.stack.retention import DEFAULT_RETENTION, Retention
from tta_otel.ops.stack.runner import Stack, StackError, table_entry
from tta_otel.ops.stack.validation import kind_of
from tta_otel.semconv import TTA_LOG_RETENTION_CLASS

REPO = Path(__file__).resolve().parents[2]


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "retention.yaml"
    path.write_text(text)
    return path


def _problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        retention.parse(_file(tmp_path, text))
    return str(caught.value).splitlines()


def _native_arguments(name: str, periods: Retention, tmp_path: Path) -> list[str]:
    service = table_entry(name)
    return service.arguments(service.placement(REPO, tmp_path, tmp_path / "secrets", retention=periods))


# --- the defaults are today's periods -----------------------------------------------------------


def test_without_a_file_every_store_keeps_what_it_kept_before(tmp_path: Path) -> None:
    assert retention.parse(tmp_path / "missing.yaml") == DEFAULT_RETENTION
    assert "--storage.tsdb.retention.time=15d" in _native_arguments("prometheus", DEFAULT_RETENTION, tmp_path)
    assert "--storage.tsdb.retention.size=10GB" in _native_arguments("prometheus", DEFAULT_RETENTION, tmp_path)
    assert "--data.retention=120h" in _native_arguments("alertmanager", DEFAULT_RETENTION, tmp_path)
    assert "-retentionPeriod=30d" in _native_arguments("victorialogs", DEFAULT_RETENTION, tmp_path)
    assert "-retentionPeriod=365d" in _native_arguments("victoriametrics", DEFAULT_RETENTION, tmp_path)
    assert table_entry("jaeger").retention_environment(DEFAULT_RETENTION) == {"TTA_JAEGER_RETENTION": "336h"}
    assert DEFAULT_RETENTION.alerts.records == ALERT_SERVICE_DEFAULT


def test_the_committed_file_is_valid_and_the_compose_files_keep_it() -> None:
    committed = retention.of_checkout(REPO)
    for name in retention.COMPOSE_FILES:
        text = (REPO / name).read_text()
        assert retention.render(name, text, committed) == text, (
            f"{name} keeps another retention than retention.yaml: run `tta-otel stack retention`"
        )
    assert retention.compose_drift(REPO / retention.RETENTION_FILE) == []


# --- every store's flags come from the file ------------------------------------------------------


def test_each_native_store_is_started_with_the_files_periods(tmp_path: Path) -> None:
    periods = retention.parse(
        _file(
            tmp_path,
            "compose: false\n"
            "metrics: {raw: 2w, raw_size: 50GB, long_term: 400d}\n"
            "logs: {debug: 3d, info: 14d, warn: 90d}\n"
            "traces: 7d\n"
            "alerts: {silences: 2d}\n",
        )
    )

    assert "--storage.tsdb.retention.time=14d" in _native_arguments("prometheus", periods, tmp_path)
    assert "--storage.tsdb.retention.size=50GB" in _native_arguments("prometheus", periods, tmp_path)
    assert "--data.retention=48h" in _native_arguments("alertmanager", periods, tmp_path)
    assert "-retentionPeriod=90d" in _native_arguments("victorialogs", periods, tmp_path)
    assert "-retentionPeriod=400d" in _native_arguments("victoriametrics", periods, tmp_path)
    assert table_entry("jaeger").retention_environment(periods) == {"TTA_JAEGER_RETENTION": "168h"}


def test_a_stack_refuses_a_bad_file_of_its_checkout_naming_the_key_and_the_reason(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "versions.env").write_text((REPO / "versions.env").read_text())
    (checkout / "retention.yaml").write_text("traces: 14 days\n")

    with pytest.raises(StackError, match=r"retention.yaml: traces: a period is a whole number"):
        _ = Stack(checkout, tmp_path / "state").retention


def test_the_compose_generator_writes_each_period_into_its_line(tmp_path: Path) -> None:
    periods = Retention.model_validate(
        {
            "metrics": {"raw": "30d", "raw_size": "20GB", "long_term": "2y"},
            "logs": {"debug": "3d", "info": "14d", "warn": "60d"},
        }
    ).model_copy(update={"traces": timedelta(days=21)})
    for name in retention.COMPOSE_FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text((REPO / name).read_text())

    assert retention.write_compose_files(tmp_path, periods) == list(retention.COMPOSE_FILES)
    assert retention.write_compose_files(tmp_path, periods) == []

    compose = (tmp_path / "docker-compose.yml").read_text()
    assert "- --storage.tsdb.retention.time=30d\n" in compose
    assert "- --storage.tsdb.retention.size=20GB\n" in compose
    assert "- --retention=30d\n" in compose  # the alert service's records
    assert "- -retentionPeriod=730d\n" in compose  # VictoriaMetrics: metrics.long_term
    loki = (tmp_path / "loki/loki.yaml").read_text()
    assert "  retention_period: 1440h\n" in loki
    assert """    - {selector: '{tta_log_retention_class="debug"}', priority: 1, period: 72h}\n""" in loki
    assert """    - {selector: '{tta_log_retention_class="info"}', priority: 1, period: 336h}\n""" in loki
    assert "    block_retention: 504h\n" in (tmp_path / "tempo/tempo.yaml").read_text()
    assert "    block_retention: 504h\n" in (tmp_path / "tempo/tempo-scalable.yaml").read_text()
    assert "    - -retentionPeriod=730d\n" in (tmp_path / "prometheus/docker-compose.long-term-cluster.yml").read_text()


# --- what a store cannot keep is refused, naming the file, the key and the reason ----------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("traces: 14 days\n", "retention.yaml: traces: a period is a whole number and one unit"),
        ("traces: 14\n", "retention.yaml: traces: a period is a whole number and one unit of s, m, h, d, w or y"),
        ("metrics: {raw_size: 10 gigabytes}\n", "retention.yaml: metrics.raw_size: a size is a whole number"),
        ("metrics: {raw: 30m}\n", "retention.yaml: metrics.raw: Prometheus keeps at least one 2h block"),
        (
            "metrics: {long_term: 12h}\n",
            "retention.yaml: metrics.long_term: whole hours of at least 1d (got 12h): VictoriaMetrics's",
        ),
        ("metrics: {long_term: 1570m}\n", "retention.yaml: metrics.long_term: whole hours of at least 1d"),
        (
            "metrics: {raw: 30d, long_term: 7d}\n",
            "retention.yaml: metrics.long_term: the long-term tier keeps at least as long as Prometheus",
        ),
        ("logs: {rare: 3d}\n", "retention.yaml: logs.rare: Extra inputs are not permitted"),
        ("[15d]\n", "retention.yaml: (document): must be a mapping"),
        (
            "compose: false\nlogs: {debug: 36h, info: 2d, warn: 2d}\n",
            "retention.yaml: logs.debug: log periods are whole days of at least 1d (got 36h): VictoriaLogs drops",
        ),
        (
            "compose: false\nlogs: {debug: 14d, info: 3d, warn: 90d}\n",
            "retention.yaml: logs: a less severe class is never kept longer than a more severe one",
        ),
    ],
)
def test_a_period_a_store_cannot_keep_is_refused_with_its_key_and_reason(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert any(problem.startswith(f"{tmp_path}/{expected}") for problem in _problems(tmp_path, text)), _problems(
        tmp_path, text
    )


def test_compose_files_are_left_alone_when_compose_is_off(tmp_path: Path) -> None:
    periods = retention.parse(_file(tmp_path, "compose: false\nlogs: {debug: 3d, info: 14d, warn: 90d}\n"))

    assert (periods.logs.debug, periods.logs.info, periods.logs.warn) == (
        timedelta(days=3),
        timedelta(days=14),
        timedelta(days=90),
    )
    with pytest.raises(ValueError, match="compose: false"):
        retention.write_compose_files(tmp_path, periods)


def test_loki_selects_the_shorter_classes_by_the_label_the_compose_collector_sets() -> None:
    collector = yaml.safe_load((REPO / "collector-config" / "compose.yaml").read_text())
    loki = yaml.safe_load((REPO / "loki" / "loki.yaml").read_text())["limits_config"]
    labels = loki["otlp_config"]["resource_attributes"]["attributes_config"][0]["attributes"]
    statements = collector["processors"]["transform/log_retention_class"]["log_statements"][0]["statements"]

    assert collector["processors"]["groupbyattrs/log_retention_class"]["keys"] == [TTA_LOG_RETENTION_CLASS]
    assert [statement.split(", ")[1].split(")")[0] for statement in statements] == ['"info"', '"debug"', '"warn"']
    assert all(statement.startswith(f'set(attributes["{TTA_LOG_RETENTION_CLASS}"]') for statement in statements)
    assert TTA_LOG_RETENTION_CLASS in labels
    assert [rule["selector"] for rule in loki["retention_stream"]] == [
        '{tta_log_retention_class="debug"}',
        '{tta_log_retention_class="info"}',
    ]


def test_validate_knows_the_file_and_reports_compose_files_that_drifted(tmp_path: Path) -> None:
    assert kind_of(REPO / "retention.yaml") == "retention"
    for name in retention.COMPOSE_FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text((REPO / name).read_text())

    _file(tmp_path, "traces: 7d\n")

    assert retention.compose_drift(tmp_path / "retention.yaml") == [
        "tempo/tempo.yaml keeps another retention: run `tta-otel stack retention`",
        "tempo/tempo-scalable.yaml keeps another retention: run `tta-otel stack retention`",
    ]


# --- the shorter log classes ----------------------------------------------------------------------


def test_the_shorter_log_classes_are_deleted_by_severity_number_past_their_period() -> None:
    periods = Retention.model_validate({"logs": {"debug": "3d", "info": "14d", "warn": "90d"}})
    now = datetime(2026, 7, 20, 12, 0, tzinfo=UTC)

    assert retention.log_class_filters(periods, now) == [
        "_time:<2026-07-17T12:00:00Z severity_number:>0 severity_number:<9",  # TRACE and DEBUG
        "_time:<2026-07-06T12:00:00Z severity_number:<13",  # INFO, unset, and anything less severe
    ]
    assert retention.log_class_filters(DEFAULT_RETENTION, now) == []  # equal classes: -retentionPeriod alone


def test_pruning_starts_one_delete_task_per_shorter_class() -> None:
    periods = Retention.model_validate({"logs": {"debug": "3d", "info": "3d", "warn": "90d"}})
    asked: list[str] = []

    def delete(logsql: str) -> str:
        asked.append(logsql)
        return f"task-{len(asked)}"

    assert retention.prune_log_classes(delete, periods) == ["task-1", "task-2"]


# --- the audit trail --------------------------------------------------------------------------------


def test_a_changed_retention_is_recorded_once_with_digests_of_before_and_after(tmp_path: Path) -> None:
    trail = AuditLog(tmp_path / "audit.jsonl")
    shorter = DEFAULT_RETENTION.model_copy(update={"traces": timedelta(days=7)})

    assert retention.record_change(DEFAULT_RETENTION, "retention.yaml", trail)
    assert not retention.record_change(DEFAULT_RETENTION, "retention.yaml", trail)  # unchanged: no record
    assert retention.record_change(shorter, "retention.yaml", trail)

    first, second = list(trail.records())
    assert (first.action, first.subject, first.before) == ("retention.change", "retention.yaml", None)
    assert first.after == digest_of(DEFAULT_RETENTION.canonical())
    assert (second.before, second.after) == (first.after, digest_of(shorter.canonical()))
    assert trail.verify() == []


# --- long-term metrics: the encrypted archives -------------------------------------------------------


def _archive(archives: Path, archive_id: str, created: datetime) -> None:
    folder = archives / archive_id
    folder.mkdir(parents=True)
    (folder / ARCHIVE_FILE).write_bytes(b"sealed")
    section = Section("prometheus", ARCHIVE_FILE, None, None, 0, 0, 6, "ab" * 32)
    manifest = Manifest(archive_id, created.isoformat(), (section,))
    (folder / MANIFEST).write_text(json.dumps(asdict(manifest)))


def test_archives_older_than_metrics_long_term_are_removed_and_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TTA_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    now = datetime(2026, 7, 20, tzinfo=UTC)
    _archive(tmp_path / "archives", "old", now - timedelta(days=400))
    _archive(tmp_path / "archives", "new", now - timedelta(days=10))

    removed = prune(tmp_path / "archives", DEFAULT_RETENTION.metrics.long_term, now)

    assert [manifest.id for manifest in removed] == ["old"]
    assert [manifest.id for manifest in list_archives(tmp_path / "archives")] == ["new"]
    assert [(r.action, r.subject) for r in AuditLog(tmp_path / "audit.jsonl").records()] == [("archive.prune", "old")]
