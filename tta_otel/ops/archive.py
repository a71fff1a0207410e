"""Archives of the metric store that restore: snapshot, pack, encrypt, check, and back again.

``create`` asks Prometheus for a snapshot of its TSDB (the admin API, ``POST
/api/v1/admin/tsdb/snapshot``: hard links of its blocks, consistent and cheap), packs the snapshot
as a tar stream, encrypts it (``archive_crypto``: AES-256-GCM with the secrets directory's
``archive-key``) into ``<archives>/<id>/prometheus.tar.enc`` and writes a manifest beside it:
the time range the blocks cover, the sizes, and the SHA-256 of the encrypted file. The snapshot
is removed once packed. ``restore`` checks the digest, decrypts (refusing a tampered archive)
and unpacks the blocks into a data directory, from which a fresh Prometheus answers the same
queries. ``prune`` removes the archives older than retention.yaml's ``metrics.long_term``. Works on
the machine that holds Prometheus's data directory (the native stack's).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tta_otel import audit_log
from tta_otel.ops.archive_crypto import ArchiveTamperedError, decrypt, encrypt
from tta_otel.ops.reports.prometheus import PrometheusClient
from tta_otel.ops.secrets import ARCHIVE_KEY, SecretsDir

ARCHIVE_FILE = "prometheus.tar.enc"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    id: str
    store: str
    created: str
    min_time: str | None  # the oldest sample the blocks hold (ISO 8601), None for an empty store
    max_time: str | None
    blocks: int
    plain_bytes: int
    archive_bytes: int
    sha256: str  # of the encrypted file
    encryption: str = "AES-256-GCM, 1 MiB chunks"


def _key(secrets: SecretsDir) -> bytes:
    return bytes.fromhex(secrets.read(ARCHIVE_KEY).strip())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as archive:
        for chunk in iter(lambda: archive.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _moment(milliseconds: int) -> str:
    return datetime.fromtimestamp(milliseconds / 1000, UTC).isoformat()


def _time_range(snapshot: Path) -> tuple[str | None, str | None, int]:
    """The span of the snapshot's blocks (their ``meta.json``), and how many there are."""
    metas = [json.loads(meta.read_text()) for meta in snapshot.glob("*/meta.json")]
    if not metas:
        return None, None, 0
    return _moment(min(m["minTime"] for m in metas)), _moment(max(m["maxTime"] for m in metas)), len(metas)


def create(prometheus: PrometheusClient, data_dir: Path, archives: Path, secrets: SecretsDir) -> Manifest:
    """Snapshot Prometheus (whose TSDB is ``data_dir``) into a new archive under ``archives``."""
    name = prometheus.snapshot()
    snapshot = data_dir / "snapshots" / name
    try:
        min_time, max_time, blocks = _time_range(snapshot)
        folder = archives / name
        folder.mkdir(parents=True, mode=0o700)
        target = folder / ARCHIVE_FILE
        with tempfile.TemporaryFile() as plain:
            with tarfile.open(fileobj=plain, mode="w") as tar:
                tar.add(snapshot, arcname=".")
            plain_bytes = plain.tell()
            plain.seek(0)
            with open(target, "wb") as sealed:
                encrypt(plain, sealed, _key(secrets))
    finally:
        shutil.rmtree(snapshot, ignore_errors=True)
    manifest = Manifest(
        name,
        "prometheus",
        datetime.now(UTC).isoformat(),
        min_time,
        max_time,
        blocks,
        plain_bytes,
        target.stat().st_size,
        _sha256(target),
    )
    (folder / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2) + "\n")
    audit_log.record("archive.create", name, after=manifest.sha256)
    return manifest


def list_archives(archives: Path) -> list[Manifest]:
    """Every archive under ``archives``, oldest first."""
    found = [Manifest(**json.loads(path.read_text())) for path in archives.glob(f"*/{MANIFEST}")]
    return sorted(found, key=lambda manifest: manifest.created)


def prune(archives: Path, keep: timedelta, now: datetime | None = None) -> list[Manifest]:
    """Remove the archives created longer than ``keep`` ago (retention.yaml's ``metrics.long_term``);
    each removal is recorded in the audit trail. Returns what was removed, oldest first."""
    cutoff = (now or datetime.now(UTC)) - keep
    removed = [manifest for manifest in list_archives(archives) if datetime.fromisoformat(manifest.created) < cutoff]
    for manifest in removed:
        shutil.rmtree(archives / manifest.id)
        audit_log.record("archive.prune", manifest.id, before=manifest.sha256)
    return removed


def restore(archives: Path, archive_id: str, data_dir: Path, secrets: SecretsDir) -> Manifest:
    """Unpack archive ``archive_id`` into ``data_dir`` (empty or missing) for a fresh Prometheus;
    ``ArchiveTamperedError`` when the file is not what the manifest and the key say."""
    folder = archives / archive_id
    manifest = Manifest(**json.loads((folder / MANIFEST).read_text()))
    sealed_path = folder / ARCHIVE_FILE
    if _sha256(sealed_path) != manifest.sha256:
        raise ArchiveTamperedError(f"{sealed_path} does not match the digest in its manifest")
    if data_dir.exists() and any(data_dir.iterdir()):
        raise FileExistsError(f"{data_dir} is not empty: restore into a fresh data directory")
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile() as plain:
        with open(sealed_path, "rb") as sealed:
            decrypt(sealed, plain, _key(secrets))
        plain.seek(0)
        with tarfile.open(fileobj=plain, mode="r") as tar:
            tar.extractall(data_dir, filter="data")
    audit_log.record("archive.restore", archive_id, before=manifest.sha256)
    return manifest


__all__ = ["ARCHIVE_FILE", "MANIFEST", "ArchiveTamperedError", "Manifest", "create", "list_archives", "restore"]
