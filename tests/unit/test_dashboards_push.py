"""`tta-otel dashboards push` against an HTTP double of Grafana's API: Grafana cannot run on this
project's machines (AGPL, no Docker engine), so the double answers the calls grafana-client makes
as Grafana 12 documents them (folders, dashboards, datasources by uid) and records what it got."""

from __future__ import annotations

import argparse
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from tta_otel.ops import dashboards, secrets
from tta_otel.ops.cli import dashboards_command
from tta_otel.ops.dashboards.push import FOLDER_UID, PushError, connect, provisioned_datasources, push
from tta_otel.ops.secrets import (
    ALERTMANAGER_PASSWORD,
    BASIC_AUTH_USER,
    PROMETHEUS_PASSWORD,
    VICTORIAMETRICS_PASSWORD,
    MissingSecretError,
    SecretsDir,
)

REPO = Path(__file__).resolve().parents[2]
DATASOURCES = REPO / "grafana-dashboards/provisioning/datasources/datasources.yaml"
TOKEN = "glsa_synthetic_test_token_0123456789"


@dataclass
class FakeGrafana:
    """What the double holds, and every request it was sent."""

    url: str = ""
    folders: dict[str, str] = field(default_factory=dict)
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)
    datasources: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    token: str = TOKEN


def _respond(grafana: FakeGrafana, method: str, path: list[str], body: Any) -> tuple[int, object]:
    """Grafana's answer to an authenticated ``method`` on ``/api/<path>``, and what it stores."""
    answer: tuple[int, object] = (404, {"message": "Not found"})
    match method, path:
        case "GET", ["folders", uid] if uid in grafana.folders:
            answer = (200, {"uid": uid, "title": grafana.folders[uid]})
        case "POST", ["folders"]:
            grafana.folders[body["uid"]] = body["title"]
            answer = (200, {"uid": body["uid"], "title": body["title"]})
        case "POST", ["dashboards", "db"] if not isinstance(body["dashboard"].get("panels", []), list):
            answer = (400, {"message": "bad dashboard"})
        case "POST", ["dashboards", "db"]:
            grafana.dashboards[body["dashboard"]["uid"]] = body
            answer = (200, {"uid": body["dashboard"]["uid"], "status": "success", "version": 1})
        case "GET", ["datasources", "uid", uid] if uid in grafana.datasources:
            answer = (200, grafana.datasources[uid])
        case "POST", ["datasources"]:
            grafana.datasources[body["uid"]] = body
            answer = (200, {"message": "Datasource added"})
        case "PUT", ["datasources", "uid", uid]:
            grafana.datasources[uid] = body
            answer = (200, {"message": "Datasource updated"})
    return answer


def _handler(grafana: FakeGrafana) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _route(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            grafana.requests.append((method, self.path, self.headers.get("Authorization", "")))
            if self.headers.get("Authorization") == f"Bearer {grafana.token}":
                self._answer(*_respond(grafana, method, self.path.strip("/").split("/")[1:], body))
            else:
                self._answer(401, {"message": "invalid API key"})

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def do_PUT(self) -> None:
            self._route("PUT")

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def grafana() -> Iterator[FakeGrafana]:
    state = FakeGrafana()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()


def _tta_otel_dashboards(*argv: str) -> int:
    """``tta-otel dashboards <argv>``."""
    parser = argparse.ArgumentParser(prog="tta-otel")
    dashboards_command.add_parser(parser.add_subparsers())
    args = parser.parse_args(["dashboards", *argv])
    return int(args.handler(args))


def test_push_creates_the_folder_and_puts_every_dashboard_in_it(grafana: FakeGrafana) -> None:
    models = dashboards.models()
    pushed = push(connect(grafana.url, TOKEN), models)
    assert (pushed.folder, pushed.folder_created) == ("tta", True)
    assert grafana.folders == {"tta": "TTA"}
    assert sorted(grafana.dashboards) == sorted(model["uid"] for model in models.values())
    overview = grafana.dashboards["tta-overview"]
    assert (overview["folderUid"], overview["overwrite"]) == (FOLDER_UID, True)
    assert overview["dashboard"] == {**models["overview.json"], "id": None}
    assert {auth for _, _, auth in grafana.requests} == {f"Bearer {TOKEN}"}


def test_pushing_twice_reuses_the_folder_and_overwrites_the_dashboards(grafana: FakeGrafana) -> None:
    models = dashboards.models()
    push(connect(grafana.url, TOKEN), models)
    again = push(connect(grafana.url, TOKEN), models)
    assert again.folder_created is False
    assert [path for method, path, _ in grafana.requests if method == "POST" and path == "/api/folders"] == [
        "/api/folders"
    ]
    assert len(grafana.dashboards) == len(models)


@pytest.fixture
def secrets_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SecretsDir:
    monkeypatch.setattr(secrets, "_BCRYPT_ROUNDS", 4)
    directory = SecretsDir(tmp_path / "secrets")
    directory.init()
    return directory


def test_datasources_are_created_then_updated_by_uid(grafana: FakeGrafana, secrets_dir: SecretsDir) -> None:
    datasources = provisioned_datasources(DATASOURCES, secrets_dir)
    pushed = push(connect(grafana.url, TOKEN), {}, datasources)
    assert pushed.datasources == [
        "prometheus",
        "victoriametrics",
        "loki",
        "loki-tta-prototype",
        "loki-tta-dev",
        "loki-unassigned",
        "tempo",
        "alertmanager",
    ]
    push(connect(grafana.url, TOKEN), {}, datasources)
    writes = [(method, path) for method, path, _ in grafana.requests if method in ("POST", "PUT")]
    assert writes.count(("POST", "/api/datasources")) == 8
    assert ("PUT", "/api/datasources/uid/alertmanager") in writes
    loki = grafana.datasources["loki"]
    assert loki["access"] == "proxy"
    assert loki["jsonData"]["derivedFields"][0]["url"] == "${__value.raw}"
    assert grafana.datasources["alertmanager"]["jsonData"]["handleGrafanaManagedAlerts"] is False


@pytest.mark.parametrize(
    ("uid", "password"),
    [
        ("prometheus", PROMETHEUS_PASSWORD),
        ("victoriametrics", VICTORIAMETRICS_PASSWORD),
        ("alertmanager", ALERTMANAGER_PASSWORD),
    ],
)
def test_pushed_datasources_carry_the_password_of_the_local_secrets_dir(
    secrets_dir: SecretsDir, uid: str, password: str
) -> None:
    datasource = next(d for d in provisioned_datasources(DATASOURCES, secrets_dir) if d["uid"] == uid)

    assert (datasource["basicAuth"], datasource["basicAuthUser"]) == (True, BASIC_AUTH_USER)
    assert datasource["secureJsonData"]["basicAuthPassword"] == secrets_dir.read(password)


def test_a_datasource_secret_missing_from_the_secrets_dir_names_the_command(tmp_path: Path) -> None:
    with pytest.raises(MissingSecretError, match=r"run `tta-otel secrets init --dir "):
        provisioned_datasources(DATASOURCES, SecretsDir(tmp_path / "none"))


def test_each_loki_datasource_names_its_tenant() -> None:
    tenants = {
        datasource["uid"]: datasource["secureJsonData"]["httpHeaderValue1"]
        for datasource in yaml.safe_load(DATASOURCES.read_text())["datasources"]
        if datasource["type"] == "loki"
    }

    assert tenants == {
        "loki": "tta.prod",
        "loki-tta-prototype": "tta.prototype",
        "loki-tta-dev": "tta.dev",
        "loki-unassigned": "unassigned",
    }


def test_a_refused_token_says_what_to_check(grafana: FakeGrafana) -> None:
    message = (
        r"^Grafana refused to look up folder tta: Unauthorized \(is the token valid, with the Editor role or more\?\)$"
    )
    with pytest.raises(PushError, match=message):
        push(connect(grafana.url, "wrong"), dashboards.models())
    assert grafana.dashboards == {}


def test_a_dashboard_grafana_rejects_stops_the_push_with_grafanas_reason(grafana: FakeGrafana) -> None:
    grafana.folders["tta"] = "TTA"
    broken = {"uid": "tta-broken", "title": "broken", "panels": "not a list"}
    with pytest.raises(PushError, match=r"^Grafana refused to save dashboard tta-broken: Bad Input"):
        push(connect(grafana.url, TOKEN), {"broken.json": broken})


def test_a_grafana_that_cannot_be_reached_is_reported() -> None:
    with pytest.raises(PushError, match=r"^Grafana cannot be reached to look up folder tta: "):
        push(connect("http://127.0.0.1:1", TOKEN, timeout_s=2), dashboards.models())


def test_the_push_command_reads_the_token_file_and_pushes_the_committed_dashboards(
    grafana: FakeGrafana,
    tmp_path: Path,
    secrets_dir: SecretsDir,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TTA_SECRETS_DIR", str(secrets_dir.path))
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    argv = ("push", "--repo", str(REPO), "--grafana", grafana.url, "--token-file", str(token_file))
    assert _tta_otel_dashboards(*argv, "--with-datasources") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "folder tta (created); dashboards: tta-ai-carbon, tta-engagement, tta-errors, tta-long-term, tta-overview, "
        "tta-performance, tta-pipeline"
    )
    assert lines[1] == (
        "datasources: prometheus, victoriametrics, loki, loki-tta-prototype, loki-tta-dev, loki-unassigned, tempo, "
        "alertmanager"
    )
    committed = dashboards.read(REPO / "grafana-dashboards")["errors.json"]
    assert grafana.dashboards["tta-errors"]["dashboard"] == {**committed, "id": None}


def test_the_push_command_fails_with_the_reason(grafana: FakeGrafana, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ("push", "--repo", str(REPO), "--grafana", grafana.url, "--token", "wrong")
    assert _tta_otel_dashboards(*argv) == 1
    assert capsys.readouterr().err.startswith("error: Grafana ")
