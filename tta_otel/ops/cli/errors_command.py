"""``tta-otel errors``: error groups by fingerprint, from Prometheus, each with an example log line
and its trace id from the log store; ``--resolve`` marks one resolved."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime

from tta_otel import instruments, semconv
from tta_otel.environment_variables import TTA_OTLP_HTTP_ENDPOINT
from tta_otel.ops.cli.log_store_arguments import add_log_store_arguments, log_store
from tta_otel.ops.cli.report_command import add_source_arguments
from tta_otel.ops.client_credentials import otlp_exporter_arguments, prometheus_auth
from tta_otel.ops.reports.errors import ErrorGroup, list_error_groups, load_resolved, state_file, with_log_examples
from tta_otel.ops.reports.errors_render import to_json, to_table
from tta_otel.ops.reports.prometheus import PrometheusClient, PrometheusError
from tta_otel.ops.secrets import SecretFileError
from tta_otel.ops.stores import StoreError

DEFAULT_OTLP_HTTP_ENDPOINT = "http://127.0.0.1:4318"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    errors = subparsers.add_parser("errors", help="error groups by fingerprint: counts, first and last seen, trend")
    add_source_arguments(errors, "24h")
    errors.add_argument("--json", action="store_true", help="print the groups as JSON")
    errors.add_argument("--resolve", metavar="FINGERPRINT", help="mark a group resolved and record its time to resolve")
    add_log_store_arguments(errors)
    errors.set_defaults(handler=errors_command)


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


def _with_examples(groups: list[ErrorGroup], args: argparse.Namespace, end: datetime) -> list[ErrorGroup]:
    """The groups with their example lines; without them, and a note saying why, when the log
    store cannot answer: the counts from Prometheus are worth printing on their own."""
    try:
        store = log_store(args)
        if store is None or not groups:
            return groups
        return with_log_examples(groups, store, args.since, end, args.environment)
    except (StoreError, SecretFileError) as exc:
        print(f"note: no example log lines: {exc}", file=sys.stderr)
        return groups


def errors_command(args: argparse.Namespace) -> int:
    end = datetime.now(UTC)
    try:
        groups = list_error_groups(
            PrometheusClient(args.prometheus, credentials=prometheus_auth(args.prometheus_credentials_file)),
            args.since,
            end,
            environment=args.environment,
            resolved=load_resolved(state_file()),
        )
    except (PrometheusError, SecretFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.resolve:
        return _resolve(groups, args.resolve)
    groups = _with_examples(groups, args, end)
    print(to_json(groups) if args.json else to_table(groups))
    return 0
