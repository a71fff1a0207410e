"""Archives of the metric stores that restore: snapshot, pack, encrypt, check, and back again.

An archive is a folder ``<archives>/<id>/`` with one encrypted section per store it holds,
``<store>.tar.enc``, and a ``manifest.json`` that gives, per section, the time range the data
covers, its parts, the plain and encrypted sizes and the SHA-256 of the encrypted file. Each
section is the store's snapshot packed as a tar stream and encrypted (``archive_crypto``:
AES-256-GCM with the secrets directory's ``archive-key``); the snapshot is removed once packed.

- **Prometheus** (``prometheus``): the admin API's snapshot (``POST /api/v1/admin/tsdb/snapshot``:
  hard links of its blocks under ``<data>/snapshots/<name>``); restored, the blocks are a TSDB
  directory for a fresh Prometheus.
- **VictoriaMetrics** (``victoriametrics``, the long-term tier), when it runs: ``/snapshot/create``
  makes ``<-storageDataPath>/snapshots/<name>``, whose ``data/small``, ``data/big`` and
  ``data/indexdb`` are symbolic links to per-partition folders of hard links. The section is packed
  following the links, so it holds the files themselves laid out as a ``-storageDataPath``, and
  restoring it is VictoriaMetrics's documented restore: the snapshot's contents, links followed,
  in the empty ``-storageDataPath`` of a stopped VictoriaMetrics. ``/snapshot/delete`` removes the
  snapshot. (vmbackup and vmrestore do the same copy, to a file system or a bucket, but neither
  encrypts; they would be two more binaries to build for a tar of the same files.)

``restore`` checks each section's digest, decrypts it (refusing any chunk that is not authentic)
and only then unpacks each store into its own empty data directory. Manifests of the first format
(Prometheus only, one flat record) still list, prune and restore. ``prune`` removes the archives
older than retention.yaml's ``metrics.long_term``. Works on the machine that holds the stores'
data directories (the native stack's).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, Protocol

from tta_otel import audit_log
from tta_otel.ops.archive_crypto import ArchiveTamperedError, decrypt, encrypt
from tta_otel.ops.reports.prometheus import PrometheusClient
from tta_otel.ops.secrets import ARCHIVE_KEY, SecretsDir
from tta_otel.ops.stores.victoriametrics import VictoriaMetricsSnapshots

PROMETHEUS = "prometheus"
VICTORIAMETRICS = "victoriametrics"
ARCHIVE_FILE = f"{PROMETHEUS}.tar.enc"  # the first format's only file, and Prometheus's section since
MANIFEST = "manifest.json"
FORMAT = 2
ENCRYPTION = "AES-256-GCM, 1 MiB chunks"


@dataclass(frozen=True)
class Section:
    """One store's part of an archive."""

    store: str
    file: str
    min_time: str | None  # the oldest sample the snapshot holds (ISO 8601), None for an empty store
    max_time: str | None
    parts: int  # Prometheus's blocks, VictoriaMetrics's parts
    plain_bytes: int
    archive_bytes: int
    sha256: str  # of the encrypted file


@dataclass(frozen=True)
class Manifest:
    id: str
    created: str
    sections: tuple[Section, ...]
    encryption: str = ENCRYPTION
    format: int = FORMAT

    def section(self, store: str) -> Section | None:
        return next((section for section in self.sections if section.store == store), None)

    @property
    def digest(self) -> str:
        """What the audit trail records: the sections' SHA-256 in order, joined by ``+`` (one
        store's archive is its file's digest, as in the first format)."""
        return "+".join(section.sha256 for section in self.sections)


class Source(Protocol):
    """A store to archive: a snapshot of it on disk, the time range the snapshot covers, its removal."""

    store: ClassVar[str]

    def snapshot(self) -> Path: ...

    def time_range(self, snapshot: Path) -> tuple[str | None, str | None, int]: ...

    def release(self, snapshot: Path) -> None: ...


def _moment(milliseconds: int) -> str:
    return datetime.fromtimestamp(milliseconds / 1000, UTC).isoformat()


def _span(metas: list[dict[str, Any]], low: str, high: str) -> tuple[str | None, str | None, int]:
    if not metas:
        return None, None, 0
    return _moment(min(m[low] for m in metas)), _moment(max(m[high] for m in metas)), len(metas)


@dataclass(frozen=True)
class PrometheusSource:
    """Prometheus (``--web.enable-admin-api``) whose TSDB is ``data_dir``."""

    client: PrometheusClient
    data_dir: Path
    store: ClassVar[str] = PROMETHEUS

    def snapshot(self) -> Path:
        return self.data_dir / "snapshots" / self.client.snapshot()

    def time_range(self, snapshot: Path) -> tuple[str | None, str | None, int]:
        """The span of the snapshot's blocks (their ``meta.json``), and how many there are."""
        return _span([json.loads(meta.read_text()) for meta in snapshot.glob("*/meta.json")], "minTime", "maxTime")

    def release(self, snapshot: Path) -> None:
        shutil.rmtree(snapshot, ignore_errors=True)


@dataclass(frozen=True)
class VictoriaMetricsSource:
    """VictoriaMetrics whose ``-storageDataPath`` is ``data_dir``."""

    client: VictoriaMetricsSnapshots
    data_dir: Path
    store: ClassVar[str] = VICTORIAMETRICS

    def snapshot(self) -> Path:
        name = self.client.create()
        snapshot = self.data_dir / "snapshots" / name
        if not snapshot.is_dir():
            self.client.delete(name)
            raise FileNotFoundError(
                f"VictoriaMetrics at {self.client.url} made snapshot {name}, but it is not in {snapshot.parent}: "
                "give that VictoriaMetrics's -storageDataPath"
            )
        return snapshot

    def time_range(self, snapshot: Path) -> tuple[str | None, str | None, int]:
        """The span of the snapshot's parts (each part's ``metadata.json``; the links are followed),
        and how many there are."""
        metas = [
            json.loads(meta.read_text())
            for kind in ("small", "big")
            for meta in (snapshot / "data" / kind).glob("*/*/metadata.json")
        ]
        return _span(metas, "MinTimestamp", "MaxTimestamp")

    def release(self, snapshot: Path) -> None:
        self.client.delete(snapshot.name)


def _key(secrets: SecretsDir) -> bytes:
    return bytes.fromhex(secrets.read(ARCHIVE_KEY).strip())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as archive:
        for chunk in iter(lambda: archive.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _pack(source: Source, folder: Path, key: bytes) -> Section:
    """Snapshot ``source``, pack the snapshot (links followed) into ``folder/<store>.tar.enc``."""
    snapshot = source.snapshot()
    target = folder / f"{source.store}.tar.enc"
    try:
        min_time, max_time, parts = source.time_range(snapshot)
        with tempfile.TemporaryFile() as plain:
            with tarfile.open(fileobj=plain, mode="w", dereference=True) as tar:
                tar.add(snapshot, arcname=".")
            plain_bytes = plain.tell()
            plain.seek(0)
            with open(target, "wb") as sealed:
                encrypt(plain, sealed, key)
    finally:
        source.release(snapshot)
    return Section(
        source.store, target.name, min_time, max_time, parts, plain_bytes, target.stat().st_size, _sha256(target)
    )


def _write(folder: Path, manifest: Manifest) -> None:
    (folder / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2) + "\n")


def create(archives: Path, secrets: SecretsDir, sources: Sequence[Source]) -> Manifest:
    """Snapshot each store of ``sources`` into one new archive under ``archives``."""
    if not sources:
        raise ValueError("an archive holds at least one store")
    key = _key(secrets)  # before any snapshot: a missing key makes nothing
    now = datetime.now(UTC)
    archive_id = f"{now:%Y%m%dT%H%M%SZ}-{os.urandom(4).hex()}"
    folder = archives / archive_id
    folder.mkdir(parents=True, mode=0o700)
    try:
        sections = tuple(_pack(source, folder, key) for source in sources)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    manifest = Manifest(archive_id, now.isoformat(), sections)
    _write(folder, manifest)
    audit_log.record("archive.create", archive_id, after=manifest.digest)
    return manifest


def _first_format(record: dict[str, Any]) -> Manifest:
    """A manifest written before archives held more than Prometheus: one flat record."""
    section = Section(
        PROMETHEUS,
        ARCHIVE_FILE,
        record["min_time"],
        record["max_time"],
        record["blocks"],
        record["plain_bytes"],
        record["archive_bytes"],
        record["sha256"],
    )
    return Manifest(record["id"], record["created"], (section,), record.get("encryption", ENCRYPTION), 1)


def read_manifest(folder: Path) -> Manifest:
    record = json.loads((folder / MANIFEST).read_text())
    if "sections" not in record:
        return _first_format(record)
    sections = tuple(Section(**section) for section in record.pop("sections"))
    return Manifest(sections=sections, **record)


def list_archives(archives: Path) -> list[Manifest]:
    """Every archive under ``archives``, oldest first."""
    found = [read_manifest(path.parent) for path in archives.glob(f"*/{MANIFEST}")]
    return sorted(found, key=lambda manifest: manifest.created)


def prune(
    archives: Path, keep: timedelta, now: datetime | None = None, remove: Callable[[str], None] | None = None
) -> list[Manifest]:
    """Remove the archives created longer than ``keep`` ago (retention.yaml's ``metrics.long_term``);
    each removal is recorded in the audit trail. Returns what was removed, oldest first.
    ``remove``: how an archive is removed, by id (a bucket's, when ``archives`` holds a copy of
    its manifests); by default its folder under ``archives``."""
    cutoff = (now or datetime.now(UTC)) - keep
    removed = [manifest for manifest in list_archives(archives) if datetime.fromisoformat(manifest.created) < cutoff]
    for manifest in removed:
        if remove is None:
            shutil.rmtree(archives / manifest.id)
        else:
            remove(manifest.id)
        audit_log.record("archive.prune", manifest.id, before=manifest.digest)
    return removed


def _decrypted(sealed_path: Path, key: bytes, plain: BinaryIO) -> None:
    with open(sealed_path, "rb") as sealed:
        decrypt(sealed, plain, key)
    plain.seek(0)


def restore(archives: Path, archive_id: str, secrets: SecretsDir, into: Mapping[str, Path]) -> Manifest:
    """Unpack the stores named in ``into`` (``prometheus``, ``victoriametrics``) from archive
    ``archive_id``, each into its directory (empty or missing; a Prometheus TSDB directory, a
    stopped VictoriaMetrics's ``-storageDataPath``). Nothing is written until every section asked
    for is checked and decrypted: ``ArchiveTamperedError`` when one is not what the manifest and the
    key say, ``KeyError`` when the archive does not hold a store asked for."""
    folder = archives / archive_id
    manifest = read_manifest(folder)
    chosen = []
    for store, data_dir in into.items():
        section = manifest.section(store)
        if section is None:
            held = ", ".join(s.store for s in manifest.sections)
            raise KeyError(f"archive {archive_id} holds no {store} (it holds {held})")
        if _sha256(folder / section.file) != section.sha256:
            raise ArchiveTamperedError(f"{folder / section.file} does not match the digest in its manifest")
        if data_dir.exists() and any(data_dir.iterdir()):
            raise FileExistsError(f"{data_dir} is not empty: restore {store} into a fresh data directory")
        chosen.append((section, data_dir))
    key = _key(secrets)
    with ExitStack() as temporary:
        plains = [temporary.enter_context(tempfile.TemporaryFile()) for _ in chosen]
        for (section, _), plain in zip(chosen, plains, strict=True):
            _decrypted(folder / section.file, key, plain)
        for (_, data_dir), plain in zip(chosen, plains, strict=True):
            data_dir.mkdir(parents=True, exist_ok=True)
            with tarfile.open(fileobj=plain, mode="r") as tar:
                tar.extractall(data_dir, filter="data")
    audit_log.record("archive.restore", archive_id, before=manifest.digest)
    return manifest


__all__ = [
    "ARCHIVE_FILE",
    "MANIFEST",
    "PROMETHEUS",
    "VICTORIAMETRICS",
    "ArchiveTamperedError",
    "Manifest",
    "PrometheusSource",
    "Section",
    "Source",
    "VictoriaMetricsSource",
    "create",
    "list_archives",
    "prune",
    "read_manifest",
    "restore",
]
