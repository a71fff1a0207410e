"""A SeaweedFS server with its S3 gateway, standing for the operator's bucket in tests and benchmarks.

SeaweedFS (Apache-2.0) is our build of the module proxy's pseudo-version (``SEAWEEDFS_VERSION``
in versions.env); it is a test component, not part of the stack: any S3-compatible store serves
``tta-otel archive --archives s3://...``. ``weed server`` runs its master, volume server, filer
and S3 gateway in one process, every port free and on loopback, with one identity whose key the
caller gives (the secrets directory's ``archive-s3-credentials`` in the tests).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tta_otel.testing.processes import free_ports, wait_until

IDENTITY = "tta-otel-archives"


def _answering(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)
    except httpx.HTTPError:
        return False
    return True


_SERVERS = ("master", "volume", "filer", "s3")


def _command(binary: Path, state: Path, ports: dict[str, int], grpc: dict[str, int]) -> list[str]:
    """``ports`` and ``grpc``: the HTTP and gRPC ports of the master, the volume server, the filer
    and the S3 gateway."""
    return [
        str(binary),
        "server",
        f"-dir={state / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-master.telemetry=false",
        "-master.volumeSizeLimitMB=64",
        "-filer",
        "-s3",
        f"-s3.config={state / 's3.json'}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        *(f"-{name}.port={port}" for name, port in ports.items()),
        *(f"-{name}.port.grpc={port}" for name, port in grpc.items()),
    ]


def s3_client(endpoint: str, access_key: str, secret_key: str) -> Any:
    """A boto3 S3 client of the server's identity (boto3: the ``archive-s3`` extra, imported here only)."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name="us-east-1",
    )


@contextmanager
def running_seaweedfs(binary: Path, state: Path, access_key: str, secret_key: str) -> Iterator[str]:
    """``weed server`` (``binary``: the stack's cached build, ``components(...)["seaweedfs"].binary()``)
    with the S3 gateway under ``state``; yields the S3 endpoint, and stops the server by pid
    (SIGTERM, then SIGKILL) whatever happens. The identity's file is written 0600."""
    identities = {
        "identities": [
            {
                "name": IDENTITY,
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "Write", "List"],
            }
        ]
    }
    (state / "data").mkdir(parents=True)
    descriptor = os.open(state / "s3.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as identities_file:
        json.dump(identities, identities_file)
    drawn = free_ports(2 * len(_SERVERS))
    ports = dict(zip(_SERVERS, drawn[: len(_SERVERS)], strict=True))
    grpc = dict(zip(_SERVERS, drawn[len(_SERVERS) :], strict=True))
    command = _command(binary, state, ports, grpc)
    endpoint = f"http://127.0.0.1:{ports['s3']}"
    with open(state / "weed.log", "ab") as log:
        process = subprocess.Popen(command, cwd=state, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        if not wait_until(lambda: _answering(endpoint), timeout=60):
            raise RuntimeError(f"SeaweedFS did not answer at {endpoint}: {(state / 'weed.log').read_text()}")
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)  # it takes longer to stop on its own than its test data is worth
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
