"""``tta-otel audit verify`` and ``tta-otel audit show``: the trail of privacy-relevant operations."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from tta_otel.audit_log import AuditLog
from tta_otel.ops.cli.report_command import parse_period


def verify_command(args: argparse.Namespace) -> int:
    log = AuditLog(args.log)
    problems = log.verify()
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    if problems:
        return 1
    count = sum(1 for _ in log.records())
    print(f"ok   {log.path}: {count} records, chain and head intact")
    return 0


def show_command(args: argparse.Namespace) -> int:
    log = AuditLog(args.log)
    since = datetime.now(UTC) - args.since if args.since else datetime.min.replace(tzinfo=UTC)
    try:
        shown = [record for record in log.records() if datetime.fromisoformat(record.time) >= since]
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([asdict(record) for record in shown], indent=2))
        return 0
    for record in shown:
        change = f"{(record.before or '-')[:12]} -> {(record.after or '-')[:12]}"
        print(
            f"{record.sequence:>5} {record.time} {record.actor:<24} {record.action:<22} {record.subject:<28} {change}"
        )
    return 0


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = subparsers.add_parser("audit", help="the trail of privacy-relevant operations: verify, show")
    actions = audit.add_subparsers(dest="action", required=True)
    verify = actions.add_parser("verify", help="fail on an edited, removed, reordered or cut-off record")
    show = actions.add_parser("show", help="the records, oldest first")
    show.add_argument("--since", type=parse_period, help="only records of this period, e.g. 24h or 7d")
    show.add_argument("--json", action="store_true")
    for parser, handler in ((verify, verify_command), (show, show_command)):
        parser.add_argument(
            "--log", type=Path, help="the trail (default: $TTA_AUDIT_LOG, else $TTA_OTEL_STATE/audit.jsonl)"
        )
        parser.set_defaults(handler=handler)
