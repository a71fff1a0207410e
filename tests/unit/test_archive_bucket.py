"""Specification of an archive location in a bucket (``--archives s3://bucket/prefix``): what it
needs and the error for each thing missing. The round trip through a real S3 server is
tests/stack/test_archive_s3.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tta_otel.ops.archive_bucket import S3_CREDENTIALS, TTA_ARCHIVE_S3_ENDPOINT, Bucket, BucketError, is_bucket
from tta_otel.ops.cli.main import main
from tta_otel.ops.secrets import SecretsDir, write_private


@pytest.fixture
def secrets(tmp_path: Path) -> SecretsDir:
    directory = SecretsDir(tmp_path / "secrets")
    directory.path.mkdir(mode=0o700)
    return directory


def test_a_location_is_a_bucket_by_its_scheme() -> None:
    assert (is_bucket("s3://archives/tta"), is_bucket("/var/lib/tta/archives")) == (True, False)


def test_the_bucket_prefix_endpoint_and_key_are_read(secrets: SecretsDir) -> None:
    write_private(secrets.path / S3_CREDENTIALS, b"AKIDEXAMPLE:a-synthetic-secret\n")
    bucket = Bucket.at("s3://archives/tta/native/", "http://127.0.0.1:8333", secrets)
    assert (bucket.name, bucket.prefix, bucket.endpoint, bucket.access_key, bucket.secret_key) == (
        "archives",
        "tta/native",
        "http://127.0.0.1:8333",
        "AKIDEXAMPLE",
        "a-synthetic-secret",
    )
    assert "a-synthetic-secret" not in repr(bucket)


def test_a_location_without_a_bucket_is_refused(secrets: SecretsDir) -> None:
    with pytest.raises(BucketError, match="'s3:///tta' is not s3://bucket"):
        Bucket.at("s3:///tta", "http://127.0.0.1:8333", secrets)


def test_a_bucket_without_an_endpoint_says_how_to_give_one(secrets: SecretsDir) -> None:
    with pytest.raises(BucketError, match="needs --s3-endpoint or TTA_ARCHIVE_S3_ENDPOINT"):
        Bucket.at("s3://archives", None, secrets)


def test_missing_credentials_say_what_to_write(secrets: SecretsDir) -> None:
    with pytest.raises(BucketError, match="does not exist: write the bucket's ACCESS_KEY:SECRET_KEY there, mode 0600"):
        Bucket.at("s3://archives", "http://127.0.0.1:8333", secrets)


def test_credentials_others_may_read_are_refused(secrets: SecretsDir) -> None:
    path = secrets.path / S3_CREDENTIALS
    path.write_text("AKIDEXAMPLE:a-synthetic-secret")
    path.chmod(0o644)
    with pytest.raises(BucketError, match="may be read by others"):
        Bucket.at("s3://archives", "http://127.0.0.1:8333", secrets)


def test_credentials_without_a_secret_are_refused(secrets: SecretsDir) -> None:
    write_private(secrets.path / S3_CREDENTIALS, b"AKIDEXAMPLE")
    with pytest.raises(BucketError, match="must hold ACCESS_KEY:SECRET_KEY on one line"):
        Bucket.at("s3://archives", "http://127.0.0.1:8333", secrets)


@pytest.mark.parametrize("action", ["list", "prune"])
def test_the_cli_names_what_a_bucket_lacks_instead_of_failing(
    action: str, secrets: SecretsDir, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TTA_ARCHIVE_S3_ENDPOINT, raising=False)
    arguments = ["archive", action, "--archives", "s3://archives", "--secrets-dir", str(secrets.path)]
    assert main(arguments) == 1
    assert capsys.readouterr().err == "error: an S3 location needs --s3-endpoint or TTA_ARCHIVE_S3_ENDPOINT\n"
