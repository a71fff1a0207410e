"""Every ``TTA_*`` environment variable that tta_otel reads or sets, named once.

The standard ``OTEL_*`` variables keep their meaning and win over ``tta_config.yaml``; their
names come from the SDK's own ``opentelemetry.sdk.environment_variables``. The ``TTA_*``
variables below describe the TTA service (read by the distro), its pseudonym keys (read by the
privacy core), and where the operator's tools find the stack. A leaf: it imports nothing, so
the privacy core and the operator's side can both read their names from here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

# Read inside a TTA service.
TTA_CONFIG: Final = "TTA_CONFIG"
"""Path of the file whose ``monitoring:`` section configures telemetry (default ``./tta_config.yaml``)."""

TTA_COMPONENT: Final = "TTA_COMPONENT"
"""The TTA component this process runs, e.g. ``narrative-engine`` or ``player-api`` (resource ``tta.component``)."""

TTA_REPOSITORY: Final = "TTA_REPOSITORY"
"""Where the code comes from: ``tta.dev``, ``tta.prototype`` or ``tta.prod`` (resource ``tta.repository``)."""

TTA_ENVIRONMENT: Final = "TTA_ENVIRONMENT"
"""The deployment environment, e.g. ``development`` or ``production`` (resource ``deployment.environment.name``)."""

TTA_SERVICE_VERSION: Final = "TTA_SERVICE_VERSION"
"""The service version when the package metadata cannot tell it (resource ``service.version``)."""

TTA_PSEUDONYM_KEY: Final = "TTA_PSEUDONYM_KEY"
"""The current pseudonym key's secret, when no key file is configured."""

TTA_PSEUDONYM_KEY_ID: Final = "TTA_PSEUDONYM_KEY_ID"
"""The id of ``TTA_PSEUDONYM_KEY`` (default ``k1``), part of every pseudonym."""

TTA_PSEUDONYM_PREVIOUS_KEYS: Final = "TTA_PSEUDONYM_PREVIOUS_KEYS"
"""Earlier keys, ``<id>:<secret>`` separated by commas, kept so pseudonyms can be linked across a rotation."""

TTA_PSEUDONYM_KEY_FILE: Final = "TTA_PSEUDONYM_KEY_FILE"
"""A file of ``<id>:<secret>`` lines, current key first; wins over the three variables above."""

TTA_COLLECTOR_PSEUDONYM_KEY_ID: Final = "TTA_COLLECTOR_PSEUDONYM_KEY_ID"
"""The key id in the collector's pseudonyms (``psn_<key id>_<hex>``; default ``collector``)."""

TTA_OTLP_TOKEN_FILE: Final = "TTA_OTLP_TOKEN_FILE"
"""A file holding the collector's OTLP bearer token; read by the distro (wins over
``monitoring.otlp.token_file``) and by the operator's tools that send OTLP."""

# Read by the operator's tools (``tta-otel``); ``tta-otel stack env`` prints the endpoints.
TTA_SECRETS_DIR: Final = "TTA_SECRETS_DIR"
"""The stack's secrets directory (``tta-otel secrets init``; default ``$TTA_OTEL_STATE/secrets``)."""

TTA_OTEL_CACHE: Final = "TTA_OTEL_CACHE"
"""Where built binaries are cached, outside the repository (default ``~/.cache/tta-otel``)."""

TTA_OTEL_STATE: Final = "TTA_OTEL_STATE"
"""Where the operator's tools keep state: alert records, error resolutions (default ``~/.local/state/tta-otel``)."""

TTA_OTLP_GRPC_ENDPOINT: Final = "TTA_OTLP_GRPC_ENDPOINT"
"""The collector's OTLP/gRPC receiver."""

TTA_OTLP_HTTP_ENDPOINT: Final = "TTA_OTLP_HTTP_ENDPOINT"
"""The collector's OTLP/HTTP receiver."""

TTA_PROMETHEUS_URL: Final = "TTA_PROMETHEUS_URL"
"""Prometheus's HTTP API, read by the reports and ``tta-otel errors``."""

TTA_PROMETHEUS_CREDENTIALS_FILE: Final = "TTA_PROMETHEUS_CREDENTIALS_FILE"
"""A file holding ``user:password`` for Prometheus's basic auth."""

TTA_ALERTMANAGER_URL: Final = "TTA_ALERTMANAGER_URL"
"""Alertmanager's HTTP API, asked for silences by the alerts service."""

TTA_ALERTMANAGER_CREDENTIALS_FILE: Final = "TTA_ALERTMANAGER_CREDENTIALS_FILE"
"""A file holding ``user:password`` for Alertmanager's basic auth."""

TTA_JAEGER_URL: Final = "TTA_JAEGER_URL"
"""Jaeger's query API (the native stack's trace store)."""

TTA_JAEGER_CREDENTIALS_FILE: Final = "TTA_JAEGER_CREDENTIALS_FILE"
"""A file holding ``user:password`` for Jaeger's basic auth."""

TTA_VICTORIALOGS_URL: Final = "TTA_VICTORIALOGS_URL"
"""VictoriaLogs's HTTP API (the native stack's log store)."""

TTA_VICTORIALOGS_CREDENTIALS_FILE: Final = "TTA_VICTORIALOGS_CREDENTIALS_FILE"
"""A file holding ``user:password`` for VictoriaLogs's basic auth."""

TTA_VICTORIAMETRICS_URL: Final = "TTA_VICTORIAMETRICS_URL"
"""VictoriaMetrics's HTTP API (the long-term metrics tier), read by the reports' ``--source long-term``."""

TTA_VICTORIAMETRICS_CREDENTIALS_FILE: Final = "TTA_VICTORIAMETRICS_CREDENTIALS_FILE"
"""A file holding ``user:password`` for VictoriaMetrics's basic auth."""

TTA_LOKI_URL: Final = "TTA_LOKI_URL"
"""Loki's HTTP API (the docker compose stack's log store), read by ``tta-otel errors``."""

TTA_LOKI_TENANT: Final = "TTA_LOKI_TENANT"
"""The Loki tenant (``X-Scope-OrgID``, one per TTA repository) that ``tta-otel errors`` reads."""

TTA_GRAFANA_URL: Final = "TTA_GRAFANA_URL"
"""Grafana, where ``tta-otel dashboards push`` writes."""

TTA_AUDIT_LOG: Final = "TTA_AUDIT_LOG"
"""The audit trail of privacy-relevant operations (``tta_otel.audit_log``). The operator's tools
default to ``$TTA_OTEL_STATE/audit.jsonl``; a service writes to it only when it is set."""


def cache_dir() -> Path:
    """``$TTA_OTEL_CACHE``, or ``~/.cache/tta-otel``: outside the repository, so builds survive clean checkouts."""
    return Path(os.environ.get(TTA_OTEL_CACHE) or Path.home() / ".cache" / "tta-otel")


def state_dir() -> Path:
    """``$TTA_OTEL_STATE``, or ``~/.local/state/tta-otel``."""
    return Path(os.environ.get(TTA_OTEL_STATE) or Path.home() / ".local" / "state" / "tta-otel")
