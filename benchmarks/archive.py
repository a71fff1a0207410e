"""Archive and restore throughput of the metric stores (issue 15), in MB/s of snapshot files.

The data is benchmarks/long_term.py's: 30 days of the demo's 5-minute long-term series, as TSDB
blocks under a Prometheus and imported (then merged) into a VictoriaMetrics, both started from the
launch table on free ports behind their credentials. For each store alone, ``ROUNDS`` times:
``archive.create`` (the snapshot API, the tar stream with the links followed, AES-256-GCM, the
SHA-256 of the encrypted file, the snapshot's removal) and ``archive.restore`` (the digest, the
decryption, the unpacking into an empty data directory), in MB/s of the plain tar stream.

Baseline in the same run, rounds alternating: a plain copy of the same snapshot's files (the
snapshot API, ``shutil.copytree`` with the links followed, the removal) and a plain copy of that
copy into an empty directory (what a restore without encryption would be), in MB/s of the files
copied. The snapshot API's own time (a snapshot made and removed, nothing read), which both sides
include, is given apart: with these few megabytes it is much of the total. Everything stays in the
page cache and nothing is fsynced, on either side.

The S3 target (``--archives s3://...``): each round's archive is also uploaded to a bucket
(``Bucket.push``, the manifest last) and downloaded again (``Bucket.pull``), in MB/s of the
archive's files, against a plain copy of the same folder. The bucket is SeaweedFS on loopback
(``tta_otel.testing.seaweedfs``, its data on the same disk), so the figure is the cost of the S3
protocol and of SeaweedFS's writes, not of a network.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.long_term import DAYS, auth, demo_series, stores, wait_merged
from tta_otel.ops import secrets
from tta_otel.ops.archive import PrometheusSource, Source, VictoriaMetricsSource, create, restore
from tta_otel.ops.archive_bucket import S3_CREDENTIALS, Bucket
from tta_otel.ops.reports.prometheus import PrometheusClient
from tta_otel.ops.stack.components import components
from tta_otel.ops.stores.victoriametrics import VictoriaMetricsSnapshots
from tta_otel.testing.seaweedfs import running_seaweedfs, s3_client

REPO = Path(__file__).resolve().parents[1]
BUCKET = "tta-bench-archives"

ROUNDS = 5
MB = 1e6


def _bytes(folder: Path) -> int:
    return sum(file.stat().st_size for file in folder.rglob("*") if file.is_file())


def _copy_snapshot(source: Source, target: Path) -> None:
    snapshot = source.snapshot()
    try:
        shutil.copytree(snapshot, target)  # symlinks=False: the files the links lead to
    finally:
        source.release(snapshot)


def _rate(size: int, times: list[float]) -> dict[str, float]:
    return {
        "median_mb_s": round(size / MB / statistics.median(times), 1),
        "median_s": round(statistics.median(times), 4),
    }


def _measure(source: Source, work: Path, directory: secrets.SecretsDir, bucket: Bucket) -> dict[str, Any]:
    archives = work / "archives"
    snapshots, created, restored, copied, copied_back = [], [], [], [], []
    pushed, pulled, copied_archive = [], [], []
    for round_ in range(ROUNDS):
        target, copy, back = (work / f"{what}-{round_}" for what in ("restored", "copy", "copy-back"))
        begin = time.perf_counter()
        source.release(source.snapshot())
        snapshots.append(time.perf_counter() - begin)
        begin = time.perf_counter()
        manifest = create(archives, directory, [source])
        created.append(time.perf_counter() - begin)
        begin = time.perf_counter()
        restore(archives, manifest.id, directory, {source.store: target})
        restored.append(time.perf_counter() - begin)
        begin = time.perf_counter()
        bucket.push(archives / manifest.id)
        pushed.append(time.perf_counter() - begin)
        begin = time.perf_counter()
        bucket.pull(manifest.id, work / f"pulled-{round_}")
        pulled.append(time.perf_counter() - begin)
        begin = time.perf_counter()
        shutil.copytree(archives / manifest.id, work / f"archive-copy-{round_}")
        copied_archive.append(time.perf_counter() - begin)
        archive_files = _bytes(archives / manifest.id)
        bucket.remove(manifest.id)
        begin = time.perf_counter()
        _copy_snapshot(source, copy)
        copied.append(time.perf_counter() - begin)
        begin = time.perf_counter()
        shutil.copytree(copy, back)
        copied_back.append(time.perf_counter() - begin)
        files = _bytes(copy)
        for folder in (
            archives / manifest.id,
            target,
            copy,
            back,
            work / f"pulled-{round_}",
            work / f"archive-copy-{round_}",
        ):
            shutil.rmtree(folder)
    (section,) = manifest.sections
    archive = {
        "create": _rate(section.plain_bytes, created),
        "restore": _rate(section.plain_bytes, restored),
    }
    baseline = {"copy": _rate(files, copied), "copy_back": _rate(files, copied_back)}
    return {
        "files_bytes": files,
        "plain_bytes": section.plain_bytes,
        "archive_bytes": section.archive_bytes,
        "parts": section.parts,
        "snapshot_and_removal_median_s": round(statistics.median(snapshots), 4),  # in both create and copy
        "archive": archive,
        "baseline_plain_copy": baseline,
        "create_vs_copy": round(statistics.median(created) / statistics.median(copied), 2),
        "restore_vs_copy_back": round(statistics.median(restored) / statistics.median(copied_back), 2),
        "s3": {
            "archive_files_bytes": archive_files,
            "push": _rate(archive_files, pushed),
            "pull": _rate(archive_files, pulled),
            "baseline_plain_copy": _rate(archive_files, copied_archive),
            "push_vs_copy": round(statistics.median(pushed) / statistics.median(copied_archive), 2),
            "pull_vs_copy": round(statistics.median(pulled) / statistics.median(copied_archive), 2),
        },
    }


def measure() -> dict[str, Any]:
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    series = demo_series(end - timedelta(days=DAYS))
    with tempfile.TemporaryDirectory(prefix="tta-bench-archive-") as temporary:
        work = Path(temporary)
        directory = secrets.SecretsDir(work / "secrets")
        directory.init()
        access_key, secret_key = "tta-bench", secrets.token()
        secrets.write_private(directory.path / S3_CREDENTIALS, f"{access_key}:{secret_key}".encode())
        with (
            stores(work, directory, series) as (prometheus, long_term),
            running_seaweedfs(
                components(REPO)["seaweedfs"].binary(), work / "seaweedfs", access_key, secret_key
            ) as endpoint,
        ):
            s3_client(endpoint, access_key, secret_key).create_bucket(Bucket=BUCKET)
            bucket = Bucket.at(f"s3://{BUCKET}/bench", endpoint, directory)
            wait_merged(work / "vm" / "data")
            prometheus_client = PrometheusClient(
                prometheus, credentials=auth(directory, secrets.PROMETHEUS_CREDENTIALS), timeout_s=300
            )
            vm_client = VictoriaMetricsSnapshots(
                long_term, auth(directory, secrets.VICTORIAMETRICS_CREDENTIALS), timeout_s=300
            )
            figures = {
                "prometheus": _measure(
                    PrometheusSource(prometheus_client, work / "prometheus" / "data"), work, directory, bucket
                ),
                "victoriametrics": _measure(
                    VictoriaMetricsSource(vm_client, work / "vm" / "data"), work, directory, bucket
                ),
            }
    return {"series": len(series), "days": DAYS, "rounds": ROUNDS, **figures}


def main() -> int:
    print(json.dumps(measure(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
