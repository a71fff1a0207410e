"""The stack's secrets, made by ``tta-otel secrets init`` and read by the runner, compose and the services.

Every secret is one file in one directory (default ``$TTA_OTEL_STATE/secrets``), the
directory mode 0700 and each file created with mode 0600 from the start (``O_CREAT|O_EXCL``,
never written then chmod-ed). ``init`` never replaces an existing secret unless asked to
rotate; a rotation writes a new file beside the old one and renames it over, so a reader
sees the old secret or the new one, never half of either.

Derived files follow their source: the password alone, its ``Authorization: Basic`` form
and the web configuration (``*-web.yml``, bcrypt hashes) are rewritten whenever their
credentials are made (each client reads the form it takes), and the OTLP server certificate is issued again
whenever the CA is made, since neither is of any use without the other.

The typed way in for the runner and compose: ``SecretsDir(path).require(name)`` gives the
path of a secret, or raises ``MissingSecretError`` whose message says to run
``tta-otel secrets init``; ``read(name)`` gives its text.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import ipaddress
import os
import re
import secrets
import stat
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final

import yaml

from tta_otel import audit_log
from tta_otel.environment_variables import TTA_SECRETS_DIR, state_dir

PSEUDONYM_KEYS: Final = "pseudonym-keys"
COLLECTOR_PSEUDONYM_KEY: Final = "collector-pseudonym-key"
OTLP_TOKEN: Final = "otlp-token"
PROMETHEUS_CREDENTIALS: Final = "prometheus-credentials"
PROMETHEUS_PASSWORD: Final = "prometheus-password"
PROMETHEUS_BASIC_AUTH: Final = "prometheus-basic-auth"
PROMETHEUS_WEB_CONFIG: Final = "prometheus-web.yml"
ALERTMANAGER_CREDENTIALS: Final = "alertmanager-credentials"
ALERTMANAGER_PASSWORD: Final = "alertmanager-password"
ALERTMANAGER_BASIC_AUTH: Final = "alertmanager-basic-auth"
ALERTMANAGER_WEB_CONFIG: Final = "alertmanager-web.yml"
JAEGER_CREDENTIALS: Final = "jaeger-credentials"
JAEGER_BASIC_AUTH: Final = "jaeger-basic-auth"
JAEGER_HTPASSWD: Final = "jaeger-htpasswd"
VICTORIALOGS_CREDENTIALS: Final = "victorialogs-credentials"
VICTORIALOGS_PASSWORD: Final = "victorialogs-password"
VICTORIALOGS_BASIC_AUTH: Final = "victorialogs-basic-auth"
VICTORIAMETRICS_CREDENTIALS: Final = "victoriametrics-credentials"
VICTORIAMETRICS_PASSWORD: Final = "victoriametrics-password"
TRACE_OBJECTS_CREDENTIALS: Final = "trace-objects-credentials"
TRACE_OBJECTS_PASSWORD: Final = "trace-objects-password"
GRAFANA_ADMIN_PASSWORD: Final = "grafana-admin-password"
ALERTS_WEBHOOK_TOKEN: Final = "alerts-webhook-token"
ARCHIVE_KEY: Final = "archive-key"
CA_KEY: Final = "ca.key"
CA_CERT: Final = "ca.crt"
OTLP_SERVER_KEY: Final = "otlp-server.key"
OTLP_SERVER_CERT: Final = "otlp-server.crt"

BASIC_AUTH_USER: Final = "tta-otel"
"""The user of Prometheus's and Alertmanager's basic auth."""

KEY_BYTES: Final = 32
"""Random bytes in every key, token and password (256 bits)."""

SERVER_NAMES: Final = ("localhost", "otel-collector")
SERVER_ADDRESSES: Final = ("127.0.0.1",)
"""The OTLP receivers' certificate names: loopback natively, the service name under compose."""

CA_DAYS: Final = 3650
SERVER_DAYS: Final = 825

_BCRYPT_ROUNDS = 12
_KEY_ID = re.compile(r"^k(\d+)$")

WHAT: Final[dict[str, str]] = {
    PSEUDONYM_KEYS: "the distro's pseudonym keys (TTA_PSEUDONYM_KEY_FILE), current first",
    COLLECTOR_PSEUDONYM_KEY: "the collector's pseudonym key (read by its generated privacy processors)",
    OTLP_TOKEN: "the bearer token OTLP clients send to the collector",
    PROMETHEUS_CREDENTIALS: f"Prometheus's basic auth for clients ({BASIC_AUTH_USER}:<password>)",
    PROMETHEUS_PASSWORD: "the same password alone (Prometheus's and Grafana's password_file)",
    PROMETHEUS_BASIC_AUTH: "the same, base64 as `Authorization: Basic` takes it (the collector, health checks)",
    PROMETHEUS_WEB_CONFIG: "Prometheus's --web.config.file (bcrypt hash of its password)",
    ALERTMANAGER_CREDENTIALS: f"Alertmanager's basic auth for clients ({BASIC_AUTH_USER}:<password>)",
    ALERTMANAGER_PASSWORD: "the same password alone (Prometheus's and Grafana's password_file)",
    ALERTMANAGER_BASIC_AUTH: "the same, base64 as `Authorization: Basic` takes it (Loki's ruler, health checks)",
    ALERTMANAGER_WEB_CONFIG: "Alertmanager's --web.config.file (bcrypt hash of its password)",
    JAEGER_CREDENTIALS: f"Jaeger's basic auth, query API and OTLP receivers ({BASIC_AUTH_USER}:<password>)",
    JAEGER_BASIC_AUTH: "the same, base64 as `Authorization: Basic` takes it (the collector's exporter)",
    JAEGER_HTPASSWD: "the same as an htpasswd line with its bcrypt hash (Jaeger's basicauth extension)",
    VICTORIALOGS_CREDENTIALS: f"VictoriaLogs's basic auth ({BASIC_AUTH_USER}:<password>)",
    VICTORIALOGS_PASSWORD: "the same password alone (VictoriaLogs's -httpAuth.password=file://...)",
    VICTORIALOGS_BASIC_AUTH: "the same, base64 as `Authorization: Basic` takes it (the collector's exporter)",
    VICTORIAMETRICS_CREDENTIALS: f"VictoriaMetrics's basic auth, the long-term tier ({BASIC_AUTH_USER}:<password>)",
    VICTORIAMETRICS_PASSWORD: "the same password alone (its -httpAuth.password, Prometheus's remote_write, Grafana)",
    TRACE_OBJECTS_CREDENTIALS: f"the S3 key of Tempo's object store, scalable mode ({BASIC_AUTH_USER}:<secret>)",
    TRACE_OBJECTS_PASSWORD: "the same secret key alone (tempo/docker-compose.scalable.yml: Tempo and its store)",
    GRAFANA_ADMIN_PASSWORD: "Grafana's admin password (GF_SECURITY_ADMIN_PASSWORD__FILE)",
    ALERTS_WEBHOOK_TOKEN: "the bearer token of `tta-otel alerts serve` (--token-file)",
    ARCHIVE_KEY: "the AES-256 key that encrypts archives before they leave the machine (hex)",
    CA_KEY: "the local CA's private key",
    CA_CERT: "the local CA's certificate (clients trust it)",
    OTLP_SERVER_KEY: "the OTLP receivers' TLS private key",
    OTLP_SERVER_CERT: "the OTLP receivers' TLS certificate, issued by the local CA",
}
"""Every file ``init`` makes, in the order it makes them, and what each is for."""


class SecretsError(RuntimeError):
    """The secrets directory or a secret cannot be used; the message says what to do."""


class MissingSecretError(SecretsError):
    """A secret the caller needs does not exist yet."""


class Action(StrEnum):
    CREATED = "created"
    ROTATED = "rotated"
    KEPT = "kept"


@dataclass(frozen=True)
class Outcome:
    name: str
    path: Path
    action: Action


class SecretFileError(ValueError):
    """A token or credentials file that cannot be used; the message says what to do."""


def read_secret_file(path: Path, what: str) -> str:
    """The content of a secret file (stripped): it must exist, be non-empty and readable by its owner only."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise SecretFileError(
            f"{path} ({what}) does not exist: run `tta-otel secrets init`, or pass the file's path"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretFileError(f"cannot read {path} ({what}): {exc}") from exc
    if stat.S_IMODE(mode) & 0o077:
        raise SecretFileError(f"{path} ({what}) may be read by others (mode {stat.S_IMODE(mode):04o}): chmod 600 it")
    if not text:
        raise SecretFileError(f"{path} ({what}) is empty")
    return text


def token() -> str:
    """A fresh secret: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(KEY_BYTES)


def default_dir() -> Path:
    """``$TTA_SECRETS_DIR``, else ``$TTA_OTEL_STATE/secrets`` (default ``~/.local/state/tta-otel/secrets``)."""
    named = os.environ.get(TTA_SECRETS_DIR)
    return Path(named) if named else state_dir() / "secrets"


def _unsafe(mode: int) -> bool:
    return bool(stat.S_IMODE(mode) & 0o077)


def write_private(path: Path, content: bytes, *, replace: bool = False) -> None:
    """Write ``content`` to a new file of mode 0600; with ``replace``, atomically over an existing one."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    target = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp") if replace else path
    fd = os.open(target, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        if replace:
            os.replace(target, path)
    except BaseException:
        if replace:
            target.unlink(missing_ok=True)
        raise


class SecretsDir:
    """One directory of secrets (mode 0700, files 0600)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else default_dir()

    def __repr__(self) -> str:
        return f"SecretsDir({str(self.path)!r})"

    def path_of(self, name: str) -> Path:
        if name not in WHAT:
            raise KeyError(f"no secret {name!r}; secrets: {', '.join(WHAT)}")
        return self.path / name

    def _init_hint(self) -> str:
        where = "" if self.path == default_dir() else f" --dir {self.path}"
        return f"run `tta-otel secrets init{where}`"

    def check_directory(self) -> None:
        """Raise SecretsError unless the directory exists, is a real directory of this user, mode 0700 or less."""
        try:
            info = os.lstat(self.path)
        except FileNotFoundError:
            raise MissingSecretError(f"no secrets directory {self.path}: {self._init_hint()}") from None
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
            raise SecretsError(f"{self.path} is not a directory (a symbolic link or a file): give another --dir")
        if info.st_uid != os.getuid():
            raise SecretsError(f"{self.path} belongs to uid {info.st_uid}, not to this user (uid {os.getuid()})")
        if _unsafe(info.st_mode):
            raise SecretsError(
                f"{self.path} has mode {stat.S_IMODE(info.st_mode):04o}: others may read the secrets; "
                f"run `chmod 700 {self.path}`"
            )

    def require(self, name: str) -> Path:
        """The path of secret ``name``, checked: it exists, is a plain file and only its owner may read it."""
        path = self.path_of(name)
        self.check_directory()
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            raise MissingSecretError(f"the secret {path} ({WHAT[name]}) does not exist: {self._init_hint()}") from None
        if not stat.S_ISREG(info.st_mode):
            raise SecretsError(f"the secret {path} is not a plain file")
        if _unsafe(info.st_mode):
            raise SecretsError(f"the secret {path} has mode {stat.S_IMODE(info.st_mode):04o}: run `chmod 600 {path}`")
        return path

    def read(self, name: str) -> str:
        """The text of secret ``name``, without surrounding white space."""
        return self.require(name).read_text(encoding="utf-8").strip()

    def _prepare(self) -> None:
        """Create the directory (0700) if need be; refuse an unsafe one."""
        if not self.path.exists() and not self.path.is_symlink():
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                os.mkdir(self.path, 0o700)
            except OSError as exc:
                raise SecretsError(f"cannot create the secrets directory {self.path}: {exc.strerror}") from exc
        self.check_directory()

    def init(self, *, rotate: bool | Collection[str] = False) -> list[Outcome]:
        """Make every missing secret; with ``rotate``, replace every secret (``True``) or the named ones
        (and what derives from them). What was done to each file, in order."""
        if not isinstance(rotate, bool) and (unknown := sorted(set(rotate) - set(WHAT))):
            raise SecretsError(f"no secret {', '.join(unknown)}; secrets: {', '.join(WHAT)}")
        self._prepare()
        outcomes: list[Outcome] = []
        made: set[str] = set()

        def step(names: tuple[str, ...], make: Callable[[], dict[str, bytes]], depends_on: str | None = None) -> None:
            exist = [self.path_of(n).exists() for n in names]
            source_made = depends_on is not None and depends_on in made
            rotating = rotate if isinstance(rotate, bool) else any(name in rotate for name in names)
            if all(exist) and not rotating and not source_made:
                outcomes.extend(Outcome(n, self.path_of(n), Action.KEPT) for n in names)
                return
            for name, content in make().items():
                path = self.path_of(name)
                existed = path.exists()
                before = audit_log.digest_of(path.read_bytes()) if existed else None
                write_private(path, content, replace=existed)
                made.add(name)
                outcomes.append(Outcome(name, path, Action.ROTATED if existed else Action.CREATED))
                audit_log.record(
                    "secret.rotate" if existed else "secret.create",
                    name,
                    before=before,
                    after=audit_log.digest_of(content),
                )

        step((PSEUDONYM_KEYS,), lambda: {PSEUDONYM_KEYS: self._pseudonym_keys()})
        step((COLLECTOR_PSEUDONYM_KEY,), lambda: {COLLECTOR_PSEUDONYM_KEY: secrets.token_hex(KEY_BYTES).encode()})
        step((OTLP_TOKEN,), lambda: {OTLP_TOKEN: token().encode()})
        for credentials, derived in (
            (PROMETHEUS_CREDENTIALS, (PROMETHEUS_PASSWORD, PROMETHEUS_BASIC_AUTH, PROMETHEUS_WEB_CONFIG)),
            (ALERTMANAGER_CREDENTIALS, (ALERTMANAGER_PASSWORD, ALERTMANAGER_BASIC_AUTH, ALERTMANAGER_WEB_CONFIG)),
            (JAEGER_CREDENTIALS, (JAEGER_BASIC_AUTH, JAEGER_HTPASSWD)),
            (VICTORIALOGS_CREDENTIALS, (VICTORIALOGS_PASSWORD, VICTORIALOGS_BASIC_AUTH)),
            (VICTORIAMETRICS_CREDENTIALS, (VICTORIAMETRICS_PASSWORD,)),
            (TRACE_OBJECTS_CREDENTIALS, (TRACE_OBJECTS_PASSWORD,)),
        ):
            step((credentials,), functools.partial(_user_password, credentials))
            step(derived, functools.partial(self._derived, credentials, derived), depends_on=credentials)
        step((GRAFANA_ADMIN_PASSWORD,), lambda: {GRAFANA_ADMIN_PASSWORD: token().encode()})
        step((ALERTS_WEBHOOK_TOKEN,), lambda: {ALERTS_WEBHOOK_TOKEN: token().encode()})
        step((ARCHIVE_KEY,), lambda: {ARCHIVE_KEY: secrets.token_hex(KEY_BYTES).encode()})
        step((CA_KEY, CA_CERT), _certificate_authority)
        step((OTLP_SERVER_KEY, OTLP_SERVER_CERT), self._server_certificate, depends_on=CA_KEY)
        return outcomes

    def _pseudonym_keys(self) -> bytes:
        """A new current key; the current one (if any) kept as the previous, so pseudonyms link across a rotation."""
        path = self.path_of(PSEUDONYM_KEYS)
        previous = ""
        number = 0
        if path.exists():
            lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
            current = next((line for line in lines if line and not line.startswith("#")), "")
            if current:
                previous = current
                match = _KEY_ID.match(current.partition(":")[0])
                number = int(match[1]) if match else 0
        lines = [f"k{number + 1}:{secrets.token_hex(KEY_BYTES)}"]
        if previous:
            lines.append(previous)
        return ("\n".join(lines) + "\n").encode()

    def _derived(self, credentials_name: str, names: tuple[str, ...]) -> dict[str, bytes]:
        """The forms of one ``user:password`` its clients and its server read, by file name."""
        import bcrypt

        credentials = self.read(credentials_name)
        user, _, password = credentials.partition(":")
        header = f"# --web.config.file: basic auth of the user in {credentials_name}; made by `tta-otel secrets init`\n"

        def form(kind: str) -> bytes:
            if kind == "password":
                return password.encode()
            if kind == "auth":
                return base64.b64encode(credentials.encode())
            hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=_BCRYPT_ROUNDS)).decode()
            if kind == "htpasswd":
                return f"{user}:{hashed}\n".encode()
            return (header + yaml.safe_dump({"basic_auth_users": {user: hashed}}, sort_keys=False)).encode()

        return {name: form(name.rpartition("-")[2]) for name in names}

    def _server_certificate(self) -> dict[str, bytes]:
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization

        ca_key = serialization.load_pem_private_key(self.require(CA_KEY).read_bytes(), password=None)
        ca_cert = x509.load_pem_x509_certificate(self.require(CA_CERT).read_bytes())
        return _issue_server_certificate(ca_key, ca_cert)


def _user_password(name: str) -> dict[str, bytes]:
    return {name: f"{BASIC_AUTH_USER}:{token()}".encode()}


def _pem_key(key: object) -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _certificate_authority() -> dict[str, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tta-otel local CA")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return {CA_KEY: _pem_key(key), CA_CERT: certificate.public_bytes(serialization.Encoding.PEM)}


def _issue_server_certificate(ca_key: object, ca_cert: object) -> dict[str, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    if not isinstance(ca_key, ec.EllipticCurvePrivateKey) or not isinstance(ca_cert, x509.Certificate):
        raise SecretsError("the local CA is not one `tta-otel secrets init` made: run it with --rotate")
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in SERVER_NAMES]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in SERVER_ADDRESSES]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "otel-collector")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(min(now + dt.timedelta(days=SERVER_DAYS), ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return {OTLP_SERVER_KEY: _pem_key(key), OTLP_SERVER_CERT: certificate.public_bytes(serialization.Encoding.PEM)}
