"""Error groups, as an error tracker lists them, from the ``tta.errors`` counter in Prometheus.

Each group is one fingerprint: how often it happened in the period and the period before,
when it was first and last seen, whether it is critical, and one trace id to start from (an
exemplar of the counter). ``with_log_examples`` adds each group's newest log line and its
trace id from the log store (``tta_otel.ops.stores.LogStore``). Marking a group resolved is
kept in a small state file and records the time from first seen to resolution as the
``tta.error.time_to_resolve`` histogram, so the dashboards can show how long errors stay open;
an error seen again after its resolution is a regression.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tta_otel import semconv
from tta_otel.environment_variables import state_dir
from tta_otel.ops.reports.prometheus import PrometheusClient, environment_matcher
from tta_otel.ops.stores.log_store import LogExample, LogStore
from tta_otel.semconv import prometheus_label

_ERRORS = semconv.TTA_ERRORS.prometheus
_FINGERPRINT = prometheus_label(semconv.TTA_ERROR_FINGERPRINT)
_CRITICAL = prometheus_label(semconv.TTA_ERROR_CRITICAL)
_ERROR_TYPE = prometheus_label(semconv.ERROR_TYPE)
_COMPONENT = prometheus_label(semconv.TTA_COMPONENT)

_SERIES_BEGAN_BEFORE_S = 300.0
"""A series whose first sample comes this long after the window began was not there before it
(services export every few seconds; 300 s is Prometheus's lookback)."""


@dataclass(frozen=True)
class ErrorGroup:
    fingerprint: str
    error_type: str
    component: str
    critical: bool
    count: int
    previous_count: int
    first_seen: str | None
    last_seen: str | None
    example_trace_id: str | None
    resolved_at: str | None
    regressed: bool
    example: LogExample | None = None

    @property
    def trend(self) -> float | None:
        return self.count / self.previous_count - 1 if self.previous_count else None


def state_file() -> Path:
    base = state_dir()
    return Path(base) / "resolved-errors.json"


def load_resolved(path: Path) -> dict[str, str]:
    """Fingerprint -> ISO time it was marked resolved."""
    return dict(json.loads(path.read_text())) if path.exists() else {}


def _iso(seconds: float | None) -> str | None:
    return datetime.fromtimestamp(seconds, UTC).isoformat() if seconds is not None else None


@dataclass
class _Tally:
    """One group's errors, from the rises of its counters' raw samples."""

    labels: dict[str, str]
    count: float = 0.0
    previous_count: float = 0.0
    first_seen: float | None = None
    last_seen: float | None = None

    def add_series(self, samples: list[tuple[float, float]], period_start: float, window_start: float) -> None:
        """Each rise of a counter is that many errors at that time; a drop is a restart from zero.

        Counting rises keeps the counts exact, where ``increase()`` would extrapolate them. The
        first sample is the baseline when it is the zero Prometheus keeps at a counter's start
        (created-timestamp-zero-ingestion) or when the series was already there as the window
        began; a series that began inside the window without that zero (its first export fell
        in the same millisecond as its start) counts from zero.
        """
        if samples and samples[0][1] > 0 and samples[0][0] - window_start > _SERIES_BEGAN_BEFORE_S:
            samples = [(samples[0][0], 0.0), *samples]
        for (_, before), (when, value) in itertools.pairwise(samples):
            rise = value - before if value >= before else value
            if rise <= 0:
                continue
            if when < period_start:
                self.previous_count += rise
                continue
            self.count += rise
            self.first_seen = when if self.first_seen is None else min(self.first_seen, when)
            self.last_seen = when if self.last_seen is None else max(self.last_seen, when)


def _tallies(client: PrometheusClient, period: timedelta, end: datetime, environment: str | None) -> dict[str, _Tally]:
    selector = f"{_ERRORS}{{{environment_matcher(environment)}}}" if environment else _ERRORS
    period_start = (end - period).timestamp()
    window_start = (end - 2 * period).timestamp()
    tallies: dict[str, _Tally] = {}
    for labels, samples in client.raw_samples(selector, int(period.total_seconds()) * 2, end):
        fingerprint = labels.get(_FINGERPRINT, "")
        tally = tallies.setdefault(fingerprint, _Tally(labels))
        tally.add_series(samples, period_start, window_start)
    return tallies


def _example_trace_ids(
    client: PrometheusClient, period: timedelta, end: datetime, environment: str | None
) -> dict[str, str]:
    selector = f"{_ERRORS}{{{environment_matcher(environment)}}}" if environment else _ERRORS
    found: dict[str, str] = {}
    for series in client.exemplars(selector, end - period, end):
        fingerprint = series["seriesLabels"].get(_FINGERPRINT, "")
        for exemplar in series.get("exemplars", []):
            if trace_id := exemplar.get("labels", {}).get("trace_id"):
                found[fingerprint] = trace_id
    return found


def list_error_groups(
    client: PrometheusClient,
    period: timedelta,
    end: datetime | None = None,
    environment: str | None = None,
    resolved: dict[str, str] | None = None,
) -> list[ErrorGroup]:
    """Every group seen in the period, most frequent first."""
    end = end or datetime.now(UTC)
    traces = _example_trace_ids(client, period, end, environment)
    resolved = resolved or {}
    groups = []
    for fingerprint, tally in _tallies(client, period, end, environment).items():
        resolved_at = resolved.get(fingerprint)
        groups.append(
            ErrorGroup(
                fingerprint=fingerprint,
                error_type=tally.labels.get(_ERROR_TYPE, ""),
                component=tally.labels.get(_COMPONENT, ""),
                critical=tally.labels.get(_CRITICAL) == "true",
                count=round(tally.count),
                previous_count=round(tally.previous_count),
                first_seen=_iso(tally.first_seen),
                last_seen=_iso(tally.last_seen),
                example_trace_id=traces.get(fingerprint),
                resolved_at=resolved_at,
                regressed=bool(
                    resolved_at
                    and tally.last_seen
                    and datetime.fromtimestamp(tally.last_seen, UTC) > datetime.fromisoformat(resolved_at)
                ),
            )
        )
    return sorted((g for g in groups if g.count > 0), key=lambda g: (-g.count, g.fingerprint))


def with_log_examples(
    groups: list[ErrorGroup],
    store: LogStore,
    period: timedelta,
    end: datetime,
    environment: str | None = None,
) -> list[ErrorGroup]:
    """``groups`` with each one's newest log line in the period, from ``store``.

    The first ``StoreError`` ends it: a store that cannot answer one group would otherwise be
    asked again for every group, each time until its timeout.
    """
    return [
        replace(group, example=store.example(group.fingerprint, group.component, end - period, end, environment))
        for group in groups
    ]
