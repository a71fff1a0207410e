"""Which log store ``tta-otel errors`` reads its example lines from, and how to reach it.

The default follows the environment a client of the stack has: ``$TTA_VICTORIALOGS_URL``
(``eval "$(tta-otel stack env)"`` sets it for the native stack) chooses VictoriaLogs,
``$TTA_LOKI_URL`` chooses Loki (docker compose), neither means no examples.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from tta_otel.environment_variables import TTA_LOKI_TENANT, TTA_LOKI_URL, TTA_VICTORIALOGS_URL
from tta_otel.ops.client_credentials import basic_auth, victorialogs_auth
from tta_otel.ops.stores import LogStore, LokiClient, VictoriaLogsClient
from tta_otel.ops.stores.loki import DEFAULT_TENANT

VICTORIALOGS = "victorialogs"
LOKI = "loki"
NONE = "none"
_URL_VARIABLES = {VICTORIALOGS: TTA_VICTORIALOGS_URL, LOKI: TTA_LOKI_URL}
_DEFAULT_URLS = {VICTORIALOGS: "http://127.0.0.1:9428", LOKI: "http://127.0.0.1:3100"}


def default_log_store() -> str:
    """VictoriaLogs when ``$TTA_VICTORIALOGS_URL`` is set, else Loki when ``$TTA_LOKI_URL`` is, else none."""
    return next((kind for kind, variable in _URL_VARIABLES.items() if os.environ.get(variable)), NONE)


def add_log_store_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-store",
        choices=(VICTORIALOGS, LOKI, NONE),
        default=default_log_store(),
        help="where each group's example log line comes from (default: victorialogs when $TTA_VICTORIALOGS_URL "
        "is set, else loki when $TTA_LOKI_URL is, else none)",
    )
    parser.add_argument(
        "--log-store-url",
        help="the log store's URL (default: $TTA_VICTORIALOGS_URL or $TTA_LOKI_URL, else the stack's port)",
    )
    parser.add_argument(
        "--log-store-credentials-file",
        type=Path,
        help="user:password for the log store's basic auth (default for VictoriaLogs: "
        "$TTA_VICTORIALOGS_CREDENTIALS_FILE, else victorialogs-credentials in the secrets directory; "
        "Loki has none of its own)",
    )
    parser.add_argument(
        "--loki-tenant",
        default=os.environ.get(TTA_LOKI_TENANT, DEFAULT_TENANT),
        help="the Loki tenant (X-Scope-OrgID: tta.dev, tta.prototype, tta.prod or unassigned; "
        "default: $TTA_LOKI_TENANT or %(default)s)",
    )


def log_store(args: argparse.Namespace) -> LogStore | None:
    """The client that ``args`` choose; None for ``--log-store none``. Raises ``SecretFileError``
    for a credentials file that cannot be read."""
    kind = args.log_store
    if kind == NONE:
        return None
    url = args.log_store_url or os.environ.get(_URL_VARIABLES[kind]) or _DEFAULT_URLS[kind]
    if kind == VICTORIALOGS:
        return VictoriaLogsClient(url, victorialogs_auth(args.log_store_credentials_file))
    credentials = basic_auth(args.log_store_credentials_file, "Loki's user:password (--log-store-credentials-file)")
    return LokiClient(url, args.loki_tenant, credentials)
