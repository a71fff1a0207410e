"""``tta-otel secrets init``: every secret the stack needs, private from the start, rotated on demand."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import bcrypt
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from tta_otel.ops import secrets as s
from tta_otel.ops.cli.main import main
from tta_otel.privacy.pseudonym import pseudonymizer_from_environment


@pytest.fixture(autouse=True)
def _fast_bcrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cost of the hashes is not under test (the format is); 2^4 rounds keep the tests quick."""
    monkeypatch.setattr(s, "_BCRYPT_ROUNDS", 4)


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    return tmp_path / "state" / "secrets"


def _init(directory: Path, *extra: str) -> int:
    return main(["secrets", "init", "--dir", str(directory), *extra])


def _contents(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in directory.iterdir()}


def test_init_creates_every_secret_private_in_a_private_directory(directory: Path) -> None:
    assert _init(directory) == 0

    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert sorted(path.name for path in directory.iterdir()) == sorted(s.WHAT)
    for path in directory.iterdir():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path.name
        assert path.stat().st_size > 0


def test_files_are_created_0600_whatever_the_umask(directory: Path) -> None:
    previous = os.umask(0o000)
    try:
        assert _init(directory) == 0
    finally:
        os.umask(previous)

    assert {stat.S_IMODE(os.stat(p).st_mode) for p in directory.iterdir()} == {0o600}


def test_init_prints_paths_and_never_a_value(directory: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _init(directory)

    out = capsys.readouterr().out
    for name in s.WHAT:
        assert str(directory / name) in out
    secrets = [
        s.SecretsDir(directory).read(n) for n in (s.OTLP_TOKEN, s.GRAFANA_ADMIN_PASSWORD, s.ALERTS_WEBHOOK_TOKEN)
    ]
    for value in secrets:
        assert value not in out
    assert s.SecretsDir(directory).read(s.PROMETHEUS_PASSWORD) not in out


def test_an_existing_secret_is_never_overwritten_without_rotate(
    directory: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _init(directory)
    before = _contents(directory)
    (directory / s.OTLP_TOKEN).unlink()

    assert _init(directory) == 0

    after = _contents(directory)
    assert {name: after[name] for name in before if name != s.OTLP_TOKEN} == {
        name: value for name, value in before.items() if name != s.OTLP_TOKEN
    }
    assert after[s.OTLP_TOKEN] != before[s.OTLP_TOKEN]
    out = capsys.readouterr().out
    assert f"created  {directory / s.OTLP_TOKEN}" in out
    assert f"kept     {directory / s.GRAFANA_ADMIN_PASSWORD}" in out


def test_rotate_replaces_every_secret_and_keeps_the_previous_pseudonym_key(directory: Path) -> None:
    _init(directory)
    before = _contents(directory)
    first_key = before[s.PSEUDONYM_KEYS].decode().splitlines()[0]

    assert _init(directory, "--rotate") == 0

    after = _contents(directory)
    assert sorted(after) == sorted(before)  # no temporary file left behind
    assert all(after[name] != before[name] for name in before), [n for n in before if after[n] == before[n]]
    lines = after[s.PSEUDONYM_KEYS].decode().splitlines()
    assert lines[1] == first_key
    assert lines[0].split(":")[0] != first_key.split(":")[0]
    assert {stat.S_IMODE(os.stat(p).st_mode) for p in directory.iterdir()} == {0o600}
    _init(directory, "--rotate")
    assert _contents(directory)[s.PSEUDONYM_KEYS].decode().splitlines()[1] == lines[0]


def test_the_pseudonym_key_file_is_what_the_distro_reads_and_links_across_a_rotation(directory: Path) -> None:
    _init(directory)
    path = directory / s.PSEUDONYM_KEYS
    old = pseudonymizer_from_environment(path).pseudonymize("player-4711")

    _init(directory, "--rotate")

    rotated = pseudonymizer_from_environment(path)
    assert rotated.pseudonymize("player-4711") != old
    assert rotated.matches("player-4711", old)


@pytest.mark.parametrize("name", [s.PSEUDONYM_KEYS, s.COLLECTOR_PSEUDONYM_KEY])
def test_a_pseudonym_key_has_at_least_32_random_bytes(directory: Path, name: str) -> None:
    _init(directory)

    secret = s.SecretsDir(directory).read(name).splitlines()[0].rpartition(":")[2]

    assert len(bytes.fromhex(secret)) >= 32


@pytest.mark.parametrize("name", [s.OTLP_TOKEN, s.GRAFANA_ADMIN_PASSWORD, s.ALERTS_WEBHOOK_TOKEN])
def test_tokens_and_passwords_are_long_and_distinct(directory: Path, name: str) -> None:
    _init(directory)
    value = s.SecretsDir(directory).read(name)

    assert len(value) >= 43  # 32 bytes, URL-safe base64
    others = [s.SecretsDir(directory).read(n) for n in (s.OTLP_TOKEN, s.GRAFANA_ADMIN_PASSWORD, s.ALERTS_WEBHOOK_TOKEN)]
    assert others.count(value) == 1


@pytest.mark.parametrize(
    ("password", "web"),
    [(s.PROMETHEUS_CREDENTIALS, s.PROMETHEUS_WEB_CONFIG), (s.ALERTMANAGER_CREDENTIALS, s.ALERTMANAGER_WEB_CONFIG)],
)
def test_the_web_config_holds_a_bcrypt_hash_that_verifies_the_password(
    directory: Path, password: str, web: str
) -> None:
    _init(directory)
    user, _, plain = s.SecretsDir(directory).read(password).partition(":")

    config = yaml.safe_load((directory / web).read_text())

    assert list(config) == ["basic_auth_users"]
    hashed = config["basic_auth_users"][user]
    assert hashed.startswith("$2")
    assert bcrypt.checkpw(plain.encode(), hashed.encode())
    assert not bcrypt.checkpw(b"not-the-password", hashed.encode())
    assert plain not in (directory / web).read_text()


def test_a_web_config_is_remade_from_an_existing_password(directory: Path) -> None:
    _init(directory)
    (directory / s.ALERTMANAGER_WEB_CONFIG).unlink()
    _init(directory)

    user, _, plain = s.SecretsDir(directory).read(s.ALERTMANAGER_CREDENTIALS).partition(":")
    hashed = yaml.safe_load((directory / s.ALERTMANAGER_WEB_CONFIG).read_text())["basic_auth_users"][user]
    assert bcrypt.checkpw(plain.encode(), hashed.encode())


@pytest.mark.parametrize(
    ("credentials", "password"),
    [(s.PROMETHEUS_CREDENTIALS, s.PROMETHEUS_PASSWORD), (s.ALERTMANAGER_CREDENTIALS, s.ALERTMANAGER_PASSWORD)],
)
def test_the_password_file_holds_the_password_of_the_credentials_alone(
    directory: Path, credentials: str, password: str
) -> None:
    _init(directory)

    user, _, plain = s.SecretsDir(directory).read(credentials).partition(":")

    assert user == s.BASIC_AUTH_USER
    assert (directory / password).read_bytes() == plain.encode()


def test_the_authorization_file_is_the_basic_header_of_the_prometheus_credentials(directory: Path) -> None:
    _init(directory)

    credentials = s.SecretsDir(directory).read(s.PROMETHEUS_CREDENTIALS)

    assert (directory / s.PROMETHEUS_BASIC_AUTH).read_bytes() == base64.b64encode(credentials.encode())


def test_rotating_credentials_remakes_every_form_of_them(directory: Path) -> None:
    _init(directory)
    (directory / s.PROMETHEUS_CREDENTIALS).unlink()
    _init(directory)

    plain = s.SecretsDir(directory).read(s.PROMETHEUS_CREDENTIALS).partition(":")[2]
    assert (directory / s.PROMETHEUS_PASSWORD).read_text() == plain
    assert (
        base64.b64encode(f"{s.BASIC_AUTH_USER}:{plain}".encode()) in (directory / s.PROMETHEUS_BASIC_AUTH).read_bytes()
    )


def _certificates(directory: Path) -> tuple[x509.Certificate, x509.Certificate]:
    return (
        x509.load_pem_x509_certificate((directory / s.CA_CERT).read_bytes()),
        x509.load_pem_x509_certificate((directory / s.OTLP_SERVER_CERT).read_bytes()),
    )


def test_the_server_certificate_chains_to_the_ca_and_names_the_receivers(directory: Path) -> None:
    _init(directory)
    ca, server = _certificates(directory)

    server.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert not server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(names.get_values_for_type(x509.DNSName)) == {"localhost", "otel-collector"}
    assert [str(a) for a in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert server.not_valid_after_utc > server.not_valid_before_utc


def test_the_server_key_belongs_to_the_certificate(directory: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    _init(directory)
    key = serialization.load_pem_private_key((directory / s.OTLP_SERVER_KEY).read_bytes(), password=None)
    _, server = _certificates(directory)

    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.public_key().public_numbers() == server.public_key().public_numbers()  # type: ignore[union-attr]


def test_a_new_ca_issues_the_server_certificate_again(directory: Path) -> None:
    _init(directory)
    (directory / s.CA_KEY).unlink()
    (directory / s.CA_CERT).unlink()

    _init(directory)

    ca, server = _certificates(directory)
    server.verify_directly_issued_by(ca)


def test_require_names_the_command_when_a_secret_is_missing(directory: Path) -> None:
    with pytest.raises(s.MissingSecretError, match=r"tta-otel secrets init --dir"):
        s.SecretsDir(directory).require(s.OTLP_TOKEN)
    _init(directory)
    (directory / s.OTLP_TOKEN).unlink()

    with pytest.raises(s.MissingSecretError, match=r"otlp-token .* does not exist: run `tta-otel secrets init"):
        s.SecretsDir(directory).require(s.OTLP_TOKEN)
    assert s.SecretsDir(directory).require(s.GRAFANA_ADMIN_PASSWORD) == directory / s.GRAFANA_ADMIN_PASSWORD


def test_require_refuses_a_secret_others_may_read(directory: Path) -> None:
    _init(directory)
    (directory / s.OTLP_TOKEN).chmod(0o644)

    with pytest.raises(s.SecretsError, match="chmod 600"):
        s.SecretsDir(directory).require(s.OTLP_TOKEN)


def test_an_unsafe_directory_is_refused_with_a_clear_error(directory: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory.mkdir(parents=True, mode=0o755)
    directory.chmod(0o755)

    assert _init(directory) == 1

    err = capsys.readouterr().err
    assert f"error: {directory} has mode 0755" in err
    assert f"chmod 700 {directory}" in err
    assert list(directory.iterdir()) == []


def test_a_file_in_place_of_the_directory_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "secrets"
    file.write_text("")

    assert _init(file) == 1
    assert "is not a directory" in capsys.readouterr().err


def test_the_default_directory_is_under_the_state_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TTA_OTEL_STATE", str(tmp_path / "state"))

    assert main(["secrets", "init"]) == 0

    assert s.SecretsDir().path == tmp_path / "state" / "secrets"
    (s.SecretsDir().path / s.OTLP_TOKEN).unlink()
    with pytest.raises(s.MissingSecretError, match=r"run `tta-otel secrets init`$"):
        s.SecretsDir().require(s.OTLP_TOKEN)


def test_write_private_never_follows_a_planted_link(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("untouched")
    (tmp_path / "secret").symlink_to(target)

    with pytest.raises(FileExistsError):
        s.write_private(tmp_path / "secret", b"value")
    assert target.read_text() == "untouched"


def test_rotate_with_names_replaces_only_those(directory: Path) -> None:
    _init(directory)
    before = _contents(directory)

    assert _init(directory, "--rotate", s.OTLP_TOKEN, s.PROMETHEUS_CREDENTIALS) == 0

    after = _contents(directory)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {
        s.OTLP_TOKEN,
        s.PROMETHEUS_CREDENTIALS,
        s.PROMETHEUS_PASSWORD,
        s.PROMETHEUS_BASIC_AUTH,
        s.PROMETHEUS_WEB_CONFIG,
    }


def test_rotating_an_unknown_secret_is_an_error_that_lists_the_names(
    directory: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _init(directory)
    before = _contents(directory)

    assert _init(directory, "--rotate", "otlp-tokn") == 1

    assert capsys.readouterr().err.startswith("error: no secret otlp-tokn; secrets: pseudonym-keys, ")
    assert _contents(directory) == before


def test_the_htpasswd_line_verifies_the_jaeger_password(directory: Path) -> None:
    _init(directory)
    user, _, plain = s.SecretsDir(directory).read(s.JAEGER_CREDENTIALS).partition(":")

    name, _, hashed = (directory / s.JAEGER_HTPASSWD).read_text().strip().partition(":")

    assert name == user
    assert bcrypt.checkpw(plain.encode(), hashed.encode())
