"""``tta-otel report carbon|engagement|capacity|availability``: reports of a period, from Prometheus
or, for engagement and availability, from the long-term tier (``--source``, reports/sources.py)."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

from tta_otel import audit_log
from tta_otel.environment_variables import TTA_PROMETHEUS_URL, TTA_VICTORIAMETRICS_URL
from tta_otel.ops.client_credentials import prometheus_auth, victoriametrics_auth
from tta_otel.ops.reports import availability, engagement_render, sources
from tta_otel.ops.reports.capacity import build_capacity_report
from tta_otel.ops.reports.capacity import write_report as write_capacity_report
from tta_otel.ops.reports.carbon import build_carbon_report
from tta_otel.ops.reports.engagement import DEFAULT_K, build_engagement_report
from tta_otel.ops.reports.prometheus import PrometheusClient, PrometheusError
from tta_otel.ops.reports.render import write_report
from tta_otel.ops.secrets import SecretFileError

_DURATION = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
DEFAULT_PROMETHEUS_URL = "http://127.0.0.1:9090"
DEFAULT_LONG_TERM_URL = "http://127.0.0.1:8428"
R = TypeVar("R")


def parse_period(text: str) -> timedelta:
    """``90s``, ``10m``, ``24h``, ``7d`` or ``2w``, as Prometheus writes durations."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 30m, 24h or 7d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def add_source_arguments(parser: argparse.ArgumentParser, period: str) -> None:
    """``--since``, ``--environment`` and ``--prometheus``: where every report reads from."""
    parser.add_argument(
        "--since", type=parse_period, default=parse_period(period), help=f"period, e.g. 24h or 7d (default: {period})"
    )
    parser.add_argument("--environment", help="only this deployment.environment.name (default: all)")
    add_prometheus_arguments(parser)


def _add_store_arguments(
    parser: argparse.ArgumentParser, name: str, env: str, default: str, what: str, secret: str
) -> None:
    """``--NAME`` (alias ``--NAME-url``) and ``--NAME-credentials-file`` for a store the report reads."""
    parser.add_argument(
        f"--{name}",
        f"--{name}-url",
        dest=name.replace("-", "_"),
        default=os.environ.get(env, default),
        help=f"{what} (default: ${env} or %(default)s)",
    )
    parser.add_argument(
        f"--{name}-credentials-file",
        type=Path,
        help=f"user:password for its basic auth (default: ${env.removesuffix('_URL')}_CREDENTIALS_FILE, "
        f"else {secret} in the secrets directory when it exists)",
    )


def add_prometheus_arguments(parser: argparse.ArgumentParser) -> None:
    """``--prometheus`` (alias ``--prometheus-url``) and ``--prometheus-credentials-file``."""
    _add_store_arguments(
        parser, "prometheus", TTA_PROMETHEUS_URL, DEFAULT_PROMETHEUS_URL, "Prometheus URL", "prometheus-credentials"
    )


def _add_report_arguments(
    parser: argparse.ArgumentParser, period: str, formats: tuple[str, ...] = ("json", "csv", "pdf")
) -> None:
    add_source_arguments(parser, period)
    parser.add_argument("--format", choices=formats, default="json")
    parser.add_argument("--output", type=Path, help="file to write (required for pdf; default: standard output)")


def _add_long_term_arguments(parser: argparse.ArgumentParser) -> None:
    """``--source`` and where the long-term tier is: for reports whose figures it keeps."""
    parser.add_argument(
        "--source",
        choices=sources.SOURCES,
        default=sources.AUTO,
        help="where the period is read: the long-term tier (VictoriaMetrics, 5-minute series) or Prometheus; "
        "auto: the long-term tier when the period reaches past what Prometheus keeps (default: %(default)s)",
    )
    _add_store_arguments(
        parser,
        "long-term",
        TTA_VICTORIAMETRICS_URL,
        DEFAULT_LONG_TERM_URL,
        "the long-term tier's URL",
        "victoriametrics-credentials",
    )


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = subparsers.add_parser("report", help="reports read from the stack's backends")
    kinds = report.add_subparsers(dest="kind", required=True)
    carbon = kinds.add_parser("carbon", help="energy, emissions, carbon per token and recommendations")
    _add_report_arguments(carbon, "24h")
    carbon.add_argument("--budget-g", type=float, help="daily budget in gCO2e (default: what the services report)")
    carbon.set_defaults(handler=carbon_command)
    engagement = kinds.add_parser(
        "engagement", help="sessions, completion, duration, journeys and progress per cohort (k-anonymous)"
    )
    _add_report_arguments(engagement, "7d")
    _add_long_term_arguments(engagement)
    engagement.add_argument(
        "--k",
        type=_k_value,
        default=DEFAULT_K,
        help="suppress cohorts with fewer sessions than this (default: %(default)s)",
    )
    engagement.set_defaults(handler=engagement_command)
    capacity = kinds.add_parser(
        "capacity", help="use, growth and forecast exhaustion per component and store, with a recommendation"
    )
    _add_report_arguments(capacity, "7d")
    capacity.set_defaults(handler=capacity_command)
    service_level = kinds.add_parser(
        "availability",
        help="the overview's service level per component: availability, error budget, slow share, errors",
    )
    _add_report_arguments(service_level, "30d", formats=("json", "csv"))
    _add_long_term_arguments(service_level)
    service_level.set_defaults(handler=availability_command)


def _k_value(text: str) -> int:
    """k-anonymity below 2 would show single sessions."""
    if not text.isdigit() or int(text) < 2:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of sessions of at least 2")
    return int(text)


def _client(args: argparse.Namespace) -> PrometheusClient:
    """Prometheus, or the long-term tier where ``--source`` (resolved: ``args.source``) says so."""
    if getattr(args, "source", sources.PROMETHEUS) == sources.LONG_TERM:
        return PrometheusClient(args.long_term, credentials=victoriametrics_auth(args.long_term_credentials_file))
    return PrometheusClient(args.prometheus, credentials=prometheus_auth(args.prometheus_credentials_file))


def _resolve_source(args: argparse.Namespace) -> None:
    """``--source auto``: ask Prometheus how long it keeps samples, and choose by the period."""
    if getattr(args, "source", None) != sources.AUTO:
        return
    prometheus = PrometheusClient(args.prometheus, credentials=prometheus_auth(args.prometheus_credentials_file))
    args.source = sources.choose(sources.AUTO, args.since, sources.parse_retention(prometheus.retention()))
    print(f"reading {args.source} (--source auto, period {args.since})", file=sys.stderr)


def _run(args: argparse.Namespace, build: Callable[[PrometheusClient], R], write: Callable[[R], str | None]) -> int:
    """Build a report from Prometheus (or the long-term tier) and write it as ``--format`` asks."""
    if args.format == "pdf" and args.output is None:
        print("error: --format pdf needs --output PATH", file=sys.stderr)
        return 2
    try:
        _resolve_source(args)
        report = build(_client(args))
    except (PrometheusError, SecretFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    text = write(report)
    if text is not None:
        print(text)
    else:
        print(f"wrote {args.output}", file=sys.stderr)
    exported = text.encode() if text is not None else args.output.read_bytes()
    audit_log.record("report.export", f"{args.kind} {args.format}", after=audit_log.digest_of(exported))
    return 0


def carbon_command(args: argparse.Namespace) -> int:
    return _run(
        args,
        lambda client: build_carbon_report(
            client, args.since, daily_budget_g=args.budget_g, environment=args.environment
        ),
        lambda report: write_report(report, args.format, args.output),
    )


def engagement_command(args: argparse.Namespace) -> int:
    return _run(
        args,
        lambda client: build_engagement_report(
            client, args.since, k=args.k, environment=args.environment, source=args.source
        ),
        lambda report: engagement_render.write_report(report, args.format, args.output),
    )


def capacity_command(args: argparse.Namespace) -> int:
    return _run(
        args,
        lambda client: build_capacity_report(client, args.since, environment=args.environment),
        lambda report: write_capacity_report(report, args.format, args.output),
    )


def availability_command(args: argparse.Namespace) -> int:
    return _run(
        args,
        lambda client: availability.build_availability_report(
            client, args.since, environment=args.environment, source=args.source
        ),
        lambda report: availability.write_report(report, args.format, args.output),
    )
