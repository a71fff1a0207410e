"""Archives in an S3-compatible bucket: ``tta-otel archive ... --archives s3://bucket/prefix``.

An archive is made, listed, restored and pruned in a local folder exactly as without a bucket
(``tta_otel.ops.archive``); this module moves the folders: each archive's files (its manifest and
its sections, already encrypted, so nothing readable ever leaves the machine) are the objects
``<prefix>/<archive id>/<file>``. The endpoint is ``--s3-endpoint`` or
``TTA_ARCHIVE_S3_ENDPOINT``; the access key and secret are the secrets-directory file
``archive-s3-credentials`` (``ACCESS_KEY:SECRET_KEY``, mode 0600, written by the operator: they
are the bucket owner's, not the stack's). boto3 is imported only here, when a bucket is used
(``pip install tta-otel[archive-s3]``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tta_otel.ops.archive import MANIFEST
from tta_otel.ops.secrets import SecretFileError, SecretsDir, SecretsError, read_secret_file

S3_CREDENTIALS = "archive-s3-credentials"
TTA_ARCHIVE_S3_ENDPOINT = "TTA_ARCHIVE_S3_ENDPOINT"


class BucketError(RuntimeError):
    """The bucket cannot be used as asked; the message says why and what to do."""


def is_bucket(location: str) -> bool:
    return location.startswith("s3://")


@dataclass(frozen=True)
class Bucket:
    """``s3://name/prefix`` at ``endpoint``, with the owner's key."""

    endpoint: str
    name: str
    prefix: str
    access_key: str
    secret_key: str = field(repr=False)

    @classmethod
    def at(cls, location: str, endpoint: str | None, secrets: SecretsDir) -> Bucket:
        """The bucket of ``location`` (``s3://name[/prefix]``), its endpoint and credentials."""
        parts = urlsplit(location)
        if parts.scheme != "s3" or not parts.netloc:
            raise BucketError(f"{location!r} is not s3://bucket[/prefix]")
        if not endpoint:
            raise BucketError(f"an S3 location needs --s3-endpoint or {TTA_ARCHIVE_S3_ENDPOINT}")
        path = secrets.path / S3_CREDENTIALS
        if not path.exists():
            raise BucketError(f"{path} does not exist: write the bucket's ACCESS_KEY:SECRET_KEY there, mode 0600")
        try:
            secrets.check_directory()
            text = read_secret_file(path, "the archive bucket's credentials")
        except (SecretsError, SecretFileError) as error:
            raise BucketError(str(error)) from None
        access_key, colon, secret_key = text.strip().partition(":")
        if not colon or not access_key or not secret_key:
            raise BucketError(f"{path} must hold ACCESS_KEY:SECRET_KEY on one line")
        return cls(endpoint, parts.netloc, parts.path.strip("/"), access_key, secret_key)

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """The S3 client's errors as a BucketError that names the bucket and what was being done."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except (BotoCoreError, ClientError) as error:
            raise BucketError(f"s3://{self.name}/{self.prefix} at {self.endpoint}: {doing}: {error}") from None

    def _client(self) -> Any:
        try:
            import boto3  # only an operator who archives to a bucket needs it
        except ImportError:
            raise BucketError("an s3:// location needs boto3: pip install 'tta-otel[archive-s3]'") from None

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",  # S3-compatible servers ignore it; the signature needs one
        )

    def _key(self, *parts: str) -> str:
        return "/".join(part for part in (self.prefix, *parts) if part)

    def _folder(self, *parts: str) -> str:
        """The key prefix of a folder, with its slash: ``prefix`` alone would also take ``prefix2/``."""
        key = self._key(*parts)
        return f"{key}/" if key else ""

    def _keys(self, client: Any, *parts: str) -> list[str]:
        """Every key in the folder ``parts`` (under the bucket's prefix), at any depth."""
        keys: list[str] = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=self._folder(*parts)):
            keys.extend(item["Key"] for item in page.get("Contents", ()))
        return keys

    def push(self, folder: Path) -> None:
        """Upload the archive ``folder`` (named by its id), its manifest last: an archive whose
        upload broke off has no manifest, so no listing or restore takes it for whole."""
        client = self._client()
        files = sorted((path for path in folder.iterdir() if path.is_file()), key=lambda path: path.name == MANIFEST)
        with self._errors(f"uploading archive {folder.name}"):
            for path in files:
                client.upload_file(str(path), self.name, self._key(folder.name, path.name))

    def pull_manifests(self, into: Path) -> None:
        """Every archive's manifest, each into ``into/<archive id>/``, as ``list_archives`` reads them."""
        client = self._client()
        with self._errors("reading the manifests"):
            for key in self._keys(client):
                archive_id, _, name = key.removeprefix(self._folder()).partition("/")
                if name == MANIFEST:
                    (into / archive_id).mkdir(parents=True, exist_ok=True)
                    client.download_file(self.name, key, str(into / archive_id / name))

    def pull(self, archive_id: str, into: Path) -> None:
        """Archive ``archive_id``, whole, into ``into/<archive id>/``."""
        client = self._client()
        with self._errors(f"downloading archive {archive_id}"):
            keys = self._keys(client, archive_id)
            if self._key(archive_id, MANIFEST) not in keys:
                raise FileNotFoundError(f"no archive {archive_id} in s3://{self.name}/{self.prefix}")
            (into / archive_id).mkdir(parents=True, exist_ok=True, mode=0o700)
            for key in keys:
                client.download_file(self.name, key, str(into / archive_id / key.rsplit("/", 1)[-1]))

    def remove(self, archive_id: str) -> None:
        """Delete every object of archive ``archive_id``, its manifest first."""
        client = self._client()
        with self._errors(f"removing archive {archive_id}"):
            keys = sorted(self._keys(client, archive_id), key=lambda key: not key.endswith(MANIFEST))
            for key in keys:
                client.delete_object(Bucket=self.name, Key=key)


__all__ = ["S3_CREDENTIALS", "TTA_ARCHIVE_S3_ENDPOINT", "Bucket", "BucketError", "is_bucket"]
