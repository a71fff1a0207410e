"""``tta-otel errors``: error groups by fingerprint, from Prometheus; ``--resolve`` marks one resolved."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from datetime import UTC, datetime

from tta_otel import instruments, semconv
from tta_otel.environment_variables import TTA_OTLP_HTTP_ENDPOINT
from tta_otel.ops.cli.report_command import add_source_arguments
from tta_otel.ops.client_credentials import otlp_exporter_arguments, prometheus_auth
from tta_otel.ops.reports.errors import ErrorGroup, list_error_groups, load_resolved, state_file
from tta_otel.ops.reports.prometheus import PrometheusClient, PrometheusError
from tta_otel.ops.secrets import SecretFileError

DEFAULT_OTLP_HTTP_ENDPOINT = "http://127.0.0.1:4318"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    errors = subparsers.add_parser("errors", help="error groups by fingerprint: counts, first and last seen, trend")
    add_source_arguments(errors, "24h")
    errors.add_argument("--json", action="store_true", help="print the groups as JSON")
    errors.add_argument("--resolve", metavar="FINGERPRINT", help="mark a group resolved and record its time to resolve")
    errors.set_defaults(handler=errors_command)


def _table(groups: list[ErrorGroup]) -> str:
    lines = [f"{'fingerprint':16}  {'count':>6}  {'trend':>6}  {'last seen':25}  {'component':14}  type / trace"]
    for group in groups:
        trend = "new" if group.trend is None else f"{group.trend:+.0%}"
        state = " CRITICAL" if group.critical else ""
        state += " resolved" if group.resolved_at and not group.regressed else " REGRESSED" if group.regressed else ""
        lines.append(
            f"{group.fingerprint:16}  {group.count:>6}  {trend:>6}  {group.last_seen or '-':25}  "
            f"{group.component:14}  {group.error_type}{state}  trace {group.example_trace_id or '-'}"
        )
    return "\n".join(lines)


def _record_time_to_resolve(group: ErrorGroup, seconds: float) -> None:
    """One point of ``tta.error.time_to_resolve``, sent to the collector like any service's metrics."""
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource

    endpoint = os.environ.get(TTA_OTLP_HTTP_ENDPOINT, DEFAULT_OTLP_HTTP_ENDPOINT).rstrip("/")
    exporter = OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics", **otlp_exporter_arguments())
    reader = PeriodicExportingMetricReader(exporter)
    provider = MeterProvider(
        resource=Resource.create({semconv.SERVICE_NAME: "tta-otel-cli", semconv.TTA_COMPONENT: group.component}),
        metric_readers=[reader],
    )
    instruments.histogram(provider.get_meter("tta_otel.errors"), semconv.TTA_ERROR_TIME_TO_RESOLVE).record(
        seconds, {semconv.TTA_ERROR_FINGERPRINT: group.fingerprint, semconv.ERROR_TYPE: group.error_type}
    )
    provider.shutdown()


def _resolve(groups: list[ErrorGroup], fingerprint: str) -> int:
    group = next((g for g in groups if g.fingerprint == fingerprint), None)
    if group is None or group.first_seen is None:
        print(f"error: no error group {fingerprint} was seen in the period; widen --since", file=sys.stderr)
        return 1
    now = datetime.now(UTC)
    seconds = (now - datetime.fromisoformat(group.first_seen)).total_seconds()
    path = state_file()
    resolved = load_resolved(path)
    resolved[fingerprint] = now.isoformat()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(resolved, indent=2))
    _record_time_to_resolve(group, seconds)
    print(f"{fingerprint} resolved after {seconds / 3600:.1f} h ({group.error_type}, {group.component})")
    return 0


def errors_command(args: argparse.Namespace) -> int:
    try:
        groups = list_error_groups(
            PrometheusClient(args.prometheus, credentials=prometheus_auth(args.prometheus_credentials_file)),
            args.since,
            environment=args.environment,
            resolved=load_resolved(state_file()),
        )
    except (PrometheusError, SecretFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.resolve:
        return _resolve(groups, args.resolve)
    if args.json:
        print(json.dumps([{**asdict(g), "trend": g.trend} for g in groups], indent=2))
    else:
        print(_table(groups) if groups else "no errors in the period")
    return 0
