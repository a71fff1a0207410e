"""The websocket instrumentation on a real FastAPI app served by uvicorn on loopback, driven by
the ``websockets`` client library: metrics, span events and close codes, and no content."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from faker import Faker
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, Metric
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from websockets.sync.client import ClientConnection, connect

from tta_otel.instrumentation.websockets import WebSocketInstrumentor
from tta_otel.testing.metrics import Series, metrics, points, series
from tta_otel.testing.processes import free_port, wait_until

pytestmark = pytest.mark.integration

STREAM = "/players/{player_id}/stream"
REPLY = "The story goes on."


def _app(disconnects: list[int]) -> FastAPI:
    app = FastAPI()

    @app.websocket(STREAM)
    async def stream(websocket: WebSocket, player_id: str) -> None:
        await websocket.accept()
        try:
            while True:
                await websocket.receive_text()
                await websocket.send_text(REPLY)
        except WebSocketDisconnect as disconnect:
            disconnects.append(disconnect.code)

    @app.websocket("/binary")
    async def binary(websocket: WebSocket) -> None:
        await websocket.accept()
        async for data in websocket.iter_bytes():
            await websocket.send_bytes(data[:3])

    @app.websocket("/close")
    async def close(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.receive_text()
        await websocket.close(code=1011)

    @app.websocket("/crash")
    async def crash(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.receive_text()
        raise RuntimeError("the narrative engine failed")

    @app.websocket("/refuse")
    async def refuse(websocket: WebSocket) -> None:
        await websocket.close(code=1008)

    return app


@dataclass
class Served:
    url: str
    spans: InMemorySpanExporter
    reader: InMemoryMetricReader
    disconnects: list[int]

    def connect(self, path: str) -> ClientConnection:
        return connect(self.url + path)

    def metrics(self) -> dict[str, Metric]:
        return metrics(self.reader.get_metrics_data())

    def points(self, name: str) -> dict[Series, Any]:
        return {series(point.attributes): point for point in points(self.reader.get_metrics_data(), name)}

    def closed_codes(self) -> dict[int, int]:
        """Connections closed so far, by close code."""
        codes: dict[int, int] = {}
        for attributes, point in self.points("tta.websocket.connection.duration").items():
            code = dict(attributes)["websocket.close.code"]
            codes[code] = codes.get(code, 0) + point.count
        return codes

    def wait_closed(self, count: int) -> None:
        assert wait_until(lambda: sum(self.closed_codes().values()) >= count, timeout=10)

    def server_span(self, route: str) -> ReadableSpan:
        def found() -> list[ReadableSpan]:
            return [
                span
                for span in self.spans.get_finished_spans()
                if span.kind is SpanKind.SERVER and (span.attributes or {}).get("http.route") == route
            ]

        assert wait_until(lambda: bool(found()), timeout=10)
        (span,) = found()
        return span


@pytest.fixture
def served() -> Iterator[Served]:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    disconnects: list[int] = []
    app = _app(disconnects)
    FastAPIInstrumentor.instrument_app(app, tracer_provider=tracer_provider, meter_provider=meter_provider)
    WebSocketInstrumentor().instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        assert wait_until(lambda: server.started, timeout=20)
        yield Served(f"ws://127.0.0.1:{port}", spans, reader, disconnects)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        WebSocketInstrumentor().uninstrument()
        meter_provider.shutdown()


def _talk(websocket: ClientConnection, messages: list[str]) -> None:
    for message in messages:
        websocket.send(message)
        assert websocket.recv(timeout=10) == REPLY


def test_the_instruments_have_their_names_units_and_descriptions(served: Served) -> None:
    with served.connect("/players/player-1/stream") as websocket:
        _talk(websocket, ["hello"])
    served.wait_closed(1)
    assert {
        name: (metric.unit, metric.description)
        for name, metric in served.metrics().items()
        if name.startswith("tta.websocket.")
    } == {
        "tta.websocket.connection.duration": ("s", "Time from a websocket's accept to its close, by close code"),
        "tta.websocket.connections.active": ("{connection}", "Websocket connections accepted and not yet closed"),
        "tta.websocket.messages": ("{message}", "Websocket data messages, by direction"),
        "tta.websocket.io": ("By", "Websocket payload bytes, by direction"),
    }


def test_text_messages_are_counted_by_direction(served: Served) -> None:
    with served.connect("/players/player-1/stream") as websocket:
        _talk(websocket, ["one", "two", "three"])
    served.wait_closed(1)
    assert {attributes: point.value for attributes, point in served.points("tta.websocket.messages").items()} == {
        frozenset({("http.route", STREAM), ("network.io.direction", "receive")}): 3,
        frozenset({("http.route", STREAM), ("network.io.direction", "transmit")}): 3,
    }


def test_text_bytes_are_counted_as_utf8_by_direction(served: Served) -> None:
    with served.connect("/players/player-1/stream") as websocket:
        _talk(websocket, ["héllo", "ok"])  # 6 + 2 bytes in, twice the 18-byte reply out
    served.wait_closed(1)
    assert {attributes: point.value for attributes, point in served.points("tta.websocket.io").items()} == {
        frozenset({("http.route", STREAM), ("network.io.direction", "receive")}): 8,
        frozenset({("http.route", STREAM), ("network.io.direction", "transmit")}): 36,
    }


def test_binary_bytes_are_counted_by_length(served: Served) -> None:
    with served.connect("/binary") as websocket:
        websocket.send(bytes(10))
        assert websocket.recv(timeout=10) == bytes(3)
    served.wait_closed(1)
    assert {attributes: point.value for attributes, point in served.points("tta.websocket.io").items()} == {
        frozenset({("http.route", "/binary"), ("network.io.direction", "receive")}): 10,
        frozenset({("http.route", "/binary"), ("network.io.direction", "transmit")}): 3,
    }


def test_active_connections_count_open_sessions_and_return_to_zero(served: Served) -> None:
    route = frozenset({("http.route", STREAM)})
    with served.connect("/players/player-1/stream") as first, served.connect("/players/player-2/stream") as second:
        _talk(first, ["hello"])
        _talk(second, ["hello"])
        assert served.points("tta.websocket.connections.active")[route].value == 2
    served.wait_closed(2)
    assert served.points("tta.websocket.connections.active")[route].value == 0


def test_a_normal_close_by_the_client_is_recorded_with_1000_and_the_route(served: Served) -> None:
    with served.connect("/players/player-1/stream") as websocket:
        _talk(websocket, ["hello"])
    served.wait_closed(1)
    (attributes,) = served.points("tta.websocket.connection.duration")
    assert dict(attributes) == {"http.route": STREAM, "websocket.close.code": 1000}


def test_the_disconnect_reaches_the_app_unchanged(served: Served) -> None:
    with served.connect("/players/player-1/stream") as websocket:
        _talk(websocket, ["hello"])
        websocket.close(code=1001)
    served.wait_closed(1)
    assert served.disconnects == [1001]
    assert served.closed_codes() == {1001: 1}


def test_a_server_close_with_1011_is_recorded(served: Served) -> None:
    with served.connect("/close") as websocket:
        websocket.send("bye")
        websocket.recv_messages.close()
        assert wait_until(lambda: websocket.close_code == 1011, timeout=10)
    served.wait_closed(1)
    assert served.closed_codes() == {1011: 1}


def test_an_app_exception_is_recorded_as_1011(served: Served) -> None:
    with served.connect("/crash") as websocket:
        websocket.send("bye")
        assert wait_until(lambda: websocket.close_code is not None, timeout=10)
    served.wait_closed(1)
    assert served.closed_codes() == {1011: 1}


def test_an_app_exception_propagates_to_the_server_span_after_the_close_event(served: Served) -> None:
    with served.connect("/crash") as websocket:
        websocket.send("bye")
        assert wait_until(lambda: websocket.close_code is not None, timeout=10)
    events = served.server_span("/crash").events
    assert [event.name for event in events[:2]] == ["websocket.accept", "websocket.close"]
    assert {(event.name, dict(event.attributes or {})["exception.type"]) for event in events[2:]} == {
        ("exception", "RuntimeError")
    }


def test_a_refused_handshake_is_not_a_connection(served: Served) -> None:
    with pytest.raises(Exception, match="403"), served.connect("/refuse"):
        pass
    served.wait_closed(0)
    assert served.points("tta.websocket.connections.active") == {}
    assert served.closed_codes() == {}


def test_the_server_span_gets_accept_and_close_events_and_the_counts(served: Served) -> None:
    with served.connect("/players/player-1/stream") as websocket:
        _talk(websocket, ["one", "two"])
    span = served.server_span(STREAM)
    events = [(event.name, dict(event.attributes or {})) for event in span.events]
    assert events == [("websocket.accept", {}), ("websocket.close", {"websocket.close.code": 1000})]
    assert {key: value for key, value in (span.attributes or {}).items() if key.startswith("tta.websocket.")} == {
        "tta.websocket.messages.received": 2,
        "tta.websocket.messages.sent": 2,
        "tta.websocket.bytes.received": 6,
        "tta.websocket.bytes.sent": 36,
    }


def test_no_message_content_reaches_any_signal(served: Served, fake: Faker) -> None:
    email, sentence = fake.email(), fake.sentence(nb_words=10)
    with served.connect("/players/player-1/stream") as websocket:
        _talk(websocket, [email, f"I never told anyone that {sentence}"])
    served.wait_closed(1)
    served.server_span(STREAM)
    exported = "".join(span.to_json() for span in served.spans.get_finished_spans())
    data = served.reader.get_metrics_data()
    assert data is not None
    exported += data.to_json()
    assert email not in exported
    assert sentence not in exported
