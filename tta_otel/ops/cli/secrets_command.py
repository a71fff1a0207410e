"""``tta-otel secrets init``: every secret the stack needs, in one directory, files 0600 (docs/security.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tta_otel.ops.secrets import WHAT, Action, SecretsDir, SecretsError, default_dir


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    secrets_parser = subparsers.add_parser("secrets", help="the stack's keys, tokens, passwords and certificates")
    commands = secrets_parser.add_subparsers(dest="secrets_command", required=True)
    init = commands.add_parser(
        "init",
        help="create every missing secret (files 0600, directory 0700)",
        description="Create the pseudonym keys, the OTLP bearer token, Prometheus's and Alertmanager's basic-auth "
        "passwords with their web configuration files, Grafana's admin password, the alerts service's token, "
        "and a local CA with the OTLP receivers' certificate. An existing secret is kept unless --rotate is "
        "given. Prints the paths, never the values.",
    )
    init.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="where the secrets live (default: $TTA_OTEL_STATE/secrets or ~/.local/state/tta-otel/secrets)",
    )
    init.add_argument(
        "--rotate",
        nargs="*",
        metavar="NAME",
        help="replace every secret, or the NAMEd ones and what derives from them (the previous pseudonym key "
        "is kept as the second line of pseudonym-keys); a running collector reads a rotated otlp-token at once",
    )
    init.set_defaults(handler=init_command)


def init_command(args: argparse.Namespace) -> int:
    directory = SecretsDir(args.dir if args.dir is not None else default_dir())
    try:
        rotate = False if args.rotate is None else (args.rotate or True)
        outcomes = directory.init(rotate=rotate)
    except (SecretsError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for outcome in outcomes:
        print(f"{outcome.action.value:8} {outcome.path}  ({WHAT[outcome.name]})")
    kept = sum(outcome.action is Action.KEPT for outcome in outcomes)
    if kept:
        print(f"{kept} existing file(s) kept; `tta-otel secrets init --rotate` replaces them")
    return 0
