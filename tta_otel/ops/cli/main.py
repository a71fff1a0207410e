"""Entry point of the ``tta-otel`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tta_otel import __version__
from tta_otel.ops.cli import (
    alerts_command,
    archive_command,
    audit_command,
    config_command,
    dashboards_command,
    errors_command,
    privacy_command,
    report_command,
    secrets_command,
    stack_command,
    status_command,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tta-otel", description="Observability for TTA services.")
    parser.add_argument("--version", action="version", version=f"tta-otel {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    config_command.add_parser(subparsers)
    stack_command.add_parsers(subparsers)
    report_command.add_parser(subparsers)
    errors_command.add_parser(subparsers)
    alerts_command.add_parser(subparsers)
    dashboards_command.add_parser(subparsers)
    secrets_command.add_parser(subparsers)
    audit_command.add_parser(subparsers)
    privacy_command.add_parser(subparsers)
    archive_command.add_parser(subparsers)
    status_command.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except stack_command.ERRORS as error:
        return stack_command.report(error)


if __name__ == "__main__":
    sys.exit(main())
