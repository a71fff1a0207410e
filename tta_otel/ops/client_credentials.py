"""What the operator's tools send to the stack: basic auth for Prometheus and Alertmanager, the
bearer token and CA for OTLP.

Each comes from a file named by an environment variable (``eval "$(tta-otel stack env)"``
sets them all), else from the secrets directory when the file is there; no credentials at
all is allowed (a stack without authentication answers, one with it says 401, and the error
names the variable). Values are never printed or logged.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any, Protocol

from tta_otel.environment_variables import (
    TTA_ALERTMANAGER_CREDENTIALS_FILE,
    TTA_JAEGER_CREDENTIALS_FILE,
    TTA_OTLP_TOKEN_FILE,
    TTA_PROMETHEUS_CREDENTIALS_FILE,
    TTA_VICTORIALOGS_CREDENTIALS_FILE,
    TTA_VICTORIAMETRICS_CREDENTIALS_FILE,
)
from tta_otel.ops.secrets import (
    ALERTMANAGER_CREDENTIALS,
    CA_CERT,
    JAEGER_CREDENTIALS,
    OTLP_TOKEN,
    PROMETHEUS_CREDENTIALS,
    VICTORIALOGS_CREDENTIALS,
    VICTORIAMETRICS_CREDENTIALS,
    SecretFileError,
    default_dir,
    read_secret_file,
)
from tta_otel.otlp_auth import bearer_headers, pinned_ca_session

_CERTIFICATE = "OTEL_EXPORTER_OTLP_CERTIFICATE"


def credentials_file(variable: str, secret: str) -> Path | None:
    """The file ``variable`` names, else the secret of that name in the secrets directory if it exists."""
    named = os.environ.get(variable)
    if named:
        return Path(named)
    default = default_dir() / secret
    return default if default.exists() else None


def basic_authorization(user: str, password: str) -> str:
    """The ``Authorization`` header value of HTTP basic auth."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def basic_auth(path: Path | None, what: str) -> tuple[str, str] | None:
    """``(user, password)`` from a ``user:password`` file; None for no file."""
    if path is None:
        return None
    user, separator, password = read_secret_file(path, what).partition(":")
    if not separator or not user:
        raise SecretFileError(f"{path} ({what}) must hold user:password")
    return user, password


class BasicAuthLookup(Protocol):
    """``auth(path=None)``: a server's ``(user, password)`` or None; a Protocol because the path is
    optional, which a ``Callable`` type cannot say (callers without a path would not type-check)."""

    def __call__(self, path: Path | None = None) -> tuple[str, str] | None: ...


def _auth_of(server: str, variable: str, secret: str) -> BasicAuthLookup:
    """The server's lookup: from ``path``, else the file ``variable`` names, else the secrets
    directory's ``secret``; None when there is none."""

    def auth(path: Path | None = None) -> tuple[str, str] | None:
        chosen = path or credentials_file(variable, secret)
        return basic_auth(chosen, f"{server}'s user:password (${variable})")

    return auth


prometheus_auth = _auth_of("Prometheus", TTA_PROMETHEUS_CREDENTIALS_FILE, PROMETHEUS_CREDENTIALS)
alertmanager_auth = _auth_of("Alertmanager", TTA_ALERTMANAGER_CREDENTIALS_FILE, ALERTMANAGER_CREDENTIALS)
jaeger_auth = _auth_of("Jaeger", TTA_JAEGER_CREDENTIALS_FILE, JAEGER_CREDENTIALS)
victorialogs_auth = _auth_of("VictoriaLogs", TTA_VICTORIALOGS_CREDENTIALS_FILE, VICTORIALOGS_CREDENTIALS)
victoriametrics_auth = _auth_of("VictoriaMetrics", TTA_VICTORIAMETRICS_CREDENTIALS_FILE, VICTORIAMETRICS_CREDENTIALS)


def otlp_exporter_arguments() -> dict[str, Any]:
    """Keyword arguments for an OTLP/HTTP exporter of the operator's tools: the collector's token
    (``$TTA_OTLP_TOKEN_FILE``, else the secrets directory's) and CA (``$OTEL_EXPORTER_OTLP_CERTIFICATE``,
    else the secrets directory's ``ca.crt``)."""
    arguments: dict[str, Any] = {}
    token_file = credentials_file(TTA_OTLP_TOKEN_FILE, OTLP_TOKEN)
    if token_file is not None:
        token = read_secret_file(token_file, f"the collector's OTLP token (${TTA_OTLP_TOKEN_FILE})")
        arguments["headers"] = bearer_headers(token)
    certificate = credentials_file(_CERTIFICATE, CA_CERT)
    if certificate is not None:
        arguments["certificate_file"] = str(certificate)
        arguments["session"] = pinned_ca_session()  # REQUESTS_CA_BUNDLE must not replace the CA
    return arguments


__all__ = [
    "alertmanager_auth",
    "basic_auth",
    "basic_authorization",
    "credentials_file",
    "jaeger_auth",
    "otlp_exporter_arguments",
    "prometheus_auth",
    "victorialogs_auth",
    "victoriametrics_auth",
]
