"""Archive sections on disk, without the stores: a snapshot of symbolic links is packed as the
files they lead to (VictoriaMetrics's layout), each store restores into its own directory, a
first-format manifest (Prometheus only) still restores, and nothing is written when one section
asked for is tampered with."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from tta_otel.ops.archive import (
    ARCHIVE_FILE,
    MANIFEST,
    PROMETHEUS,
    VICTORIAMETRICS,
    ArchiveTamperedError,
    PrometheusSource,
    VictoriaMetricsSource,
    create,
    list_archives,
    restore,
)
from tta_otel.ops.archive_crypto import encrypt
from tta_otel.ops.reports.prometheus import PrometheusClient
from tta_otel.ops.secrets import ARCHIVE_KEY, SecretsDir
from tta_otel.ops.stores.victoriametrics import VictoriaMetricsSnapshots


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> SecretsDir:
    directory = SecretsDir(tmp_path_factory.mktemp("archive-secrets") / "secrets")
    directory.init()
    return directory


@pytest.fixture(autouse=True)
def audit_trail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TTA_AUDIT_LOG", str(tmp_path / "audit.jsonl"))


class _VictoriaMetrics(VictoriaMetricsSnapshots):
    """The snapshot API's effect on disk, as VictoriaMetrics lays a snapshot out: ``data/small`` a
    symbolic link to a folder of hard links of the live parts."""

    def __init__(self, data: Path) -> None:
        super().__init__("http://127.0.0.1:1")
        self.data = data
        self.deleted: list[str] = []

    def create(self) -> str:
        live = self.data / "data" / "small" / "2026_11" / "part"
        live.mkdir(parents=True)
        (live / "metadata.json").write_text('{"MinTimestamp": 0, "MaxTimestamp": 3600000}')
        (live / "values.bin").write_bytes(bytes(range(256)) * 8)
        pinned = self.data / "data" / "small" / "snapshots" / "s1" / "2026_11" / "part"
        pinned.mkdir(parents=True)
        for file in live.iterdir():
            (pinned / file.name).hardlink_to(file)
        (self.data / "snapshots" / "s1" / "data").mkdir(parents=True)
        (self.data / "snapshots" / "s1" / "data" / "small").symlink_to("../../../data/small/snapshots/s1")
        return "s1"

    def delete(self, name: str) -> None:
        self.deleted.append(name)
        shutil.rmtree(self.data / "snapshots" / name)


class _Prometheus(PrometheusClient):
    """The admin API's snapshot on disk: a block of hard links under ``<data>/snapshots``."""

    def __init__(self, data: Path) -> None:
        super().__init__("http://127.0.0.1:1")
        self.data = data

    def snapshot(self) -> str:
        block = self.data / "snapshots" / "p1" / "01ABC"
        (block / "chunks").mkdir(parents=True)
        (block / "meta.json").write_text('{"minTime": 0, "maxTime": 7200000}')
        (block / "chunks" / "000001").write_bytes(b"samples")
        return "p1"


def test_a_snapshot_of_links_is_archived_as_the_files_they_lead_to(tmp_path: Path, keys: SecretsDir) -> None:
    api = _VictoriaMetrics(tmp_path / "vm")
    manifest = create(tmp_path / "archives", keys, [VictoriaMetricsSource(api, api.data)])

    (section,) = manifest.sections
    assert (section.store, section.file, section.parts) == (VICTORIAMETRICS, "victoriametrics.tar.enc", 1)
    assert (section.min_time, section.max_time) == ("1970-01-01T00:00:00+00:00", "1970-01-01T01:00:00+00:00")
    assert api.deleted == ["s1"]
    assert list_archives(tmp_path / "archives") == [manifest]

    restore(tmp_path / "archives", manifest.id, keys, {VICTORIAMETRICS: tmp_path / "restored"})
    part = tmp_path / "restored" / "data" / "small" / "2026_11" / "part"
    assert not (tmp_path / "restored" / "data" / "small").is_symlink()
    assert (part / "values.bin").read_bytes() == bytes(range(256)) * 8
    assert (part / "values.bin").stat().st_nlink == 1


def test_a_snapshot_missing_from_the_data_directory_is_deleted_and_named(tmp_path: Path, keys: SecretsDir) -> None:
    api = _VictoriaMetrics(tmp_path / "vm")
    with pytest.raises(FileNotFoundError, match="-storageDataPath"):
        create(tmp_path / "archives", keys, [VictoriaMetricsSource(api, tmp_path / "elsewhere")])
    assert api.deleted == ["s1"]
    assert list(tmp_path.joinpath("archives").iterdir()) == []


def _first_format_archive(archives: Path, keys: SecretsDir, block: bytes) -> None:
    """An archive as `tta-otel archive create` wrote it before it held VictoriaMetrics."""
    folder = archives / "20260101T000000Z-0123456789abcdef"
    folder.mkdir(parents=True)
    plain = io.BytesIO()
    with tarfile.open(fileobj=plain, mode="w") as tar:
        info = tarfile.TarInfo("./01ABC/chunks/000001")
        info.size = len(block)
        tar.addfile(info, io.BytesIO(block))
    plain.seek(0)
    with open(folder / ARCHIVE_FILE, "wb") as sealed:
        encrypt(plain, sealed, bytes.fromhex(keys.read(ARCHIVE_KEY)))
    sha256 = hashlib.sha256((folder / ARCHIVE_FILE).read_bytes()).hexdigest()
    first = {
        "id": folder.name,
        "store": "prometheus",
        "created": "2026-01-01T00:00:00+00:00",
        "min_time": None,
        "max_time": None,
        "blocks": 1,
        "plain_bytes": len(plain.getvalue()),
        "archive_bytes": (folder / ARCHIVE_FILE).stat().st_size,
        "sha256": sha256,
        "encryption": "AES-256-GCM, 1 MiB chunks",
    }
    (folder / MANIFEST).write_text(json.dumps(first))


def test_a_first_format_archive_still_lists_and_restores(tmp_path: Path, keys: SecretsDir) -> None:
    _first_format_archive(tmp_path / "archives", keys, b"samples")

    (manifest,) = list_archives(tmp_path / "archives")
    assert manifest.format == 1
    assert [(s.store, s.file, s.parts) for s in manifest.sections] == [(PROMETHEUS, ARCHIVE_FILE, 1)]
    assert manifest.digest == manifest.sections[0].sha256
    restore(tmp_path / "archives", manifest.id, keys, {PROMETHEUS: tmp_path / "tsdb"})
    assert (tmp_path / "tsdb" / "01ABC" / "chunks" / "000001").read_bytes() == b"samples"
    with pytest.raises(KeyError, match="holds no victoriametrics"):
        restore(tmp_path / "archives", manifest.id, keys, {VICTORIAMETRICS: tmp_path / "vm"})


def test_nothing_is_restored_while_one_section_asked_for_is_tampered_with(tmp_path: Path, keys: SecretsDir) -> None:
    prometheus, long_term = _Prometheus(tmp_path / "prometheus"), _VictoriaMetrics(tmp_path / "vm")
    sources = [PrometheusSource(prometheus, prometheus.data), VictoriaMetricsSource(long_term, long_term.data)]
    manifest = create(tmp_path / "archives", keys, sources)
    assert [(s.store, s.parts, s.max_time) for s in manifest.sections] == [
        (PROMETHEUS, 1, "1970-01-01T02:00:00+00:00"),
        (VICTORIAMETRICS, 1, "1970-01-01T01:00:00+00:00"),
    ]
    assert not (prometheus.data / "snapshots" / "p1").exists()
    sealed = tmp_path / "archives" / manifest.id / "victoriametrics.tar.enc"
    data = bytearray(sealed.read_bytes())
    data[len(data) // 2] ^= 1
    sealed.write_bytes(bytes(data))

    into = {PROMETHEUS: tmp_path / "tsdb", VICTORIAMETRICS: tmp_path / "storage"}
    with pytest.raises(ArchiveTamperedError, match="does not match the digest"):
        restore(tmp_path / "archives", manifest.id, keys, into)
    assert not into[PROMETHEUS].exists() and not into[VICTORIAMETRICS].exists()

    restore(tmp_path / "archives", manifest.id, keys, {PROMETHEUS: into[PROMETHEUS]})
    assert (into[PROMETHEUS] / "01ABC" / "chunks" / "000001").read_bytes() == b"samples"
