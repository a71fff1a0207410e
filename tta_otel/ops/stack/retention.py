"""Retention as code: how long each class of data is kept, in one file, and every store's flags from it.

``retention.yaml`` at the checkout's root (beside ``versions.env``) names one period per class of
data; nothing else in the repository writes a retention. The stack's launch table
(``runner.SERVICES``) builds each native store's flags from it, and ``tta-otel stack retention``
regenerates the compose side (the retention lines of ``docker-compose.yml``, ``loki/loki.yaml``,
``tempo/tempo.yaml``, ``tempo/tempo-scalable.yaml`` and the long-term cluster's override;
``tests/unit/test_retention.py`` fails when a committed file differs).

| class | native store | docker compose |
| --- | --- | --- |
| ``metrics.raw``, ``metrics.raw_size`` | Prometheus ``--storage.tsdb.retention.time``/``.size`` | the same |
| ``metrics.long_term`` | VictoriaMetrics ``-retentionPeriod``; archives (``archive prune``) | the same |
| ``logs.warn`` (WARN and above) | VictoriaLogs ``-retentionPeriod`` | Loki ``retention_period`` |
| ``logs.info``, ``logs.debug`` | VictoriaLogs delete tasks (``prune_log_classes``) | Loki ``retention_stream`` |
| ``traces`` | Jaeger v2 Badger ``ttl.spans`` | Tempo ``block_retention`` |
| ``alerts.records`` | ``tta-otel alerts serve --retention`` (default) | its ``--retention`` |
| ``alerts.silences`` | Alertmanager ``--data.retention`` | the same |
| ``reports`` | files in ``state/reports/`` (``tta_otel.ops.reports.folder.prune``) | - |

A period the stores cannot keep is refused with the file, the key and the reason
(``store_problems``; ``tta-otel validate`` runs it): log periods are whole days (VictoriaLogs drops
whole days, Loki's retention is a multiple of its 24 h index period), a less severe class is never
kept longer than a more severe one, and the long-term tier keeps whole hours of at least a day
(VictoriaMetrics's smallest retention) and no less than Prometheus. Under docker compose the
collector puts each record's class into its resource (``tta.log.retention_class``), which Loki
makes the stream label that its ``retention_stream`` rules select.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, ValidationError

from tta_otel import audit_log
from tta_otel.config.loader import ConfigError, ConfigProblem
from tta_otel.semconv import TTA_LOG_RETENTION_CLASS, prometheus_label

RETENTION_FILE = "retention.yaml"
"""The file's name at the checkout's root."""
AUDIT_ACTION = "retention.change"

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400, "y": 365 * 86_400}
_PERIOD = re.compile(r"^([1-9][0-9]*)(s|m|h|d|w|y)$")
_SIZE = re.compile(r"^[1-9][0-9]*(B|KB|MB|GB|TB|PB)$")
_DAY = timedelta(days=1)


def parse_period(value: object) -> timedelta:
    """``90m``, ``12h``, ``30d``, ``2w`` or ``1y`` (365 days): one number and one unit, as Prometheus writes them."""
    if isinstance(value, timedelta):
        return value
    match = _PERIOD.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError("a period is a whole number and one unit of s, m, h, d, w or y, such as 30d or 12h")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def days_or_hours(period: timedelta) -> str:
    """``30d`` for whole days, else hours, minutes or seconds (Prometheus, VictoriaLogs, the alerts service)."""
    seconds = int(period.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


def go_duration(period: timedelta) -> str:
    """``336h``: Go's ``time.Duration`` has no days (Alertmanager, Jaeger, Tempo, Loki)."""
    seconds = int(period.total_seconds())
    for unit in ("h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


def _size(value: object) -> str:
    if not isinstance(value, str) or not _SIZE.match(value):
        raise ValueError("a size is a whole number and one unit of B, KB, MB, GB, TB or PB, such as 10GB")
    return value


Period = Annotated[timedelta, BeforeValidator(parse_period), PlainSerializer(days_or_hours, return_type=str)]
Size = Annotated[str, BeforeValidator(_size)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricsRetention(_Section):
    """Prometheus's samples; the long-term tier (VictoriaMetrics: the 5-minute series of
    prometheus/rules/long-term.yml) and the encrypted archives (``tta-otel archive``)."""

    raw: Period = Field(default=timedelta(days=15), description="samples in Prometheus's TSDB")
    raw_size: Size | None = Field(default="10GB", description="the TSDB's blocks past this size go first; null: none")
    long_term: Period = Field(
        default=timedelta(days=365),
        description="VictoriaMetrics's -retentionPeriod; archives older than this are pruned too",
    )


class LogsRetention(_Section):
    """Log records by severity: ``debug`` TRACE and DEBUG, ``info`` INFO and unset, ``warn`` WARN and above."""

    debug: Period = timedelta(days=30)
    info: Period = timedelta(days=30)
    warn: Period = timedelta(days=30)


class AlertsRetention(_Section):
    """What the alerting keeps about alerts."""

    records: Period = Field(default=timedelta(days=30), description="the alert service's records with no event since")
    silences: Period = Field(default=timedelta(days=5), description="Alertmanager's silences and notification log")


class Retention(_Section):
    """The whole ``retention.yaml``."""

    compose: bool = Field(
        default=True, description="docker-compose.yml's stores keep this retention too (`stack retention` writes it)"
    )
    metrics: MetricsRetention = MetricsRetention()
    logs: LogsRetention = LogsRetention()
    traces: Period = Field(default=timedelta(days=14), description="spans in Jaeger (native) and Tempo (compose)")
    alerts: AlertsRetention = AlertsRetention()
    reports: Period = Field(
        default=timedelta(days=90), description="exported report files in the stack's state/reports/ folder"
    )

    def canonical(self) -> str:
        """One JSON text per retention: what the audit trail's digests are taken of."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


DEFAULT_RETENTION = Retention()
"""Today's periods: what a checkout without retention.yaml keeps."""


def store_problems(retention: Retention) -> list[ConfigProblem]:
    """What the stores cannot keep as written, each with its key and the reason."""
    problems = []
    logs = retention.logs
    for name in ("debug", "info", "warn"):
        period = getattr(logs, name)
        if period < _DAY or period % _DAY:
            problems.append(
                ConfigProblem(
                    f"logs.{name}",
                    f"log periods are whole days of at least 1d (got {days_or_hours(period)}): VictoriaLogs drops "
                    "whole days, and Loki's retention is a multiple of its 24h index period",
                )
            )
    if not logs.debug <= logs.info <= logs.warn:
        problems.append(
            ConfigProblem(
                "logs",
                "a less severe class is never kept longer than a more severe one: debug <= info <= warn "
                f"(got {days_or_hours(logs.debug)}, {days_or_hours(logs.info)}, {days_or_hours(logs.warn)})",
            )
        )
    if retention.metrics.raw < timedelta(hours=2):
        problems.append(ConfigProblem("metrics.raw", "Prometheus keeps at least one 2h block: at least 2h"))
    long_term = retention.metrics.long_term
    if long_term < _DAY or long_term % timedelta(hours=1):
        problems.append(
            ConfigProblem(
                "metrics.long_term",
                f"whole hours of at least 1d (got {days_or_hours(long_term)}): VictoriaMetrics's -retentionPeriod "
                "is at least a day and counts no minutes",
            )
        )
    elif long_term < retention.metrics.raw:
        problems.append(
            ConfigProblem(
                "metrics.long_term",
                f"the long-term tier keeps at least as long as Prometheus (metrics.raw: "
                f"{days_or_hours(retention.metrics.raw)}, got {days_or_hours(long_term)})",
            )
        )
    return problems


def _validation_problems(error: ValidationError) -> list[ConfigProblem]:
    problems = []
    for detail in error.errors():
        key = ".".join(str(part) for part in detail["loc"]) or "(document)"
        reason = detail["msg"].removeprefix("Value error, ")
        if "input" in detail and not isinstance(detail["input"], dict) and detail["type"] != "missing":
            reason = f"{reason} (got {detail['input']!r})"
        problems.append(ConfigProblem(key, reason))
    return problems


def parse(path: Path) -> Retention:
    """``path`` as a Retention the stores can keep; ConfigError names the file, the key and the reason.
    A missing file is the defaults (today's periods)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Retention()
    except OSError as exc:
        raise ConfigError(path, [ConfigProblem("(file)", f"cannot read: {exc.strerror}")]) from exc
    try:
        document: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(path, [ConfigProblem("(document)", f"invalid YAML: {exc}")]) from exc
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError(path, [ConfigProblem("(document)", "must be a mapping of classes to periods")])
    try:
        retention = Retention.model_validate(document)
    except ValidationError as exc:
        raise ConfigError(path, _validation_problems(exc)) from exc
    problems = store_problems(retention)
    if problems:
        raise ConfigError(path, problems)
    return retention


def of_checkout(repository: Path) -> Retention:
    """The checkout's ``retention.yaml``."""
    return parse(repository / RETENTION_FILE)


# --- what the stores are told ------------------------------------------------------------------


def prometheus_flags(retention: Retention) -> list[str]:
    flags = [f"--storage.tsdb.retention.time={days_or_hours(retention.metrics.raw)}"]
    if retention.metrics.raw_size is not None:
        flags.append(f"--storage.tsdb.retention.size={retention.metrics.raw_size}")
    return flags


def alertmanager_flags(retention: Retention) -> list[str]:
    return [f"--data.retention={go_duration(retention.alerts.silences)}"]


def victorialogs_flags(retention: Retention) -> list[str]:
    return [f"-retentionPeriod={days_or_hours(retention.logs.warn)}"]


def victoriametrics_flags(retention: Retention) -> list[str]:
    """``-retentionPeriod`` in days or hours: without a unit VictoriaMetrics would read months."""
    return [f"-retentionPeriod={days_or_hours(retention.metrics.long_term)}"]


def jaeger_environment(retention: Retention) -> dict[str, str]:
    """jaeger/jaeger.yaml reads Badger's ``ttl.spans`` from ``TTA_JAEGER_RETENTION``."""
    return {"TTA_JAEGER_RETENTION": go_duration(retention.traces)}


# Severity numbers (OTLP): 1-4 TRACE, 5-8 DEBUG, 9-12 INFO, 13-16 WARN, 17+ ERROR and FATAL; 0 unset.
_BELOW_INFO = 9
_BELOW_WARN = 13


def log_class_filters(retention: Retention, now: datetime) -> list[str]:
    """The LogsQL of the records the shorter log classes no longer keep (VictoriaLogs's own retention
    keeps ``logs.warn``). INFO's filter also takes DEBUG: its period is never longer (``store_problems``)."""
    filters = []
    for period, selector in (
        (retention.logs.debug, f"severity_number:>0 severity_number:<{_BELOW_INFO}"),
        (retention.logs.info, f"severity_number:<{_BELOW_WARN}"),
    ):
        if period < retention.logs.warn:
            cutoff = (now - period).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            filters.append(f"_time:<{cutoff} {selector}")
    return filters


def prune_log_classes(delete: Callable[[str], str], retention: Retention, now: datetime | None = None) -> list[str]:
    """Start VictoriaLogs's delete tasks for the records past their class's period; their task ids."""
    return [delete(logsql) for logsql in log_class_filters(retention, now or datetime.now(UTC))]


# --- the compose side: the retention lines of the committed files --------------------------------


@dataclass(frozen=True)
class _Line:
    """One line of a committed file that holds a retention: ``pattern``'s group 1 is the value."""

    pattern: str
    value: Callable[[Retention], str]


def _loki_stream(log_class: str) -> str:
    """Loki's ``retention_stream`` rule for one shorter log class, selected by the stream label that
    the compose collector sets from the record's severity (collector-config/compose.yaml)."""
    label = prometheus_label(TTA_LOG_RETENTION_CLASS)
    return rf"""^\s+- \{{selector: '\{{{label}="{log_class}"\}}', priority: 1, period: (\S+)\}}$"""


COMPOSE_FILES: dict[str, tuple[_Line, ...]] = {
    "docker-compose.yml": (
        _Line(r"^\s+- --storage\.tsdb\.retention\.time=(\S+)$", lambda r: days_or_hours(r.metrics.raw)),
        _Line(r"^\s+- --storage\.tsdb\.retention\.size=(\S+)$", lambda r: r.metrics.raw_size or ""),
        _Line(r"^\s+- --data\.retention=(\S+)$", lambda r: go_duration(r.alerts.silences)),
        _Line(r"^\s+- --retention=(\S+)$", lambda r: days_or_hours(r.alerts.records)),
        _Line(r"^\s+- -retentionPeriod=(\S+)$", lambda r: days_or_hours(r.metrics.long_term)),
    ),
    "loki/loki.yaml": (
        _Line(r"^\s+retention_period: (\S+)$", lambda r: go_duration(r.logs.warn)),
        _Line(_loki_stream("debug"), lambda r: go_duration(r.logs.debug)),
        _Line(_loki_stream("info"), lambda r: go_duration(r.logs.info)),
    ),
    "tempo/tempo.yaml": (_Line(r"^\s+block_retention: (\S+)$", lambda r: go_duration(r.traces)),),
    "tempo/tempo-scalable.yaml": (_Line(r"^\s+block_retention: (\S+)$", lambda r: go_duration(r.traces)),),
    "prometheus/docker-compose.long-term-cluster.yml": (
        _Line(r"^\s+- -retentionPeriod=(\S+)$", lambda r: days_or_hours(r.metrics.long_term)),
    ),
}


def render(name: str, text: str, retention: Retention) -> str:
    """``text`` of the committed file ``name`` with its retention lines set from ``retention``."""
    for line in COMPOSE_FILES[name]:
        matches = list(re.finditer(line.pattern, text, flags=re.MULTILINE))
        if len(matches) != 1:
            raise ValueError(f"{name}: expected one line matching {line.pattern!r}, found {len(matches)}")
        match = matches[0]
        text = text[: match.start(1)] + line.value(retention) + text[match.end(1) :]
    return text


def write_compose_files(repository: Path, retention: Retention) -> list[str]:
    """Regenerate the compose side from ``retention``; the names of the files that changed."""
    if not retention.compose:
        raise ValueError(
            f"{RETENTION_FILE} says compose: false, which leaves the compose files alone: set compose: true"
        )
    if retention.metrics.raw_size is None:
        raise ValueError("metrics.raw_size: null has no line in docker-compose.yml; give a size")
    changed = []
    for name in COMPOSE_FILES:
        path = repository / name
        before = path.read_text(encoding="utf-8")
        after = render(name, before, retention)
        if after != before:
            path.write_text(after, encoding="utf-8")
            changed.append(name)
    return changed


def compose_drift(path: Path) -> list[str]:
    """The compose files beside ``path`` (a checkout's retention.yaml) whose retention lines differ
    from it; ConfigError when the file itself cannot be kept. Nothing to compare under compose: false."""
    retention = parse(path)
    if not retention.compose:
        return []
    drift = []
    for name in COMPOSE_FILES:
        committed = path.parent / name
        if committed.exists() and render(name, committed.read_text(encoding="utf-8"), retention) != committed.read_text(
            encoding="utf-8"
        ):
            drift.append(f"{name} keeps another retention: run `tta-otel stack retention`")
    return drift


# --- the audit trail -----------------------------------------------------------------------------


def last_recorded(log: audit_log.AuditLog) -> str | None:
    """The digest of the retention the trail last recorded (``None``: none yet)."""
    last = None
    for record in log.records():
        if record.action == AUDIT_ACTION:
            last = record.after
    return last


def record_change(retention: Retention, subject: str, log: audit_log.AuditLog | None = None) -> bool:
    """Append a ``retention.change`` record when ``retention`` differs from the last one recorded;
    returns whether it did. The record holds digests of the canonical form, never the file."""
    trail = log if log is not None else audit_log.AuditLog()
    after = audit_log.digest_of(retention.canonical())
    before = last_recorded(trail)
    if before == after:
        return False
    trail.append(AUDIT_ACTION, subject, before=before, after=after)
    return True


__all__ = [
    "AUDIT_ACTION",
    "COMPOSE_FILES",
    "DEFAULT_RETENTION",
    "RETENTION_FILE",
    "Retention",
    "alertmanager_flags",
    "compose_drift",
    "days_or_hours",
    "go_duration",
    "jaeger_environment",
    "last_recorded",
    "log_class_filters",
    "of_checkout",
    "parse",
    "parse_period",
    "prometheus_flags",
    "prune_log_classes",
    "record_change",
    "render",
    "store_problems",
    "victorialogs_flags",
    "victoriametrics_flags",
    "write_compose_files",
]
