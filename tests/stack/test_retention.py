"""Each native store, started from the launch table with a retention, keeps what is newer than its
class's period and no longer holds what is older.

Every store is started alone on free ports with ``running_component`` and a ``Retention`` of the
test's own: first a long one, to store old and new data (VictoriaLogs refuses records older than its
retention at ingestion, so the old ones go in while it is long), then the short one under test on
the same data directory, as an operator who shortens ``retention.yaml`` and runs ``stack up``.

- Prometheus: blocks backfilled with ``promtool tsdb create-blocks-from openmetrics``; time
  retention drops a block whose end is ``metrics.raw`` older than the newest block's, when the
  TSDB opens.
- VictoriaLogs: ``-retentionPeriod`` (``logs.warn``) drops whole days when it starts; the shorter
  severity classes are removed by the delete tasks ``prune_log_classes`` starts.
- Jaeger: Badger's ``ttl.spans`` (``traces``) counts from when a span was written, so a span is
  written, the period passes, and a newer span is written.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from tests.stack.otlp_requests import key_values, resource
from tta_otel.ops import secrets
from tta_otel.ops.stack.components import components
from tta_otel.ops.stack.retention import Retention, prune_log_classes
from tta_otel.ops.stack.runner import running_component
from tta_otel.ops.stores import JaegerClient, VictoriaLogsClient
from tta_otel.testing.processes import free_port, wait_until

REPO = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC)


def _retention(**classes: Any) -> Retention:
    """A retention given to the stores this test starts."""
    return Retention.model_validate(classes)


def _credentials(directory: secrets.SecretsDir, name: str) -> tuple[str, str]:
    user, _, password = directory.read(name).partition(":")
    return user, password


def _nanos(moment: datetime) -> int:
    return int(moment.timestamp() * 1e9)


# --- Prometheus ----------------------------------------------------------------------------------


def _backfill(data: Path, samples: dict[str, datetime]) -> None:
    """One sample of ``tta_retention_probe{age=...}`` per entry, as TSDB blocks in ``data``."""
    openmetrics = data.parent / "probe.om"
    lines = ["# TYPE tta_retention_probe gauge"]
    lines += [f'tta_retention_probe{{age="{age}"}} 1 {moment.timestamp():.3f}' for age, moment in samples.items()]
    openmetrics.write_text("\n".join([*lines, "# EOF", ""]))
    promtool = components(REPO)["prometheus"].binary("promtool")
    subprocess.run(
        [str(promtool), "tsdb", "create-blocks-from", "openmetrics", str(openmetrics), str(data)],
        check=True,
        capture_output=True,
    )


def _ages_stored(url: str, auth: tuple[str, str]) -> set[str]:
    response = httpx.get(
        f"{url}/api/v1/query",
        params={"query": "last_over_time(tta_retention_probe[30d])", "time": f"{NOW.timestamp():.3f}"},
        auth=auth,
        timeout=10,
    )
    response.raise_for_status()
    return {series["metric"]["age"] for series in response.json()["data"]["result"]}


def test_prometheus_drops_blocks_older_than_metrics_raw_and_keeps_newer_ones(
    tmp_path: Path, stack_secrets: secrets.SecretsDir
) -> None:
    state = tmp_path / "prometheus"
    (state / "data").mkdir(parents=True)
    _backfill(state / "data", {"old": NOW - timedelta(days=10), "new": NOW - timedelta(hours=1)})
    auth = _credentials(stack_secrets, secrets.PROMETHEUS_CREDENTIALS)

    with running_component(
        REPO, "prometheus", state, stack_secrets, port=free_port(), retention=_retention(metrics={"raw": "15d"})
    ) as url:
        assert _ages_stored(url, auth) == {"old", "new"}

    with running_component(
        REPO, "prometheus", state, stack_secrets, port=free_port(), retention=_retention(metrics={"raw": "2d"})
    ) as url:
        assert _ages_stored(url, auth) == {"new"}


# --- VictoriaLogs --------------------------------------------------------------------------------

SEVERITIES = {"DEBUG": 5, "INFO": 9, "WARN": 13}
RECORDS = {  # body: (severity, age)
    "warn-3d": ("WARN", timedelta(days=3)),
    "warn-1h": ("WARN", timedelta(hours=1)),
    "info-36h": ("INFO", timedelta(hours=36)),
    "debug-36h": ("DEBUG", timedelta(hours=36)),
    "debug-1h": ("DEBUG", timedelta(hours=1)),
}


def _ingest_logs(url: str, auth: tuple[str, str]) -> None:
    records = [
        LogRecord(
            time_unix_nano=_nanos(NOW - age),
            observed_time_unix_nano=_nanos(NOW),
            severity_number=SEVERITIES[severity],  # type: ignore[arg-type]
            severity_text=severity,
            body={"string_value": body},  # type: ignore[arg-type]
        )
        for body, (severity, age) in RECORDS.items()
    ]
    request = ExportLogsServiceRequest(
        resource_logs=[ResourceLogs(resource=resource("retention-probe"), scope_logs=[ScopeLogs(log_records=records)])]
    )
    response = httpx.post(
        f"{url}/insert/opentelemetry/v1/logs",
        content=request.SerializeToString(),
        headers={"Content-Type": "application/x-protobuf"},
        auth=auth,
        timeout=10,
    )
    response.raise_for_status()


def _bodies(logs: VictoriaLogsClient) -> set[str]:
    return {str(record["_msg"]) for record in logs.query('service.name:="retention-probe"', limit=100)}


def test_victorialogs_keeps_each_severity_class_for_its_own_period(
    tmp_path: Path, stack_secrets: secrets.SecretsDir
) -> None:
    state = tmp_path / "victorialogs"
    auth = _credentials(stack_secrets, secrets.VICTORIALOGS_CREDENTIALS)
    long = _retention(logs={"debug": "5d", "info": "5d", "warn": "5d"})
    short = _retention(logs={"debug": "1d", "info": "2d", "warn": "2d"})

    with running_component(REPO, "victorialogs", state, stack_secrets, port=free_port(), retention=long) as url:
        _ingest_logs(url, auth)
        logs = VictoriaLogsClient(url, auth)
        assert wait_until(lambda: _bodies(logs) == set(RECORDS)), _bodies(logs)

    with running_component(REPO, "victorialogs", state, stack_secrets, port=free_port(), retention=short) as url:
        logs = VictoriaLogsClient(url, auth)
        tasks = prune_log_classes(logs.delete, short)
        assert wait_until(lambda: not any(logs.delete_running(task) for task in tasks))

        assert _bodies(logs) == {"warn-1h", "info-36h", "debug-1h"}


# --- Jaeger --------------------------------------------------------------------------------------


def _jaeger_ports() -> dict[str, int]:
    return {name: free_port() for name in ("HEALTH", "QUERY", "QUERY_GRPC", "OTLP_GRPC", "OTLP_HTTP")}


def _send_span(otlp_http: str, basic: str, name: str, trace_id: bytes) -> None:
    span = Span(
        trace_id=trace_id,
        span_id=trace_id[:8],
        name=name,
        kind=Span.SPAN_KIND_SERVER,
        start_time_unix_nano=_nanos(datetime.now(UTC)) - 1_000_000,
        end_time_unix_nano=_nanos(datetime.now(UTC)),
        attributes=key_values({"tta.retention.probe": name}),
    )
    request = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=resource("retention-probe"), scope_spans=[ScopeSpans(spans=[span])])]
    )
    response = httpx.post(
        f"{otlp_http}/v1/traces",
        content=request.SerializeToString(),
        headers={"Content-Type": "application/x-protobuf", "Authorization": f"Basic {basic}"},
        timeout=10,
    )
    response.raise_for_status()


def test_jaeger_forgets_spans_written_longer_ago_than_traces_and_keeps_newer_ones(
    tmp_path: Path, stack_secrets: secrets.SecretsDir
) -> None:
    ports = _jaeger_ports()
    environment = {f"TTA_JAEGER_{name}_ENDPOINT": f"127.0.0.1:{port}" for name, port in ports.items()}
    basic = stack_secrets.read(secrets.JAEGER_BASIC_AUTH).strip()
    auth = _credentials(stack_secrets, secrets.JAEGER_CREDENTIALS)
    old, new = bytes.fromhex("0a" * 16), bytes.fromhex("0b" * 16)
    otlp_http = f"http://127.0.0.1:{ports['OTLP_HTTP']}"

    with running_component(
        REPO,
        "jaeger",
        tmp_path / "jaeger",
        stack_secrets,
        port=ports["HEALTH"],
        extra_environment=environment,
        retention=_retention(traces="3s"),
    ):
        traces = JaegerClient(f"http://127.0.0.1:{ports['QUERY']}", auth)
        stored: Callable[[bytes], bool] = lambda trace_id: traces.trace(trace_id.hex()) is not None  # noqa: E731
        _send_span(otlp_http, basic, "old", old)
        assert wait_until(lambda: stored(old)), "the first span never arrived"

        assert wait_until(lambda: not stored(old), timeout=30), "a span outlived traces: 3s"

        _send_span(otlp_http, basic, "new", new)
        assert wait_until(lambda: stored(new)), "a span newer than traces: 3s is not kept"
        assert not stored(old)
