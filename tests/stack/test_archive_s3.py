"""Archives in an S3-compatible bucket (``--archives s3://bucket/prefix``): created, listed and
restored through ``tta-otel archive`` with the bucket as the only copy, pruned there, and a
tampered object refused.

The bucket is SeaweedFS (``tta_otel.testing.seaweedfs``), standing for the operator's object
store, with one identity whose key is the secrets directory's ``archive-s3-credentials``. The stores
archived are a Prometheus and a VictoriaMetrics of the test's own, the latter holding two days of
5-minute series (the same as tests/stack/test_archive.py), which the restored copy must answer
identically.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.stack.conftest import REPO
from tests.stack.test_archive import SERIES, answers, long_term_auth
from tta_otel.ops.archive import VICTORIAMETRICS, prune
from tta_otel.ops.archive_bucket import S3_CREDENTIALS, Bucket, BucketError
from tta_otel.ops.cli.main import main
from tta_otel.ops.secrets import SecretsDir, token, write_private
from tta_otel.ops.stack.components import components
from tta_otel.ops.stack.runner import running_component
from tta_otel.ops.stack.versions import read_versions
from tta_otel.testing.long_term import import_series
from tta_otel.testing.processes import free_port
from tta_otel.testing.seaweedfs import running_seaweedfs, s3_client

pytestmark = pytest.mark.integration
BUCKET, PREFIX = "tta-archives", "native"
_PROMETHEUS_CONFIG = "global:\n  scrape_interval: 1h\n"  # nothing to scrape, nothing to remote-write


@dataclass(frozen=True)
class _Setting:
    secrets: SecretsDir
    endpoint: str  # the bucket's S3 endpoint
    prometheus: str
    long_term: str
    state: Path

    def cli(self, *arguments: str) -> list[str]:
        return [
            "archive",
            *arguments,
            "--archives",
            f"s3://{BUCKET}/{PREFIX}",
            "--s3-endpoint",
            self.endpoint,
            "--secrets-dir",
            str(self.secrets.path),
        ]

    def client(self) -> Any:
        access_key, _, secret_key = (self.secrets.path / S3_CREDENTIALS).read_text().partition(":")
        return s3_client(self.endpoint, access_key, secret_key)

    def keys(self) -> list[str]:
        listing = self.client().list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}/")
        return sorted(item["Key"] for item in listing.get("Contents", ()))


@pytest.fixture(scope="module")
def setting(tmp_path_factory: pytest.TempPathFactory, stack_secrets: SecretsDir) -> Iterator[_Setting]:
    """A copy of the stack's secrets with the bucket's key; the bucket; the two stores to archive."""
    state = tmp_path_factory.mktemp("archive-s3")
    secrets = SecretsDir(state / "secrets")
    shutil.copytree(stack_secrets.path, secrets.path)
    access_key, secret_key = "tta-otel-archives", token()
    write_private(secrets.path / S3_CREDENTIALS, f"{access_key}:{secret_key}".encode())
    (state / "prometheus.yml").write_text(_PROMETHEUS_CONFIG)
    with ExitStack() as running:
        endpoint = running.enter_context(
            running_seaweedfs(components(REPO)["seaweedfs"].binary(), state / "seaweedfs", access_key, secret_key)
        )
        prometheus = running.enter_context(
            running_component(
                REPO, "prometheus", state / "prometheus", secrets, configs=[state / "prometheus.yml"], port=free_port()
            )
        )
        long_term = running.enter_context(
            running_component(REPO, "victoriametrics", state / "victoriametrics", secrets, port=free_port())
        )
        import_series(long_term, long_term_auth(secrets), SERIES)
        setting = _Setting(secrets, endpoint, prometheus, long_term, state)
        setting.client().create_bucket(Bucket=BUCKET)
        yield setting


def _create(setting: _Setting, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    monkeypatch.setenv("TTA_PROMETHEUS_URL", setting.prometheus)
    monkeypatch.setenv("TTA_VICTORIAMETRICS_URL", setting.long_term)
    data_dirs = [
        f"--data-dir={setting.state / 'prometheus' / 'data'}",
        f"--long-term-data-dir={setting.state / 'victoriametrics' / 'data'}",
    ]
    capsys.readouterr()
    assert main(setting.cli("create", *data_dirs)) == 0
    created: dict[str, Any] = json.loads(capsys.readouterr().out)
    return created


def test_an_archive_in_the_bucket_lists_and_restores_into_a_store_that_answers_the_same(
    setting: _Setting, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = answers(setting.long_term, long_term_auth(setting.secrets))
    created = _create(setting, monkeypatch, capsys)
    archive = created["id"]
    assert setting.keys() == [
        f"{PREFIX}/{archive}/manifest.json",
        f"{PREFIX}/{archive}/prometheus.tar.enc",
        f"{PREFIX}/{archive}/victoriametrics.tar.enc",
    ]
    assert main(setting.cli("list")) == 0
    assert capsys.readouterr().out.startswith(f"{archive}  prometheus ")

    restored = tmp_path / "restored"
    assert main(setting.cli("restore", archive, "--long-term-into", str(restored / "data"))) == 0
    with running_component(REPO, "victoriametrics", restored, setting.secrets, port=free_port()) as url:
        assert answers(url, long_term_auth(setting.secrets)) == before


def test_a_tampered_object_in_the_bucket_is_refused(
    setting: _Setting, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = _create(setting, monkeypatch, capsys)["id"]
    key = f"{PREFIX}/{archive}/{VICTORIAMETRICS}.tar.enc"
    client = setting.client()
    data = bytearray(client.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    data[len(data) // 2] ^= 1
    client.put_object(Bucket=BUCKET, Key=key, Body=bytes(data))
    assert main(setting.cli("restore", archive, "--long-term-into", str(tmp_path / "restored"))) == 1
    assert "does not match the digest" in capsys.readouterr().err
    assert not (tmp_path / "restored").exists()


def test_pruning_removes_the_archives_from_the_bucket(
    setting: _Setting, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = _create(setting, monkeypatch, capsys)["id"]
    bucket = Bucket.at(f"s3://{BUCKET}/{PREFIX}", setting.endpoint, setting.secrets)
    bucket.pull_manifests(tmp_path)
    removed = prune(tmp_path, timedelta(0), remove=bucket.remove)
    assert archive in {manifest.id for manifest in removed}
    assert setting.keys() == []


def test_a_wrong_key_is_a_clear_error(setting: _Setting, tmp_path: Path) -> None:
    secrets = SecretsDir(tmp_path / "secrets")
    secrets.path.mkdir(mode=0o700)
    write_private(secrets.path / S3_CREDENTIALS, b"tta-otel-archives:not-the-key")
    bucket = Bucket.at(f"s3://{BUCKET}/{PREFIX}", setting.endpoint, secrets)
    with pytest.raises(BucketError, match=f"s3://{BUCKET}/{PREFIX} at {setting.endpoint}: reading the manifests"):
        bucket.pull_manifests(tmp_path / "copy")


def test_the_seaweedfs_build_is_the_release_that_compose_runs() -> None:
    """versions.env pins the module proxy's pseudo-version for the build and its release for the
    image of Tempo's object store (tempo/docker-compose.scalable.yml): one SeaweedFS."""
    binary = components(REPO)["seaweedfs"].binary()
    printed = subprocess.run([str(binary), "version"], capture_output=True, text=True, check=True, timeout=30).stdout
    assert f" {read_versions(REPO / 'versions.env')['SEAWEEDFS_RELEASE']} " in printed
