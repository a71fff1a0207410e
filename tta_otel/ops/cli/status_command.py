"""``tta-otel status``: is everything up, what is degrading, what runs out soon (docs/status.md).

Exit status 0 healthy, 1 degraded, 2 down (the rules are in ``tta_otel.ops.status.model``);
a Prometheus that cannot be asked is down, said in one line, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime

from tta_otel.ops.cli.report_command import add_prometheus_arguments
from tta_otel.ops.client_credentials import prometheus_auth
from tta_otel.ops.reports.prometheus import PrometheusClient, PrometheusError
from tta_otel.ops.secrets import SecretFileError
from tta_otel.ops.status.collect import collect
from tta_otel.ops.status.model import Health, Status

DEFAULT_WATCH_S = 10.0


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "status", help="components, dependencies, collector, stores, forecasts and firing alerts (exit 0/1/2)"
    )
    parser.add_argument("--environment", help="only this deployment.environment.name (default: all)")
    parser.add_argument("--repository", help="only this tta.repository: tta.dev, tta.prototype or tta.prod")
    add_prometheus_arguments(parser)
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="one JSON document for scripts (docs/status.md)")
    output.add_argument(
        "--watch",
        nargs="?",
        type=_seconds,
        const=DEFAULT_WATCH_S,
        metavar="SECONDS",
        help=f"refresh in place every SECONDS (default {DEFAULT_WATCH_S:.0f}) until Ctrl-C",
    )
    parser.set_defaults(handler=status_command)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds of at least 1")
    return value


def _snapshot(args: argparse.Namespace, credentials: tuple[str, str] | None) -> Status:
    client = PrometheusClient(args.prometheus, timeout_s=10.0, credentials=credentials)
    return collect(client, datetime.now(UTC), credentials, args.environment, args.repository)


def status_command(args: argparse.Namespace) -> int:
    from tta_otel.ops.status import render  # rich: the operator's extra, loaded only here

    try:
        credentials = prometheus_auth(args.prometheus_credentials_file)
        if args.watch is None:
            status = _snapshot(args, credentials)
        else:
            return _watch(args, credentials)
    except (PrometheusError, SecretFileError) as error:
        print(f"status: down: {error}", file=sys.stderr)
        if args.json:
            print(render.error_json(str(error)))
        return int(Health.DOWN)
    if args.json:
        print(render.as_json(status))
    else:
        from rich.console import Console

        Console().print(render.render(status))
    return int(status.verdict().health)


def _watch(args: argparse.Namespace, credentials: tuple[str, str] | None) -> int:
    """Redraw in place until Ctrl-C; the exit status is the last screen's. A Prometheus that stops
    answering shows as a line on the screen, and the next refresh tries again."""
    from rich.console import Console
    from rich.live import Live
    from rich.text import Text

    from tta_otel.ops.status import render

    health = Health.DOWN
    with Live(Text("asking Prometheus ..."), console=Console(), auto_refresh=False) as live:
        try:
            while True:
                try:
                    status = _snapshot(args, credentials)
                    health = status.verdict().health
                    live.update(render.render(status), refresh=True)
                except PrometheusError as error:
                    health = Health.DOWN
                    live.update(Text(f"status: down: {error}", style="bold red"), refresh=True)
                time.sleep(args.watch)
        except KeyboardInterrupt:
            pass
    return int(health)
