"""``tta-otel dashboards push``: the dashboards, their folder and, on request, the datasources
(Prometheus, Loki, Tempo and the Alertmanager that Grafana's alerting pages read) into a running
Grafana through its HTTP API, with ``grafana-client``.

Everything is created or overwritten by uid, so pushing twice leaves Grafana as pushing once.
Alerting stays where it is defined: the rules in ``prometheus/rules/`` and the routing in
Alertmanager. Grafana shows them through the Prometheus and Alertmanager datasources, so no
Grafana-managed alert rule duplicates a Prometheus rule (and pages twice).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml
from grafana_client.api import GrafanaApi
from grafana_client.client import GrafanaException

from tta_otel.ops.secrets import SecretsDir

FOLDER_UID: Final = "tta"
FOLDER_TITLE: Final = "TTA"
"""The folder of docker compose's provisioning (grafana-dashboards/provisioning/dashboards)."""
MESSAGE: Final = "tta-otel dashboards push"
_NOT_FOUND: Final = 404


class PushError(RuntimeError):
    """Grafana refused or could not be reached; the message says which call and why."""


@dataclass
class Pushed:
    folder: str
    folder_created: bool
    dashboards: list[str] = field(default_factory=list)
    datasources: list[str] = field(default_factory=list)


_SECRET_FILE = re.compile(r"(?<!\$)\$__file\{/run/secrets/([A-Za-z0-9._-]+)\}")


def connect(url: str, token: str, timeout_s: float = 10.0) -> GrafanaApi:
    """A client of the Grafana at ``url`` that authenticates with a service account token."""
    api: GrafanaApi = GrafanaApi.from_url(url, credential=token, timeout=timeout_s)
    return api


def provisioned_datasources(path: Path, secrets: SecretsDir | None = None) -> list[dict[str, Any]]:
    """The datasources of a Grafana provisioning file, as the HTTP API takes them: a secret that
    provisioning reads with ``$__file{/run/secrets/NAME}`` is read from ``secrets`` (default: the
    secrets directory), and ``$$``, the provisioning escape of a literal ``$``, becomes ``$``."""
    directory = secrets if secrets is not None else SecretsDir()
    text = _SECRET_FILE.sub(lambda match: directory.read(match[1]), path.read_text()).replace("$$", "$")
    return [{"access": "proxy", **datasource} for datasource in yaml.safe_load(text)["datasources"]]


def _failed(what: str, error: Exception) -> PushError:
    if not isinstance(error, GrafanaException):
        return PushError(f"Grafana cannot be reached to {what}: {error}")
    hint = " (is the token valid, with the Editor role or more?)" if error.status_code in (401, 403) else ""
    return PushError(f"Grafana refused to {what}: {error.message}{hint}")


def _call(what: str, call: Any, *args: Any) -> Any:
    """``call(*args)``; grafana-client's errors, and its HTTP library's (OSErrors), as a PushError."""
    try:
        return call(*args)
    except (GrafanaException, OSError) as error:
        raise _failed(what, error) from error


def _exists(what: str, call: Any, uid: str) -> bool:
    try:
        call(uid)
    except GrafanaException as error:
        if error.status_code == _NOT_FOUND:
            return False
        raise _failed(f"look up {what} {uid}", error) from error
    except OSError as error:
        raise _failed(f"look up {what} {uid}", error) from error
    return True


def push(
    api: GrafanaApi,
    dashboards: Mapping[str, Mapping[str, Any]],
    datasources: Sequence[Mapping[str, Any]] = (),
) -> Pushed:
    """Push ``datasources`` first (the dashboards' variables list them), then the folder and every
    dashboard of ``dashboards`` into it, overwriting what has the same uid."""
    pushed = Pushed(FOLDER_UID, folder_created=False)
    for datasource in datasources:
        uid = str(datasource["uid"])
        if _exists("datasource", api.datasource.get_datasource_by_uid, uid):
            _call(f"update datasource {uid}", api.datasource.update_datasource_by_uid, uid, dict(datasource))
        else:
            _call(f"create datasource {uid}", api.datasource.create_datasource, dict(datasource))
        pushed.datasources.append(uid)
    if not _exists("folder", api.folder.get_folder, FOLDER_UID):
        _call(f"create folder {FOLDER_TITLE}", api.folder.create_folder, FOLDER_TITLE, FOLDER_UID)
        pushed.folder_created = True
    for model in dashboards.values():
        uid = str(model["uid"])
        body = {"dashboard": {**model, "id": None}, "folderUid": FOLDER_UID, "overwrite": True, "message": MESSAGE}
        _call(f"save dashboard {uid}", api.dashboard.update_dashboard, body)
        pushed.dashboards.append(uid)
    return pushed
