"""The store clients' errors and the addresses they hand to people (the stores themselves answer in
tests/stack/test_native_stores.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tta_otel.ops.stores import JaegerClient, StoreError, VictoriaLogsClient
from tta_otel.testing.processes import free_port


class _TraceNotFound(BaseHTTPRequestHandler):
    """Answers every request as Jaeger's query API answers a trace it does not have (yet)."""

    def do_GET(self) -> None:
        body = b'{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":404,"msg":"trace not found"}]}'
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads the client's answer, not the server's log."""


@pytest.fixture
def jaeger_without_the_trace() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TraceNotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_trace_jaeger_does_not_have_yet_is_none(jaeger_without_the_trace: str) -> None:
    assert JaegerClient(jaeger_without_the_trace).trace("0af7651916cd43dd8448eb211c80319c") is None


def test_an_unreachable_jaeger_is_named_with_its_variables() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(
        StoreError, match=rf"^Jaeger \(TTA_JAEGER_URL, TTA_JAEGER_CREDENTIALS_FILE\) at {url}/api/traces/ab"
    ):
        JaegerClient(url, timeout_s=2).trace("ab")


def test_an_unreachable_victorialogs_is_named_with_its_variables() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreError, match=r"^VictoriaLogs \(TTA_VICTORIALOGS_URL, TTA_VICTORIALOGS_CREDENTIALS_FILE\)"):
        VictoriaLogsClient(url, timeout_s=2).query("*")


def test_the_trace_url_is_the_api_address_of_the_trace() -> None:
    assert JaegerClient("http://127.0.0.1:16686/").trace_url("0af7651916cd43dd8448eb211c80319c") == (
        "http://127.0.0.1:16686/api/traces/0af7651916cd43dd8448eb211c80319c"
    )


def test_the_ui_url_carries_the_query_encoded() -> None:
    assert VictoriaLogsClient("http://127.0.0.1:9428").ui_url('trace_id:="ab cd"') == (
        "http://127.0.0.1:9428/select/vmui/#/?query=trace_id%3A%3D%22ab%20cd%22"
    )
