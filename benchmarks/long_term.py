"""The long-term tier: bytes per sample, and a 30-day query for the overview dashboard (issue 15).

The same synthetic data goes into both stores: 30 days of the 5-minute series that
prometheus/rules/long-term.yml records for a demo of 3 components (requests by status code, the
16 latency buckets, errors) and 3 cohorts (sessions, completions, durations, interactions,
progress, 5 journey steps), with float values such as ``increase()`` gives. Prometheus gets them as
TSDB blocks (``promtool tsdb create-blocks-from openmetrics``, blocks up to 31 days, its largest)
and is started on them with a 60-day retention; VictoriaMetrics through its import API, then a
forced merge, as its background merges would do in time. Both are started from the launch table
on free ports, behind their credentials.

Measured: bytes per sample of each store (the blocks' chunks and index in Prometheus; every part
and index of VictoriaMetrics's data directory), and the time of the overview's queries over the
30 days from each (median and max of 7, VictoriaMetrics's response cache off): the availability per
component as one figure over 30 days (the Service level row), and the request rate per component
as a 30-day graph at a 1-hour step (a range query, what the dashboard draws). Target: under 1 s
from the long-term tier. Baseline in the same run: Prometheus answering the same queries on the
same samples.
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tta_otel.ops import secrets
from tta_otel.ops.reports.sources import LONG_TERM, long_term_series, period_increase
from tta_otel.ops.stack.components import components
from tta_otel.ops.stack.retention import Retention
from tta_otel.ops.stack.runner import running_component
from tta_otel.testing.long_term import Series, import_series
from tta_otel.testing.processes import free_port

REPO = Path(__file__).resolve().parents[1]
DAYS = 30
SAMPLES = DAYS * 288
ROUNDS = 7
COMPONENTS = ("player-api", "narrative-engine", "session-service")
COHORTS = ("spring", "summer", "autumn")
STEPS = ("intro", "first-choice", "crisis", "reflection", "ending")
BUCKETS = ("0", "0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1", "2.5", "5", "7.5", "10")
REQUESTS = "http_server_request_duration_seconds_count"
ENGAGEMENT = (
    "tta_engagement_sessions_started_total",
    "tta_engagement_sessions_completed_total",
    "tta_engagement_session_duration_seconds_count",
    "tta_engagement_session_duration_seconds_sum",
    "tta_engagement_session_interactions_count",
    "tta_engagement_session_interactions_sum",
    "tta_engagement_progress_count",
    "tta_engagement_progress_sum",
)


def _values(rng: random.Random, mean: float) -> tuple[float, ...]:
    """5-minute increases around ``mean`` as ``increase()`` writes them: whole counts extrapolated
    over a window a few seconds longer than the samples it saw (so, floats)."""
    return tuple(max(0, round(rng.gauss(mean, mean**0.5))) * 300 / rng.uniform(295, 300) for _ in range(SAMPLES))


def demo_series(start: datetime) -> list[Series]:
    rng = random.Random(15)
    found = []

    def add(metric: str, mean: float, **labels: str) -> None:
        base = {"deployment_environment_name": "production", "tta_repository": "tta.prod"}
        found.append(Series(long_term_series(metric), {**base, **labels}, start, _values(rng, mean)))

    for component in COMPONENTS:
        for code, mean in (("200", 3000.0), ("404", 30.0), ("500", 3.0)):
            add(REQUESTS, mean, tta_component=component, http_response_status_code=code)
        for index, le in enumerate((*BUCKETS, "+Inf")):
            add(
                "http_server_request_duration_seconds_bucket",
                3033 * min(1.0, 0.05 * 2**index),
                tta_component=component,
                le=le,
            )
        add("tta_errors_total", 5.0, tta_component=component)
    for cohort in COHORTS:
        for metric in ENGAGEMENT:
            add(metric, 40.0, tta_component="player-api", tta_cohort=cohort)
        for step in STEPS:
            add(
                "tta_engagement_journey_steps_total",
                30.0,
                tta_component="player-api",
                tta_cohort=cohort,
                tta_journey_step=step,
            )
    return found


def _size(path: Path, exclude: tuple[str, ...] = ()) -> int:
    return sum(
        file.stat().st_size
        for file in path.rglob("*")
        if file.is_file() and not set(exclude) & set(file.relative_to(path).parts)
    )


def _backfill(data: Path, series: list[Series]) -> None:
    openmetrics = data.parent / "long-term.om"
    with openmetrics.open("w") as out:
        for item in series:
            out.write(f"# TYPE {item.name} gauge\n")
            out.write("\n".join(item.openmetrics()) + "\n")
        out.write("# EOF\n")
    promtool = components(REPO)["prometheus"].binary("promtool")
    subprocess.run(
        [
            str(promtool),
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            "--max-block-duration=744h",
            str(openmetrics),
            str(data),
        ],
        check=True,
        capture_output=True,
    )
    openmetrics.unlink()


def auth(directory: secrets.SecretsDir, name: str) -> tuple[str, str]:
    user, _, password = directory.read(name).partition(":")
    return user, password


def _timed(client: httpx.Client, path: str, params: dict[str, str]) -> tuple[float, Any]:
    begin = time.perf_counter()
    response = client.get(path, params=params)
    elapsed = time.perf_counter() - begin
    response.raise_for_status()
    return elapsed, response.json()["data"]["result"]


def _queries(source: str, end: datetime) -> dict[str, tuple[str, dict[str, str]]]:
    window = f"{DAYS}d"
    good = period_increase(REQUESTS, 'http_response_status_code!~"5.."', window, source)
    total = period_increase(REQUESTS, "", window, source)
    hourly = period_increase(REQUESTS, "", "1h", source)
    start = end - timedelta(days=DAYS)
    return {
        "availability_30d_instant": (
            "/api/v1/query",
            {
                "query": f"sum by (tta_component) ({good}) / sum by (tta_component) ({total})",
                "time": f"{end.timestamp():.0f}",
            },
        ),
        "request_rate_30d_range_1h_step": (
            "/api/v1/query_range",
            {
                "query": f"sum by (tta_component) ({hourly}) / 3600",
                "start": f"{start.timestamp():.0f}",
                "end": f"{end.timestamp():.0f}",
                "step": "3600",
            },
        ),
    }


def _measure_queries(url: str, auth: tuple[str, str], end: datetime, extra: dict[str, str]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with httpx.Client(base_url=url, auth=auth, timeout=60) as client:
        for name, (path, params) in _queries(LONG_TERM, end).items():
            times, result = [], None
            for _ in range(ROUNDS):
                elapsed, result = _timed(client, path, {**params, **extra})
                times.append(elapsed)
            figures[name] = {
                "median_s": round(statistics.median(times), 4),
                "max_s": round(max(times), 4),
                "series": len(result or []),
            }
    return figures


@contextmanager
def stores(work: Path, directory: secrets.SecretsDir, series: list[Series]) -> Iterator[tuple[str, str]]:
    """Prometheus on the backfilled blocks (60-day retention) and VictoriaMetrics with the same samples."""
    prometheus_data = work / "prometheus" / "data"
    prometheus_data.mkdir(parents=True)
    _backfill(prometheus_data, series)
    keep = Retention.model_validate({"metrics": {"raw": "60d"}})
    with (
        running_component(REPO, "victoriametrics", work / "vm", directory, port=free_port()) as long_term,
        running_component(
            REPO, "prometheus", work / "prometheus", directory, port=free_port(), retention=keep, timeout=120
        ) as prometheus,
    ):
        import_series(long_term, auth(directory, secrets.VICTORIAMETRICS_CREDENTIALS), series)
        with httpx.Client(base_url=long_term, auth=auth(directory, secrets.VICTORIAMETRICS_CREDENTIALS)) as client:
            client.get("/internal/force_merge", timeout=600).raise_for_status()
        yield prometheus, long_term


def wait_merged(data: Path, seconds: float = 60.0) -> None:
    """Until the data directory stops shrinking (the forced merge runs in the background)."""
    deadline, last = time.monotonic() + seconds, -1
    while time.monotonic() < deadline:
        size = _size(data)
        if size == last:
            return
        last = size
        time.sleep(2)


def measure() -> dict[str, Any]:
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    series = demo_series(end - timedelta(days=DAYS))
    samples = len(series) * SAMPLES
    with tempfile.TemporaryDirectory(prefix="tta-bench-long-term-") as temporary:
        work = Path(temporary)
        directory = secrets.SecretsDir(work / "secrets")
        directory.init()
        with stores(work, directory, series) as (prometheus, long_term):
            vm_data = work / "vm" / "data"
            wait_merged(vm_data)
            vm_bytes = _size(vm_data, exclude=("snapshots", "tmp", "cache"))
            prometheus_bytes = _size(work / "prometheus" / "data", exclude=("wal", "chunks_head"))
            vm_queries = _measure_queries(
                long_term, auth(directory, secrets.VICTORIAMETRICS_CREDENTIALS), end, {"nocache": "1"}
            )
            prometheus_queries = _measure_queries(prometheus, auth(directory, secrets.PROMETHEUS_CREDENTIALS), end, {})
    return {
        "series": len(series),
        "samples": samples,
        "days": DAYS,
        "bytes_per_sample": {
            "victoriametrics": round(vm_bytes / samples, 3),
            "prometheus": round(prometheus_bytes / samples, 3),
        },
        "bytes": {"victoriametrics": vm_bytes, "prometheus": prometheus_bytes},
        "overview_queries_30d": {"victoriametrics": vm_queries, "prometheus_baseline": prometheus_queries},
        "target_s": 1.0,
    }


def main() -> int:
    print(json.dumps(measure(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
