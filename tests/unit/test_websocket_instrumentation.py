"""The websocket instrumentation against Starlette's own ``WebSocket`` and ``WebSocketRoute``, with
scripted ASGI ``receive`` and ``send`` callables: the cases a real client cannot easily produce."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from tta_otel.instrumentation.websockets import WebSocketInstrumentor
from tta_otel.instrumentation.websockets.connection import ConnectionTracker, message_size
from tta_otel.testing.metrics import Series, counts

Message = dict[str, Any]


class Peer:
    """The server side of ASGI: hands out scripted messages, keeps what the app sent."""

    def __init__(self, *incoming: Message, send_fails: bool = False) -> None:
        self.incoming = [{"type": "websocket.connect"}, *incoming]
        self.outgoing: list[Message] = []
        self.send_fails = send_fails

    async def receive(self) -> Message:
        return self.incoming.pop(0)

    async def send(self, message: Message) -> None:
        if self.send_fails and message["type"] == "websocket.send":
            raise OSError("connection reset")
        self.outgoing.append(message)


def _scope() -> dict[str, Any]:
    return {"type": "websocket", "path": "/stream", "headers": [], "query_string": b""}


@pytest.fixture
def reader() -> Iterator[InMemoryMetricReader]:
    reader = InMemoryMetricReader()
    WebSocketInstrumentor().instrument(meter_provider=MeterProvider(metric_readers=[reader]))
    yield reader
    WebSocketInstrumentor().uninstrument()


def _durations(reader: InMemoryMetricReader) -> dict[Series, int]:
    return counts(reader.get_metrics_data(), "tta.websocket.connection.duration")


def _serve(endpoint: Callable[[WebSocket], Awaitable[None]], peer: Peer) -> None:
    """``endpoint`` behind a real route, as Starlette's router calls it."""
    route = WebSocketRoute("/stream", endpoint)
    asyncio.run(route.handle(_scope(), peer.receive, peer.send))


def test_instrument_wraps_receive_send_and_the_route_handler() -> None:
    originals = (WebSocket.receive, WebSocket.send, WebSocketRoute.handle)
    WebSocketInstrumentor().instrument(meter_provider=MeterProvider())
    try:
        assert all(
            wrapped is not original
            for wrapped, original in zip(
                (WebSocket.receive, WebSocket.send, WebSocketRoute.handle), originals, strict=True
            )
        )
    finally:
        WebSocketInstrumentor().uninstrument()


def test_uninstrument_restores_every_wrapped_method() -> None:
    originals = (WebSocket.receive, WebSocket.send, WebSocketRoute.handle)
    WebSocketInstrumentor().instrument(meter_provider=MeterProvider())
    WebSocketInstrumentor().uninstrument()
    assert all(
        restored is original
        for restored, original in zip(
            (WebSocket.receive, WebSocket.send, WebSocketRoute.handle), originals, strict=True
        )
    )


@pytest.mark.parametrize(
    ("message", "size"),
    [
        ({"type": "websocket.send", "text": "scene"}, 5),
        ({"type": "websocket.send", "text": "forêt"}, 6),
        ({"type": "websocket.send", "bytes": b"\x00\x01\x02"}, 3),
        ({"type": "websocket.send", "text": None, "bytes": None}, 0),
    ],
)
def test_message_size_is_utf8_text_or_binary_length(message: Message, size: int) -> None:
    assert message_size(message) == size


def test_a_send_to_a_vanished_client_is_recorded_as_1006(reader: InMemoryMetricReader) -> None:
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("The story goes on.")

    with pytest.raises(WebSocketDisconnect):
        _serve(endpoint, Peer(send_fails=True))
    assert _durations(reader) == {frozenset({("http.route", "/stream"), ("websocket.close.code", 1006)}): 1}


def test_a_close_frame_without_a_code_is_recorded_as_1005(reader: InMemoryMetricReader) -> None:
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.receive()

    _serve(endpoint, Peer({"type": "websocket.disconnect"}))
    assert _durations(reader) == {frozenset({("http.route", "/stream"), ("websocket.close.code", 1005)}): 1}


def test_an_app_that_returns_without_closing_is_recorded_as_1006(reader: InMemoryMetricReader) -> None:
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()

    _serve(endpoint, Peer())
    assert _durations(reader) == {frozenset({("http.route", "/stream"), ("websocket.close.code", 1006)}): 1}


def test_only_the_first_close_of_a_connection_counts(reader: InMemoryMetricReader) -> None:
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.receive()
        await websocket.close(code=1000)

    _serve(endpoint, Peer({"type": "websocket.disconnect", "code": 1001}))
    assert _durations(reader) == {frozenset({("http.route", "/stream"), ("websocket.close.code", 1001)}): 1}


def test_a_websocket_outside_the_router_is_counted_without_a_route(reader: InMemoryMetricReader) -> None:
    peer = Peer({"type": "websocket.disconnect", "code": 1000})

    async def session() -> None:
        websocket = WebSocket(_scope(), peer.receive, peer.send)
        await websocket.accept()
        await websocket.receive()

    asyncio.run(session())
    assert _durations(reader) == {frozenset({("websocket.close.code", 1000)}): 1}


def test_without_a_current_span_no_span_is_created() -> None:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    WebSocketInstrumentor().instrument(tracer_provider=tracer_provider, meter_provider=MeterProvider())

    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.receive_text()
        await websocket.send_text("The story goes on.")
        await websocket.close()

    try:
        _serve(endpoint, Peer({"type": "websocket.receive", "text": "hello"}))
    finally:
        WebSocketInstrumentor().uninstrument()
    assert spans.get_finished_spans() == ()


def test_a_failure_in_the_telemetry_never_reaches_the_app(
    reader: InMemoryMetricReader, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("telemetry bug")

    monkeypatch.setattr(ConnectionTracker, "received", broken)
    received: list[str] = []

    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        received.extend([await websocket.receive_text(), await websocket.receive_text()])
        await websocket.close()

    with caplog.at_level(logging.WARNING):
        _serve(
            endpoint, Peer({"type": "websocket.receive", "text": "one"}, {"type": "websocket.receive", "text": "two"})
        )
    assert received == ["one", "two"]
    assert [record.getMessage() for record in caplog.records] == [
        "tta_otel: websocket telemetry failed; the connection goes on"
    ]


@pytest.mark.parametrize(("code", "recorded"), [(1000, 1000), (1011, 1011), (3003, 3000), (4999, 4000), (5000, 5000)])
def test_application_close_codes_are_folded_for_the_metric(code: int, recorded: int) -> None:
    from tta_otel.instrumentation.websockets.connection import metric_close_code

    assert metric_close_code(code) == recorded
