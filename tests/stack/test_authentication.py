"""Secure by default, against the running stack: every receiver, store and control plane refuses
a request without its credentials and answers the same request with them."""

from __future__ import annotations

import os
import ssl
import time
import uuid
from pathlib import Path

import grpc
import httpx
import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2_grpc import LogsServiceStub
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs

from tests.stack.otlp_requests import collector_auth, resource
from tta_otel.ops import secrets
from tta_otel.ops.client_credentials import (
    alertmanager_auth,
    prometheus_auth,
    victorialogs_auth,
    victoriametrics_auth,
)
from tta_otel.ops.stack.runner import URLS, Stack
from tta_otel.ops.stores import VictoriaLogsClient
from tta_otel.testing.processes import wait_until
from tta_otel.testing.stored import log_records_of_service, stored_text

GRPC_TARGET = URLS["TTA_OTLP_GRPC_ENDPOINT"].removeprefix("https://")
SERVICE = "auth-test"
# The destructive endpoints the native stack enables: VictoriaLogs' deletion (-delete.enable, for
# erasure) and Prometheus's admin API (--web.enable-admin-api, for archives). Every request selects
# series or records that were never written.
NEVER_WRITTEN = "tta_auth_test_never_written"
VICTORIALOGS_DELETION = [f"/delete/run_task?filter=_msg:{NEVER_WRITTEN}", "/delete/active_tasks"]
PROMETHEUS_ADMIN = [
    "/api/v1/admin/tsdb/snapshot",
    f"/api/v1/admin/tsdb/delete_series?match[]={NEVER_WRITTEN}",
    "/api/v1/admin/tsdb/clean_tombstones",
]


def _logs(service: str, body: str) -> ExportLogsServiceRequest:
    record = LogRecord(time_unix_nano=time.time_ns(), body=AnyValue(string_value=body))
    return ExportLogsServiceRequest(
        resource_logs=[ResourceLogs(resource=resource(service), scope_logs=[ScopeLogs(log_records=[record])])]
    )


def _post_logs(body: str, headers: dict[str, str]) -> httpx.Response:
    with httpx.Client(verify=collector_auth()["verify"], timeout=10) as client:
        return client.post(
            f"{URLS['TTA_OTLP_HTTP_ENDPOINT']}/v1/logs",
            content=_logs(SERVICE, body).SerializeToString(),
            headers={"Content-Type": "application/x-protobuf", **headers},
        )


def _stored_logs(logs: VictoriaLogsClient) -> str:
    return stored_text(log_records_of_service(logs, SERVICE))


def _grpc_export(metadata: tuple[tuple[str, str], ...]) -> None:
    credentials = grpc.ssl_channel_credentials(Path(os.environ["OTEL_EXPORTER_OTLP_CERTIFICATE"]).read_bytes())
    with grpc.secure_channel(GRPC_TARGET, credentials) as channel:
        LogsServiceStub(channel).Export(_logs(SERVICE, "grpc"), metadata=metadata, timeout=10)


def test_otlp_http_without_the_token_is_refused_and_nothing_of_it_is_stored(
    stack: Stack, log_store: VictoriaLogsClient
) -> None:
    refused, accepted = f"refused-{uuid.uuid4()}", f"accepted-{uuid.uuid4()}"

    assert _post_logs(refused, {}).status_code == 401
    assert _post_logs(refused, {"Authorization": "Bearer not-the-token"}).status_code == 401
    assert _post_logs(accepted, collector_auth()["headers"]).status_code == 200

    assert wait_until(lambda: accepted in _stored_logs(log_store), timeout=30)
    assert refused not in _stored_logs(log_store)


def test_otlp_grpc_without_the_token_is_unauthenticated(stack: Stack) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        _grpc_export(())
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    token = collector_auth()["headers"]["Authorization"]
    _grpc_export((("authorization", token),))


def test_a_client_with_another_ca_fails_the_handshake(stack: Stack, tmp_path: Path) -> None:
    other = secrets.SecretsDir(tmp_path / "other")
    other.init()
    with (
        pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"),
        httpx.Client(verify=ssl.create_default_context(cafile=other.path / secrets.CA_CERT)) as client,
    ):
        client.post(f"{URLS['TTA_OTLP_HTTP_ENDPOINT']}/v1/logs", headers=collector_auth()["headers"], content=b"")


def test_plain_http_to_the_otlp_receiver_is_refused_with_400(stack: Stack) -> None:
    plain = URLS["TTA_OTLP_HTTP_ENDPOINT"].replace("https://", "http://")
    response = httpx.post(f"{plain}/v1/logs", content=b"", timeout=5)
    assert response.status_code == 400  # Go's TLS server: "client sent an HTTP request to an HTTPS server"
    assert "HTTPS" in response.text


def _refused_without_credentials(method: str, url: str) -> bool:
    """Whether ``url`` answers 401 both with no credentials and with a wrong password."""
    return all(
        httpx.request(method, url, auth=auth, timeout=5).status_code == 401 for auth in (None, ("tta-otel", "wrong"))
    )


@pytest.mark.parametrize("path", ["/api/v1/query?query=up", "/-/ready", "/metrics", "/api/v1/otlp/v1/metrics"])
def test_prometheus_refuses_every_request_without_credentials(stack: Stack, path: str) -> None:
    url = f"{URLS['TTA_PROMETHEUS_URL']}{path}"
    assert _refused_without_credentials("GET", url)


@pytest.mark.parametrize("path", PROMETHEUS_ADMIN)
def test_prometheus_admin_api_refuses_every_request_without_credentials(stack: Stack, path: str) -> None:
    url = f"{URLS['TTA_PROMETHEUS_URL']}{path}"
    assert _refused_without_credentials("POST", url)


def test_prometheus_admin_api_answers_with_credentials(stack: Stack) -> None:
    url = f"{URLS['TTA_PROMETHEUS_URL']}/api/v1/admin/tsdb/delete_series?match[]={NEVER_WRITTEN}"
    assert httpx.post(url, auth=prometheus_auth(), timeout=10).status_code == 204


@pytest.mark.parametrize("path", VICTORIALOGS_DELETION)
def test_victorialogs_deletion_refuses_every_request_without_credentials(stack: Stack, path: str) -> None:
    url = f"{URLS['TTA_VICTORIALOGS_URL']}{path}"
    assert _refused_without_credentials("GET", url)


def test_victorialogs_deletion_answers_with_credentials(stack: Stack) -> None:
    url = f"{URLS['TTA_VICTORIALOGS_URL']}/delete/active_tasks"
    assert httpx.get(url, auth=victorialogs_auth(), timeout=5).status_code == 200


# The long-term tier: reads, writes (Prometheus's remote write, the import API), snapshots and its
# own metrics all ask for its credentials; /health alone answers "OK" to anyone.
VICTORIAMETRICS_PATHS = [
    "/api/v1/query?query=up",
    "/api/v1/write",
    "/api/v1/import",
    "/snapshot/list",
    "/internal/force_flush",
    "/metrics",
]


@pytest.mark.parametrize("path", VICTORIAMETRICS_PATHS)
def test_victoriametrics_refuses_every_request_without_credentials(stack: Stack, path: str) -> None:
    url = f"{URLS['TTA_VICTORIAMETRICS_URL']}{path}"
    assert _refused_without_credentials("POST", url)


def test_victoriametrics_answers_with_credentials(stack: Stack) -> None:
    response = httpx.get(
        f"{URLS['TTA_VICTORIAMETRICS_URL']}/api/v1/query", params={"query": "1"}, auth=victoriametrics_auth()
    )
    assert response.status_code == 200
    assert response.json()["status"] == "success"


def test_prometheus_answers_with_credentials(stack: Stack) -> None:
    response = httpx.get(f"{URLS['TTA_PROMETHEUS_URL']}/api/v1/query", params={"query": "up"}, auth=prometheus_auth())
    assert response.status_code == 200
    assert response.json()["status"] == "success"


def test_prometheus_scrapes_itself_and_alertmanager_with_their_credentials(stack: Stack) -> None:
    def up() -> dict[str, str]:
        response = httpx.get(
            f"{URLS['TTA_PROMETHEUS_URL']}/api/v1/query", params={"query": "up"}, auth=prometheus_auth()
        )
        return {sample["metric"]["job"]: sample["value"][1] for sample in response.json()["data"]["result"]}

    assert wait_until(lambda: up().get("prometheus") == "1" and up().get("alertmanager") == "1", timeout=60), up()


@pytest.mark.parametrize("path", ["/api/v2/alerts", "/api/v2/silences", "/-/ready"])
def test_alertmanager_refuses_every_request_without_credentials(stack: Stack, path: str) -> None:
    url = f"{URLS['TTA_ALERTMANAGER_URL']}{path}"
    assert httpx.get(url, timeout=5).status_code == 401
    assert httpx.get(url, auth=alertmanager_auth(), timeout=5).status_code == 200


def test_prometheus_sends_alerts_to_alertmanager_with_its_credentials(stack: Stack) -> None:
    def watchdog_arrived() -> bool:
        response = httpx.get(
            f"{URLS['TTA_ALERTMANAGER_URL']}/api/v2/alerts",
            params={"filter": 'alertname="TTAWatchdog"'},
            auth=alertmanager_auth(),
            timeout=5,
        )
        return bool(response.json())

    assert wait_until(watchdog_arrived, timeout=90)
