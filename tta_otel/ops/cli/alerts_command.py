"""``tta-otel alerts serve``: the service that Alertmanager notifies, which follows every alert
from firing to resolution, escalates unacknowledged critical ones and measures the on-call
(docs/alerting-escalation.md)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from datetime import timedelta
from pathlib import Path

from tta_otel.environment_variables import TTA_ALERTMANAGER_URL, TTA_OTLP_HTTP_ENDPOINT, state_dir
from tta_otel.ops.alerts.alertmanager import DEFAULT_URL as DEFAULT_ALERTMANAGER_URL
from tta_otel.ops.alerts.escalation import ChainError, Receiver, load_chain
from tta_otel.ops.alerts.server import DEFAULT_READ_TIMEOUT, DEFAULT_WORKERS, Settings, serve
from tta_otel.ops.alerts.service import DEFAULT_RETENTION
from tta_otel.ops.alerts.store import StoreError
from tta_otel.ops.cli.errors_command import DEFAULT_OTLP_HTTP_ENDPOINT
from tta_otel.ops.cli.report_command import parse_period
from tta_otel.ops.client_credentials import alertmanager_auth
from tta_otel.ops.secrets import ALERTS_WEBHOOK_TOKEN, SecretFileError, default_dir, read_secret_file
from tta_otel.ops.stack.checkout import find_checkout
from tta_otel.ops.stack.runner import StackError, checkout_retention

DEFAULT_LISTEN = "127.0.0.1:9095"


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT, e.g. {DEFAULT_LISTEN}")
    return host, int(port)


def default_state_dir() -> Path:
    """``$TTA_OTEL_STATE/alerts``, beside the other state of tta-otel (default ``~/.local/state/tta-otel``)."""
    return state_dir() / "alerts"


def _workers(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 256:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of workers from 1 to 256")
    return int(text)


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    alerts = subparsers.add_parser("alerts", help="alert lifecycle: acknowledgement, escalation, time to acknowledge")
    commands = alerts.add_subparsers(dest="alerts_command", required=True)
    serve_parser = commands.add_parser(
        "serve",
        help="the webhook service Alertmanager notifies",
        description="Record every alert's lifecycle, take an Alertmanager silence as its acknowledgement, "
        "escalate unacknowledged critical alerts along a chain of receivers, and export the time to "
        "acknowledge and to resolve as metrics.",
    )
    serve_parser.add_argument(
        "--listen", type=_address, default=DEFAULT_LISTEN, help="HOST:PORT to listen on (default: %(default)s)"
    )
    serve_parser.add_argument(
        "--alertmanager",
        default=os.environ.get(TTA_ALERTMANAGER_URL, DEFAULT_ALERTMANAGER_URL),
        help="Alertmanager URL, asked for silences (default: $TTA_ALERTMANAGER_URL or %(default)s)",
    )
    serve_parser.add_argument(
        "--chain", type=Path, help="escalation chain (YAML: receivers with url and name); without it nothing escalates"
    )
    serve_parser.add_argument(
        "--escalate-after",
        type=parse_period,
        default=timedelta(minutes=15),
        help="how long a critical alert may go unacknowledged before each next receiver gets it, e.g. 15m (default)",
    )
    serve_parser.add_argument(
        "--check-interval",
        type=parse_period,
        default=timedelta(seconds=5),
        help="how often silences and escalations are checked, e.g. 5s (default)",
    )
    serve_parser.add_argument(
        "--state-dir",
        type=Path,
        default=default_state_dir(),
        help="where the lifecycle records are kept (default: $TTA_OTEL_STATE/alerts or ~/.local/state/tta-otel/alerts)",
    )
    serve_parser.add_argument(
        "--otlp-endpoint",
        default=os.environ.get(TTA_OTLP_HTTP_ENDPOINT, DEFAULT_OTLP_HTTP_ENDPOINT),
        help="collector's OTLP/HTTP endpoint for the metrics (default: $TTA_OTLP_HTTP_ENDPOINT or %(default)s)",
    )
    serve_parser.add_argument(
        "--token-file",
        type=Path,
        default=default_dir() / ALERTS_WEBHOOK_TOKEN,
        help="the bearer token every request must carry; Alertmanager sends it with http_config.authorization."
        "credentials_file (default: $TTA_OTEL_STATE/secrets/alerts-webhook-token, from `tta-otel secrets init`)",
    )
    serve_parser.add_argument(
        "--alertmanager-credentials-file",
        type=Path,
        default=None,
        help="user:password for Alertmanager's basic auth; only with it (and Alertmanager refusing requests "
        "without it) does a silence acknowledge an alert (default: $TTA_ALERTMANAGER_CREDENTIALS_FILE, "
        "else alertmanager-credentials in the secrets directory when it exists)",
    )
    serve_parser.add_argument(
        "--retention",
        type=parse_period,
        default=None,
        help="records with no event for this long are pruned, e.g. 30d (default: alerts.records of the "
        f"checkout's retention.yaml when run in one, else {DEFAULT_RETENTION.days}d)",
    )
    serve_parser.add_argument(
        "--read-timeout",
        type=parse_period,
        default=DEFAULT_READ_TIMEOUT,
        help="a request not read in full within this time is cut off, e.g. 10s (default)",
    )
    serve_parser.add_argument(
        "--workers",
        type=_workers,
        default=DEFAULT_WORKERS,
        help="requests handled at once (default: %(default)s)",
    )
    serve_parser.set_defaults(handler=serve_command)


def _describe(url: str, args: argparse.Namespace, chain: tuple[Receiver, ...]) -> str:
    if chain:
        escalation = f"critical alerts unacknowledged for {args.escalate_after} go to " + " -> ".join(
            receiver.name for receiver in chain
        )
    else:
        escalation = "no escalation chain (--chain): alerts are recorded and measured, never escalated"
    return (
        f"Taking Alertmanager's webhook at {url}/alerts (bearer token from {args.token_file}); "
        f"state in {args.state_dir}, kept {args.retention}; {escalation}"
    )


def _default_retention() -> timedelta:
    """alerts.records of the checkout's retention.yaml (the one place), else the service's default;
    a bad retention.yaml is an error (StackError naming the key), never a silent default."""
    try:
        checkout = find_checkout()
    except StackError:
        return DEFAULT_RETENTION
    return checkout_retention(checkout).alerts.records


def serve_command(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.retention is None:
        args.retention = _default_retention()
    try:
        chain = load_chain(args.chain) if args.chain else ()
    except ChainError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        token = read_secret_file(args.token_file, "the alerts service's bearer token")
        auth = alertmanager_auth(args.alertmanager_credentials_file)
    except SecretFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    settings = Settings(
        listen=args.listen,
        alertmanager_url=args.alertmanager,
        otlp_endpoint=args.otlp_endpoint,
        state_dir=args.state_dir,
        chain=chain,
        escalate_after=args.escalate_after,
        check_interval=args.check_interval,
        token=token,
        alertmanager_credentials=None if auth is None else ":".join(auth),
        retention=args.retention,
        read_timeout=args.read_timeout,
        workers=args.workers,
    )
    try:
        serve(settings, stop, lambda url: print(_describe(url, args, chain), flush=True))
    except StoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        host, port = args.listen
        print(f"error: cannot listen on {host}:{port}: {error.strerror}; pass another --listen", file=sys.stderr)
        return 1
    print("Stopped; every record is kept in the state directory", flush=True)
    return 0
