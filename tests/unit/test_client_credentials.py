"""What the operator's tools send to the stack, found in the environment or the secrets directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from tta_otel.ops import client_credentials as cc
from tta_otel.ops import secrets
from tta_otel.ops.secrets import SecretFileError, SecretsDir


@pytest.fixture
def directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SecretsDir:
    monkeypatch.setattr(secrets, "_BCRYPT_ROUNDS", 4)
    for variable in ("TTA_PROMETHEUS_CREDENTIALS_FILE", "TTA_OTLP_TOKEN_FILE", "OTEL_EXPORTER_OTLP_CERTIFICATE"):
        monkeypatch.delenv(variable, raising=False)
    made = SecretsDir(tmp_path / "secrets")
    made.init()
    monkeypatch.setenv("TTA_SECRETS_DIR", str(made.path))
    return made


def test_prometheus_credentials_come_from_the_secrets_dir(directory: SecretsDir) -> None:
    user, _, password = directory.read(secrets.PROMETHEUS_CREDENTIALS).partition(":")
    assert cc.prometheus_auth() == (user, password)


def test_the_variable_names_another_file(
    directory: SecretsDir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other"
    secrets.write_private(other, b"reader:s3cret-but-synthetic")
    monkeypatch.setenv("TTA_PROMETHEUS_CREDENTIALS_FILE", str(other))
    assert cc.prometheus_auth() == ("reader", "s3cret-but-synthetic")


def test_no_credentials_anywhere_means_asking_without(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TTA_ALERTMANAGER_CREDENTIALS_FILE", raising=False)
    monkeypatch.setenv("TTA_SECRETS_DIR", str(tmp_path / "none"))
    assert cc.alertmanager_auth() is None


def test_a_file_without_a_user_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    secrets.write_private(path, b"just-a-password")
    with pytest.raises(SecretFileError, match=r"must hold user:password"):
        cc.basic_auth(path, "Prometheus's user:password")


def test_a_file_others_may_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text("user:password")
    path.chmod(0o644)
    with pytest.raises(SecretFileError, match=r"may be read by others \(mode 0644\): chmod 600 it"):
        cc.basic_auth(path, "Prometheus's user:password")


def test_otlp_exporters_of_the_tools_get_the_token_and_the_ca(directory: SecretsDir) -> None:
    arguments = cc.otlp_exporter_arguments()

    assert arguments["headers"] == {"authorization": f"Bearer {directory.read(secrets.OTLP_TOKEN)}"}
    assert arguments["certificate_file"] == str(directory.path / secrets.CA_CERT)
    assert type(arguments["session"]).__name__ == "PinnedCASession"
