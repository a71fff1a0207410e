"""``tta-otel privacy erase``: a person's telemetry found, and deleted where the store can."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import timedelta

from tta_otel.environment_variables import TTA_JAEGER_URL, TTA_PROMETHEUS_URL, TTA_VICTORIALOGS_URL
from tta_otel.ops.client_credentials import jaeger_auth, prometheus_auth, victorialogs_auth
from tta_otel.ops.erasure import TRACE_RETENTION, ErasureReport, erase
from tta_otel.ops.reports.prometheus import PrometheusClient, PrometheusError
from tta_otel.ops.secrets import SecretsDir, SecretsError
from tta_otel.ops.stack.checkout import find_checkout
from tta_otel.ops.stack.runner import URLS, StackError, checkout_retention
from tta_otel.ops.stores import JaegerClient, StoreError, VictoriaLogsClient


def _url(name: str) -> str:
    return os.environ.get(name) or URLS[name]


def _trace_retention() -> timedelta:
    """traces of the checkout's retention.yaml (how long Jaeger keeps what it cannot delete), else
    the stack's default; a bad retention.yaml is an error (StackError naming the key)."""
    try:
        checkout = find_checkout()
    except StackError:
        return TRACE_RETENTION
    return checkout_retention(checkout).traces


def _print(report: ErasureReport) -> None:
    print(f"subject {report.subject} ({'deleted' if report.applied else 'dry run: nothing deleted'})")
    for store in report.stores:
        print(f"  {store.store:<13} found {store.found:<6} deleted {store.deleted:<6} {store.note}")


def erase_command(args: argparse.Namespace) -> int:
    identifier = sys.stdin.readline().strip() if args.subject == "-" else args.subject
    if not identifier:
        print("error: an empty subject", file=sys.stderr)
        return 2
    try:
        report = erase(
            identifier,
            SecretsDir(args.secrets_dir) if args.secrets_dir else SecretsDir(),
            VictoriaLogsClient(_url(TTA_VICTORIALOGS_URL), victorialogs_auth()),
            PrometheusClient(_url(TTA_PROMETHEUS_URL), credentials=prometheus_auth()),
            JaegerClient(_url(TTA_JAEGER_URL), jaeger_auth()),
            apply=args.apply,
            trace_retention=_trace_retention(),
        )
    except (StoreError, PrometheusError, SecretsError, StackError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(report.as_json())
    else:
        _print(report)
    return 0


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    privacy = subparsers.add_parser("privacy", help="privacy operations on the stored telemetry")
    actions = privacy.add_subparsers(dest="action", required=True)
    erase_parser = actions.add_parser(
        "erase", help="find a person's telemetry by their pseudonyms; --apply deletes it where the store can"
    )
    erase_parser.add_argument(
        "--subject", required=True, help="the person's identifier (player id), or - to read it from standard input"
    )
    erase_parser.add_argument("--apply", action="store_true", help="delete (default: a dry run that only counts)")
    erase_parser.add_argument("--json", action="store_true")
    erase_parser.add_argument("--secrets-dir", help="the secrets with the pseudonym keys (default: $TTA_SECRETS_DIR)")
    erase_parser.set_defaults(handler=erase_command)
