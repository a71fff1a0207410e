"""``tta-otel archive create|list|restore|prune``: encrypted archives of the metric stores."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from tta_otel.environment_variables import TTA_PROMETHEUS_URL, TTA_VICTORIAMETRICS_URL
from tta_otel.ops.archive import (
    PROMETHEUS,
    VICTORIAMETRICS,
    ArchiveTamperedError,
    PrometheusSource,
    Source,
    VictoriaMetricsSource,
    create,
    list_archives,
    prune,
    restore,
)
from tta_otel.ops.archive_bucket import TTA_ARCHIVE_S3_ENDPOINT, Bucket, BucketError, is_bucket
from tta_otel.ops.client_credentials import prometheus_auth, victoriametrics_auth
from tta_otel.ops.reports.prometheus import PrometheusClient, PrometheusError
from tta_otel.ops.secrets import SecretsDir, SecretsError
from tta_otel.ops.stack.checkout import find_checkout
from tta_otel.ops.stack.retention import days_or_hours
from tta_otel.ops.stack.runner import URLS, checkout_retention
from tta_otel.ops.stores.http import StoreError
from tta_otel.ops.stores.victoriametrics import VictoriaMetricsSnapshots


def _archives(args: argparse.Namespace) -> Path:
    return Path(args.archives) if args.archives else find_checkout(None) / "state" / "archives"


def _bucket(args: argparse.Namespace) -> Bucket | None:
    """The bucket when ``--archives`` is ``s3://...`` (archive_bucket.py), else None: a directory."""
    if not args.archives or not is_bucket(args.archives):
        return None
    return Bucket.at(args.archives, args.s3_endpoint or os.environ.get(TTA_ARCHIVE_S3_ENDPOINT), _secrets(args))


def _secrets(args: argparse.Namespace) -> SecretsDir:
    return SecretsDir(Path(args.secrets_dir)) if args.secrets_dir else SecretsDir()


def _state(given: str | None, service: str) -> Path:
    return Path(given) if given else find_checkout(None) / "state" / service / "data"


def _long_term(args: argparse.Namespace) -> VictoriaMetricsSource | None:
    """The long-term tier when it runs (its ``/health`` answers); None, said on standard error, when not."""
    url = os.environ.get(TTA_VICTORIAMETRICS_URL) or URLS[TTA_VICTORIAMETRICS_URL]
    client = VictoriaMetricsSnapshots(url, victoriametrics_auth(), timeout_s=300)
    try:
        client.answers("/health")
    except StoreError:
        print(f"VictoriaMetrics at {url} does not answer: archiving Prometheus alone", file=sys.stderr)
        return None
    return VictoriaMetricsSource(client, _state(args.long_term_data_dir, VICTORIAMETRICS))


def create_command(args: argparse.Namespace) -> int:
    prometheus = PrometheusClient(
        os.environ.get(TTA_PROMETHEUS_URL) or URLS[TTA_PROMETHEUS_URL], credentials=prometheus_auth()
    )
    try:
        sources: list[Source] = [PrometheusSource(prometheus, _state(args.data_dir, PROMETHEUS))]
        long_term = None if args.without_long_term else _long_term(args)
        if long_term is not None:
            sources.append(long_term)
        bucket = _bucket(args)
        if bucket is None:
            manifest = create(_archives(args), _secrets(args), sources)
        else:
            with tempfile.TemporaryDirectory(prefix="tta-archive-") as staging:
                manifest = create(Path(staging), _secrets(args), sources)
                bucket.push(Path(staging) / manifest.id)
    except (PrometheusError, StoreError, SecretsError, BucketError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(asdict(manifest), indent=2))
    return 0


def list_command(args: argparse.Namespace) -> int:
    try:
        with _manifests(args, _bucket(args)) as archives:
            manifests = list_archives(archives)
    except BucketError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for manifest in manifests:
        held = [f"{s.store} {s.min_time} .. {s.max_time} {s.archive_bytes} bytes" for s in manifest.sections]
        print(f"{manifest.id}  {', '.join(held)}")
    return 0


@contextmanager
def _manifests(args: argparse.Namespace, bucket: Bucket | None) -> Iterator[Path]:
    """Where the archives' manifests are read: the directory, or a copy of ``bucket``'s manifests."""
    if bucket is None:
        yield _archives(args)
        return
    with tempfile.TemporaryDirectory(prefix="tta-archive-") as copy:
        bucket.pull_manifests(Path(copy))
        yield Path(copy)


def restore_command(args: argparse.Namespace) -> int:
    into = {
        store: Path(directory)
        for store, directory in ((PROMETHEUS, args.into), (VICTORIAMETRICS, args.long_term_into))
        if directory
    }
    if not into:
        print("error: give --into (Prometheus) or --long-term-into (VictoriaMetrics), or both", file=sys.stderr)
        return 2
    try:
        bucket = _bucket(args)
        if bucket is None:
            manifest = restore(_archives(args), args.id, _secrets(args), into)
        else:
            with tempfile.TemporaryDirectory(prefix="tta-archive-") as copy:
                bucket.pull(args.id, Path(copy))
                manifest = restore(Path(copy), args.id, _secrets(args), into)
    except (ArchiveTamperedError, FileExistsError, FileNotFoundError, KeyError, SecretsError, BucketError) as exc:
        print(f"error: {exc.args[0] if isinstance(exc, KeyError) else exc}", file=sys.stderr)
        return 1
    started = {
        PROMETHEUS: "start a Prometheus on it",
        VICTORIAMETRICS: "start a VictoriaMetrics with it as -storageDataPath",
    }
    for section in manifest.sections:
        if section.store in into:
            then = started.get(section.store, "")
            print(f"restored {section.store} ({section.parts} parts) into {into[section.store]}: {then}")
        else:
            print(f"{manifest.id} also holds {section.store}, not restored (see --help)")
    return 0


def prune_command(args: argparse.Namespace) -> int:
    keep = checkout_retention(find_checkout(None)).metrics.long_term
    try:
        bucket = _bucket(args)
        with _manifests(args, bucket) as archives:
            removed = prune(archives, keep, remove=None if bucket is None else bucket.remove)
    except BucketError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for manifest in removed:
        print(f"removed {manifest.id} (created {manifest.created}; metrics.long_term is {days_or_hours(keep)})")
    return 0


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    archive = subparsers.add_parser(
        "archive", help="encrypted archives of the metric stores (Prometheus, VictoriaMetrics): create, list, restore"
    )
    actions = archive.add_subparsers(dest="action", required=True)
    created = actions.add_parser(
        "create", help="snapshot Prometheus, and VictoriaMetrics when it runs, into a new encrypted archive"
    )
    created.add_argument("--data-dir", help="Prometheus's TSDB directory (default: the native stack's)")
    created.add_argument(
        "--long-term-data-dir", help="VictoriaMetrics's -storageDataPath (default: the native stack's)"
    )
    created.add_argument("--without-long-term", action="store_true", help="archive Prometheus alone")
    listed = actions.add_parser("list", help="the archives, oldest first: each store's time range and size")
    restored = actions.add_parser(
        "restore", help="unpack an archive's stores into fresh data directories (the stores stopped)"
    )
    restored.add_argument("id")
    restored.add_argument("--into", help="an empty directory for the restored Prometheus TSDB")
    restored.add_argument(
        "--long-term-into", help="an empty -storageDataPath for the restored VictoriaMetrics (not running on it)"
    )
    pruned = actions.add_parser("prune", help="remove the archives older than retention.yaml's metrics.long_term")
    for parser, handler in (
        (created, create_command),
        (listed, list_command),
        (restored, restore_command),
        (pruned, prune_command),
    ):
        parser.add_argument(
            "--archives",
            help="where archives live: a directory (default: state/archives of the checkout) or s3://bucket/prefix",
        )
        parser.add_argument(
            "--s3-endpoint",
            help=f"the S3-compatible endpoint of an s3:// location (default: ${TTA_ARCHIVE_S3_ENDPOINT})",
        )
        parser.add_argument("--secrets-dir", help="the secrets with archive-key (default: $TTA_SECRETS_DIR)")
        parser.set_defaults(handler=handler)
