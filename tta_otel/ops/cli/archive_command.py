"""``tta-otel archive create|list|restore|prune``: encrypted archives of the metric store."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

from tta_otel.environment_variables import TTA_PROMETHEUS_URL
from tta_otel.ops.archive import ArchiveTamperedError, create, list_archives, prune, restore
from tta_otel.ops.client_credentials import prometheus_auth
from tta_otel.ops.reports.prometheus import PrometheusClient, PrometheusError
from tta_otel.ops.secrets import SecretsDir, SecretsError
from tta_otel.ops.stack.checkout import find_checkout
from tta_otel.ops.stack.retention import days_or_hours
from tta_otel.ops.stack.runner import URLS, checkout_retention


def _archives(args: argparse.Namespace) -> Path:
    return Path(args.archives) if args.archives else find_checkout(None) / "state" / "archives"


def _secrets(args: argparse.Namespace) -> SecretsDir:
    return SecretsDir(Path(args.secrets_dir)) if args.secrets_dir else SecretsDir()


def create_command(args: argparse.Namespace) -> int:
    prometheus = PrometheusClient(
        os.environ.get(TTA_PROMETHEUS_URL) or URLS[TTA_PROMETHEUS_URL], credentials=prometheus_auth()
    )
    data_dir = Path(args.data_dir) if args.data_dir else find_checkout(None) / "state" / "prometheus" / "data"
    try:
        manifest = create(prometheus, data_dir, _archives(args), _secrets(args))
    except (PrometheusError, SecretsError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(asdict(manifest), indent=2))
    return 0


def list_command(args: argparse.Namespace) -> int:
    for manifest in list_archives(_archives(args)):
        print(f"{manifest.id}  {manifest.min_time} .. {manifest.max_time}  {manifest.archive_bytes} bytes")
    return 0


def restore_command(args: argparse.Namespace) -> int:
    try:
        manifest = restore(_archives(args), args.id, Path(args.into), _secrets(args))
    except (ArchiveTamperedError, FileExistsError, FileNotFoundError, SecretsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"restored {manifest.id} ({manifest.blocks} blocks) into {args.into}: start a Prometheus on it")
    return 0


def prune_command(args: argparse.Namespace) -> int:
    keep = checkout_retention(find_checkout(None)).metrics.long_term
    for manifest in prune(_archives(args), keep):
        print(f"removed {manifest.id} (created {manifest.created}; metrics.long_term is {days_or_hours(keep)})")
    return 0


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    archive = subparsers.add_parser("archive", help="encrypted archives of the metric store: create, list, restore")
    actions = archive.add_subparsers(dest="action", required=True)
    created = actions.add_parser("create", help="snapshot Prometheus into a new encrypted archive")
    created.add_argument("--data-dir", help="Prometheus's TSDB directory (default: the native stack's)")
    listed = actions.add_parser("list", help="the archives, oldest first")
    restored = actions.add_parser("restore", help="unpack an archive into a fresh Prometheus data directory")
    restored.add_argument("id")
    restored.add_argument("--into", required=True, help="an empty directory for the restored TSDB")
    pruned = actions.add_parser("prune", help="remove the archives older than retention.yaml's metrics.long_term")
    for parser, handler in (
        (created, create_command),
        (listed, list_command),
        (restored, restore_command),
        (pruned, prune_command),
    ):
        parser.add_argument("--archives", help="where archives live (default: state/archives of the checkout)")
        parser.add_argument("--secrets-dir", help="the secrets with archive-key (default: $TTA_SECRETS_DIR)")
        parser.set_defaults(handler=handler)
