"""Whether each store answers, and which alerts Alertmanager holds firing.

Each store is asked at its own readiness or health endpoint with the credentials the other
commands use (``$TTA_*_CREDENTIALS_FILE``, else the secrets directory): reachable means it
answered at all, ready that it answered 2xx. Jaeger has no readiness endpoint on its query
port, so its query API answering (``/api/services``) counts as ready.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from tta_otel.environment_variables import TTA_ALERTMANAGER_URL, TTA_JAEGER_URL, TTA_VICTORIALOGS_URL
from tta_otel.ops.alerts.alertmanager import AlertmanagerClient, AlertmanagerError
from tta_otel.ops.client_credentials import alertmanager_auth, jaeger_auth, victorialogs_auth
from tta_otel.ops.status.model import Alert, Store
from tta_otel.ops.status.queries import ENVIRONMENT, REPOSITORY
from tta_otel.ops.stores import StoreError
from tta_otel.ops.stores.http import StoreClient

DEFAULT_URLS = {
    TTA_ALERTMANAGER_URL: "http://127.0.0.1:9093",
    TTA_JAEGER_URL: "http://127.0.0.1:16686",
    TTA_VICTORIALOGS_URL: "http://127.0.0.1:9428",
}


@dataclass(frozen=True)
class StoreEndpoint:
    name: str
    client: StoreClient
    path: str


def url_of(variable: str) -> str:
    """The store's URL from ``tta-otel stack env``'s variable, else the native stack's port."""
    return os.environ.get(variable) or DEFAULT_URLS[variable]


def endpoints(prometheus_url: str, prometheus_credentials: tuple[str, str] | None) -> list[StoreEndpoint]:
    """Prometheus (as the command was told to reach it), Alertmanager, Jaeger and VictoriaLogs."""
    return [
        StoreEndpoint("prometheus", StoreClient(prometheus_url, prometheus_credentials, 5.0), "/-/ready"),
        StoreEndpoint("alertmanager", StoreClient(url_of(TTA_ALERTMANAGER_URL), alertmanager_auth(), 5.0), "/-/ready"),
        StoreEndpoint("jaeger", StoreClient(url_of(TTA_JAEGER_URL), jaeger_auth(), 5.0), "/api/services"),
        StoreEndpoint("victorialogs", StoreClient(url_of(TTA_VICTORIALOGS_URL), victorialogs_auth(), 5.0), "/health"),
    ]


def probe(endpoint: StoreEndpoint, scraped_up: bool | None) -> Store:
    url = endpoint.client.url
    try:
        code = endpoint.client.answers(endpoint.path)
    except StoreError as error:
        return Store(endpoint.name, url, False, False, f"cannot be reached ({error.__cause__})", scraped_up)
    if 200 <= code < 300:
        return Store(endpoint.name, url, True, True, "", scraped_up)
    detail = (
        'asks for credentials: `eval "$(tta-otel stack env)"` gives them'
        if code == 401
        else f"{endpoint.path} answered {code}"
    )
    return Store(endpoint.name, url, True, False, detail, scraped_up)


def firing_alerts() -> list[dict[str, Any]] | None:
    """Alertmanager's firing alerts; None when it cannot be asked (its store row says why)."""
    credentials = alertmanager_auth()
    client = AlertmanagerClient(
        url_of(TTA_ALERTMANAGER_URL), credentials=":".join(credentials) if credentials else None
    )
    try:
        return client.firing()
    except AlertmanagerError:
        return None


def alert_of(answer: dict[str, Any]) -> Alert:
    labels = {str(k): str(v) for k, v in dict(answer.get("labels") or {}).items()}
    annotations = dict(answer.get("annotations") or {})
    return Alert(
        labels.get("alertname", "?"),
        labels.get("severity", "none"),
        str(annotations.get("summary", "")),
        str(answer.get("startsAt", "")),
        labels,
    )


def in_scope(alert: Alert, environment: str | None, repository: str | None) -> bool:
    """An alert of another environment or repository than the filters ask for is left out; one
    without those labels (the collector, the stores) concerns every environment."""
    return all(
        wanted is None or alert.labels.get(label, wanted) == wanted
        for label, wanted in ((ENVIRONMENT, environment), (REPOSITORY, repository))
    )
