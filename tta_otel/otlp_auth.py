"""The collector's bearer token for the OTLP exporters: read from a file, never put in the environment.

The collector accepts OTLP only with its token (``bearertokenauth``). The token lives in a
file (``tta-otel secrets init``: ``otlp-token``), named by ``TTA_OTLP_TOKEN_FILE`` or
``monitoring.otlp.token_file``; it is handed to the OTLP exporters as an ``authorization``
header when they are built, so it is never put in the process environment that child
processes inherit. An operator's ``OTEL_EXPORTER_OTLP_HEADERS`` (or the per-signal variable)
wins, as every standard variable does. A token file that cannot be read is reported once,
without its contents, and the exporters go without: the collector refuses their exports,
which the exporters count as drops, and the service runs on.

The collector's certificate is checked against the CA of ``OTEL_EXPORTER_OTLP_CERTIFICATE``
(or ``monitoring.otlp.ca_file``). The OTLP/HTTP exporters send with ``requests``, which lets
``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE`` replace a session's CA; many machines set those
for their own proxies, and every export would then fail verification. So an OTLP/HTTP
exporter with a configured CA gets a session that keeps it (``PinnedCASession``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tta_otel.config.schema import MonitoringConfig
from tta_otel.environment_variables import TTA_OTLP_TOKEN_FILE

_logger = logging.getLogger(__name__)

_HEADERS = "OTEL_EXPORTER_OTLP_HEADERS"
_SIGNAL_HEADERS = {
    "traces": "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "metrics": "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
    "logs": "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
}
_OTLP_EXPORTERS = "opentelemetry.exporter.otlp."
_OTLP_HTTP_EXPORTERS = "opentelemetry.exporter.otlp.proto.http."
_CERTIFICATE = "OTEL_EXPORTER_OTLP_CERTIFICATE"
_SIGNAL_CERTIFICATE = {
    "traces": "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
    "metrics": "OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE",
    "logs": "OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE",
}


def token_file(config: MonitoringConfig, environ: Mapping[str, str] = os.environ) -> Path | None:
    """The token file: ``TTA_OTLP_TOKEN_FILE``, else ``monitoring.otlp.token_file``, else none."""
    named = environ.get(TTA_OTLP_TOKEN_FILE)
    if named:
        return Path(named)
    return config.otlp.token_file


def read_token(path: Path) -> str | None:
    """The token in ``path``, or None (logged without the contents) when it cannot be read or is empty."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        _logger.error("tta_otel: the OTLP token file %s cannot be read (%s); exports will be refused", path, error)
        return None
    if not token:
        _logger.error("tta_otel: the OTLP token file %s is empty; exports will be refused", path)
        return None
    return token


def bearer_headers(token: str) -> dict[str, str]:
    """The OTLP exporters' ``headers`` argument that carries the collector's token."""
    return {"authorization": f"Bearer {token}"}


def pinned_ca_session() -> Any:
    """A ``requests`` session whose CA (``verify``) no environment variable replaces."""
    import requests

    class PinnedCASession(requests.Session):
        def merge_environment_settings(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
            settings: dict[str, Any] = super().merge_environment_settings(*args, **kwargs)
            settings["verify"] = self.verify
            return settings

    return PinnedCASession()


def exporter_arguments(
    exporter_class: type[Any], signal: str, token: str | None, environ: Mapping[str, str] = os.environ
) -> dict[str, Any]:
    """Keyword arguments for ``exporter_class``: for the OTLP exporters, the ``authorization``
    header when there is a token and the operator set no headers, and for the OTLP/HTTP ones a
    session that keeps the configured CA; nothing for other exporters."""
    if not exporter_class.__module__.startswith(_OTLP_EXPORTERS):
        return {}
    arguments: dict[str, Any] = {}
    if token is not None and not (environ.get(_HEADERS) or environ.get(_SIGNAL_HEADERS[signal])):
        arguments["headers"] = bearer_headers(token)
    if exporter_class.__module__.startswith(_OTLP_HTTP_EXPORTERS) and (
        environ.get(_CERTIFICATE) or environ.get(_SIGNAL_CERTIFICATE[signal])
    ):
        arguments["session"] = pinned_ca_session()
    return arguments


__all__ = ["bearer_headers", "exporter_arguments", "pinned_ca_session", "read_token", "token_file"]
