"""``tta-otel report carbon`` and ``report engagement``: reports of a period, from Prometheus."""

from __future__ import annotations

import argparse
import os
import re
import sys
from datetime import timedelta
from pathlib import Path

from tta_otel.reports import engagement_render
from tta_otel.reports.carbon import build_carbon_report
from tta_otel.reports.engagement import DEFAULT_K, build_engagement_report
from tta_otel.reports.prometheus import PrometheusClient, PrometheusError
from tta_otel.reports.render import write_report

_DURATION = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
DEFAULT_PROMETHEUS_URL = "http://127.0.0.1:9090"


def parse_period(text: str) -> timedelta:
    """``90s``, ``10m``, ``24h``, ``7d`` or ``2w``, as Prometheus writes durations."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 30m, 24h or 7d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = subparsers.add_parser("report", help="reports read from the stack's backends")
    kinds = report.add_subparsers(dest="kind", required=True)
    carbon = kinds.add_parser("carbon", help="energy, emissions, carbon per token and recommendations")
    carbon.add_argument("--since", type=parse_period, default=timedelta(hours=24), help="period, e.g. 24h (default)")
    carbon.add_argument("--format", choices=("json", "csv", "pdf"), default="json")
    carbon.add_argument("--output", type=Path, help="file to write (required for pdf; default: standard output)")
    carbon.add_argument(
        "--prometheus",
        default=os.environ.get("TTA_PROMETHEUS_URL", DEFAULT_PROMETHEUS_URL),
        help="Prometheus URL (default: $TTA_PROMETHEUS_URL or %(default)s)",
    )
    carbon.add_argument("--environment", help="only this deployment.environment.name (default: all)")
    carbon.add_argument("--budget-g", type=float, help="daily budget in gCO2e (default: what the services report)")
    carbon.set_defaults(handler=carbon_command)
    _add_engagement_parser(kinds)


def _k_value(text: str) -> int:
    """k-anonymity below 2 would show single sessions."""
    if not text.isdigit() or int(text) < 2:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of sessions of at least 2")
    return int(text)


def _add_engagement_parser(kinds: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    engagement = kinds.add_parser(
        "engagement", help="sessions, completion, duration, journeys and progress per cohort (k-anonymous)"
    )
    engagement.add_argument("--since", type=parse_period, default=timedelta(days=7), help="period, e.g. 7d (default)")
    engagement.add_argument("--format", choices=("json", "csv", "pdf"), default="json")
    engagement.add_argument("--output", type=Path, help="file to write (required for pdf; default: standard output)")
    engagement.add_argument(
        "--prometheus",
        default=os.environ.get("TTA_PROMETHEUS_URL", DEFAULT_PROMETHEUS_URL),
        help="Prometheus URL (default: $TTA_PROMETHEUS_URL or %(default)s)",
    )
    engagement.add_argument("--environment", help="only this deployment.environment.name (default: all)")
    engagement.add_argument(
        "--k",
        type=_k_value,
        default=DEFAULT_K,
        help="suppress cohorts with fewer sessions than this (default: %(default)s)",
    )
    engagement.set_defaults(handler=engagement_command)


def carbon_command(args: argparse.Namespace) -> int:
    if args.format == "pdf" and args.output is None:
        print("error: --format pdf needs --output PATH", file=sys.stderr)
        return 2
    try:
        report = build_carbon_report(
            PrometheusClient(args.prometheus), args.since, daily_budget_g=args.budget_g, environment=args.environment
        )
    except PrometheusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    text = write_report(report, args.format, args.output)
    if text is not None:
        print(text)
    else:
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def engagement_command(args: argparse.Namespace) -> int:
    if args.format == "pdf" and args.output is None:
        print("error: --format pdf needs --output PATH", file=sys.stderr)
        return 2
    try:
        report = build_engagement_report(
            PrometheusClient(args.prometheus), args.since, k=args.k, environment=args.environment
        )
    except PrometheusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    text = engagement_render.write_report(report, args.format, args.output)
    if text is not None:
        print(text)
    else:
        print(f"wrote {args.output}", file=sys.stderr)
    return 0
