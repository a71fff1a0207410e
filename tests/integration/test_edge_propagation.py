"""End to end at the edge: a real FastAPI service under ``opentelemetry-instrument`` and the
tta_otel distro receives a request from a "player" that carries a sampled ``traceparent``,
a ``tracestate`` and ``baggage``, and calls a downstream service.

With the sampling ratio at 0 and remote parents untrusted (the default), the sampled flag
cannot force a span to be recorded: nothing reaches the OTLP receiver as a span, while the
trace id is still continued for correlation. Baggage is off by default: the service never sees
it in its context, so even an app that logs it carelessly exports nothing of it, and it is not
forwarded downstream. A second run, with remote parents trusted, shows that such a request's
span does arrive when the service is told to trust its callers, so the first run's silence
is the sampler's doing.

This module is also the service: ``uvicorn tests.integration.test_edge_propagation:app``.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry import baggage, propagate, trace
from opentelemetry.trace import format_trace_id

from tests.integration.conftest import REPO
from tta_otel.testing.otlp_sink import OtlpSink, Received, attributes
from tta_otel.testing.processes import distro_environment, instrumented_service, wait_until

pytestmark = pytest.mark.integration

# --- the service -----------------------------------------------------------------------------

logger = logging.getLogger("tta.edge")
logger.setLevel(logging.INFO)
app = FastAPI(title="edge propagation test service")


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/players/{player_id}/scene")
async def scene(player_id: str) -> dict[str, Any]:
    seen = dict(baggage.get_all())
    # Careless on purpose: whatever baggage reached the context would be logged and exported.
    logger.warning("edge request; baggage in context: %s", seen)
    outgoing: dict[str, str] = {}
    propagate.inject(outgoing)  # what a client instrumentation does on every outgoing call
    async with httpx.AsyncClient(timeout=5) as client:
        await client.get(os.environ["TTA_EDGE_DOWNSTREAM"], headers=outgoing)
    span_context = trace.get_current_span().get_span_context()
    return {
        "baggage": seen,
        "trace_id": format_trace_id(span_context.trace_id),
        "sampled": span_context.trace_flags.sampled,
    }


# --- the test ----------------------------------------------------------------------------------

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
SESSION_MARKER = "edge-baggage-marker-5f1c9a"
STATE_MARKER = "edge-tracestate-marker-77d2"


class Downstream:
    """A service the edge calls; keeps the headers of every request."""

    def __init__(self) -> None:
        self.headers: list[dict[str, str]] = []
        received = self.headers

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                received.append({key.lower(): value for key, value in self.headers.items()})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="downstream", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/next"

    def __enter__(self) -> Downstream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Run:
    received: Received
    response: dict[str, Any]
    forwarded: dict[str, str]
    email: str


def _edge_request(service_url: str, email: str) -> dict[str, Any]:
    headers = {
        "traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01",
        "tracestate": f"tta={STATE_MARKER}",
        "baggage": f"player_email={quote(email)},tta.session={SESSION_MARKER}",
    }
    response = httpx.get(f"{service_url}/players/p-1/scene", headers=headers, timeout=10)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def _run(tmp_path: Any, trust_remote_parent: bool, email: str) -> Run:
    config = tmp_path / "tta_config.yaml"
    config.write_text(
        "monitoring:\n  component: player-api\n  environment: test\n"
        f"  sampling: {{ratio: 0.0, trust_remote_parent: {str(trust_remote_parent).lower()}}}\n"
    )
    with OtlpSink() as sink, Downstream() as downstream:
        env = distro_environment(
            sink.endpoint,
            config,
            "redis://127.0.0.1:1/0",
            OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
            OTEL_METRIC_EXPORT_INTERVAL="1000",
            TTA_EDGE_DOWNSTREAM=downstream.url,
        )
        with instrumented_service(env, cwd=REPO, app=f"{__name__}:app") as service:
            response = _edge_request(service.url, email)

            def exported() -> bool:
                logged = any("edge request" in r.body.string_value for _, r in sink.received.log_records())
                return logged and "http.server.request.duration" in sink.received.metric_names()

            assert wait_until(exported, timeout=30), service.output()
            service.stop()  # flushes what is still buffered
        (forwarded,) = downstream.headers
        return Run(sink.received, response, forwarded, email)


@pytest.fixture(scope="module")
def untrusted(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return _run(tmp_path_factory.mktemp("untrusted"), trust_remote_parent=False, email="ada.player@example.org")


@pytest.fixture(scope="module")
def trusted(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return _run(tmp_path_factory.mktemp("trusted"), trust_remote_parent=True, email="bo.player@example.org")


def test_a_sampled_traceparent_cannot_force_a_span_at_ratio_zero(untrusted: Run) -> None:
    assert untrusted.response["sampled"] is False
    assert list(untrusted.received.spans()) == []


def test_the_trace_id_is_continued_for_correlation(untrusted: Run) -> None:
    assert untrusted.response["trace_id"] == TRACE_ID
    version, trace_id, _, flags = untrusted.forwarded["traceparent"].split("-")
    assert (version, trace_id, flags) == ("00", TRACE_ID, "00")
    (record,) = [r for _, r in untrusted.received.log_records() if "edge request" in r.body.string_value]
    assert record.trace_id.hex() == TRACE_ID


def test_inbound_baggage_and_tracestate_are_not_forwarded(untrusted: Run) -> None:
    assert untrusted.response["baggage"] == {}
    assert "baggage" not in untrusted.forwarded
    assert "tracestate" not in untrusted.forwarded
    assert not any(SESSION_MARKER in value or STATE_MARKER in value for value in untrusted.forwarded.values())


@pytest.mark.parametrize("mode", ["untrusted", "trusted"])
def test_the_baggage_appears_nowhere_in_what_the_receiver_got(mode: str, request: pytest.FixtureRequest) -> None:
    run: Run = request.getfixturevalue(mode)
    exported = run.received.as_text()
    assert exported  # logs and metrics did arrive
    for value in (SESSION_MARKER, run.email, quote(run.email), run.email.split("@")[0]):
        assert value not in exported


def test_a_trusted_remote_parent_is_followed(trusted: Run) -> None:
    assert trusted.response["sampled"] is True
    server = [
        span
        for _, span in trusted.received.spans()
        if attributes(span.attributes).get("http.route") == "/players/{player_id}/scene"
    ]
    assert server
    assert {span.trace_id.hex() for span in server} == {TRACE_ID}
    assert trusted.response["baggage"] == {}
    assert "baggage" not in trusted.forwarded
