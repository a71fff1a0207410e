"""A rotated OTLP token is read by the running collector: the token file is watched, and
``tta-otel secrets init --rotate`` replaces it by a rename, so the new token is accepted and the
old one refused without a restart (`tta-otel secrets init --rotate otlp-token`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.stack.conftest import REPO
from tta_otel.ops import secrets
from tta_otel.ops.cli.main import main
from tta_otel.ops.stack.runner import running_component
from tta_otel.testing.processes import free_port, wait_until


@pytest.fixture
def own_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> secrets.SecretsDir:
    """Secrets of this test alone: rotating the stack's would change them under the other tests."""
    monkeypatch.setattr(secrets, "_BCRYPT_ROUNDS", 4)
    directory = secrets.SecretsDir(tmp_path / "secrets")
    directory.init()
    return directory


@pytest.fixture
def collector_url(tmp_path: Path, own_secrets: secrets.SecretsDir) -> Iterator[str]:
    http, health = free_port(), free_port()
    environment = {
        "TTA_COLLECTOR_OTLP_GRPC_ENDPOINT": f"127.0.0.1:{free_port()}",
        "TTA_COLLECTOR_OTLP_HTTP_ENDPOINT": f"127.0.0.1:{http}",
        "TTA_COLLECTOR_HEALTH_ENDPOINT": f"127.0.0.1:{health}",
        "TTA_COLLECTOR_METRICS_PORT": str(free_port()),
        "TTA_COLLECTOR_PPROF_ENDPOINT": f"127.0.0.1:{free_port()}",
        "TTA_COLLECTOR_ZPAGES_ENDPOINT": f"127.0.0.1:{free_port()}",
        "TTA_PROMETHEUS_OTLP_ENDPOINT": "http://127.0.0.1:9/api/v1/otlp/v1/metrics",
    }
    with running_component(
        REPO, "otel-collector", tmp_path / "collector", own_secrets, port=health, extra_environment=environment
    ):
        yield f"https://127.0.0.1:{http}/v1/logs"


def _status(url: str, directory: secrets.SecretsDir, token: str) -> int:
    with httpx.Client(verify=str(directory.path / secrets.CA_CERT), timeout=10) as client:
        response = client.post(
            url,
            content=b"",
            headers={"Content-Type": "application/x-protobuf", "Authorization": f"Bearer {token}"},
        )
    return response.status_code


def test_a_rotated_token_is_accepted_and_the_old_one_refused_without_a_restart(
    collector_url: str, own_secrets: secrets.SecretsDir
) -> None:
    old = own_secrets.read(secrets.OTLP_TOKEN)
    assert _status(collector_url, own_secrets, old) == 200

    assert main(["secrets", "init", "--dir", str(own_secrets.path), "--rotate", secrets.OTLP_TOKEN]) == 0
    new = own_secrets.read(secrets.OTLP_TOKEN)

    assert wait_until(lambda: _status(collector_url, own_secrets, new) == 200, timeout=15)
    assert _status(collector_url, own_secrets, old) == 401
