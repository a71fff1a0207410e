"""Per-connection accounting: the instruments, and the state of each websocket from accept to close.

A connection's state lives in its ASGI scope, which the route and the ``WebSocket`` object
share, so the message wrappers and the route wrapper find the same connection without any
registry. Only sizes and counts are read from a message: never its text or bytes.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Final

from opentelemetry import trace
from opentelemetry.metrics import Meter

from tta_otel import instruments, semconv

HTTP_ROUTE: Final = semconv.HTTP_ROUTE
CLOSE_CODE: Final = semconv.WEBSOCKET_CLOSE_CODE
_APPLICATION_CODES: Final = range(3000, 5000)


def metric_close_code(code: int) -> int:
    """The close code as a metric attribute: RFC 6455 codes as they are; the 3000-4999 range, which
    clients and libraries choose freely, folded to 3000 or 4000 so it cannot add 2,000 series."""
    return code // 1000 * 1000 if code in _APPLICATION_CODES else code


IO_DIRECTION: Final = semconv.NETWORK_IO_DIRECTION
MESSAGES_RECEIVED: Final = semconv.TTA_WEBSOCKET_MESSAGES_RECEIVED
MESSAGES_SENT: Final = semconv.TTA_WEBSOCKET_MESSAGES_SENT
BYTES_RECEIVED: Final = semconv.TTA_WEBSOCKET_BYTES_RECEIVED
BYTES_SENT: Final = semconv.TTA_WEBSOCKET_BYTES_SENT
ACCEPT_EVENT: Final = "websocket.accept"
CLOSE_EVENT: Final = "websocket.close"

# RFC 6455 section 7.4.1. A close frame without a code reads as 1005; a connection that ended
# without any close frame as 1006; 1011 is what a server means when its application failed.
CLOSE_NO_STATUS: Final = 1005
CLOSE_ABNORMAL: Final = 1006
CLOSE_INTERNAL_ERROR: Final = 1011

_SCOPE_KEY: Final = "tta_otel.websocket"


def message_size(message: Mapping[str, Any]) -> int:
    """Bytes on the wire of a ``websocket.receive``/``websocket.send`` message: UTF-8 text or binary."""
    text = message.get("text")
    if isinstance(text, str):
        return len(text) if text.isascii() else len(text.encode("utf-8"))
    data = message.get("bytes")
    return len(data) if isinstance(data, (bytes, bytearray, memoryview)) else 0


@dataclass
class Connection:
    """One websocket: where it is routed, the span it reports to, and its counts so far."""

    route: str | None
    span: trace.Span = trace.INVALID_SPAN
    started: float = 0.0
    accepted: bool = False
    closed: bool = False
    received: int = 0
    sent: int = 0
    bytes_received: int = 0
    bytes_sent: int = 0
    attributes: dict[str, Any] = field(default_factory=dict)
    receive_attributes: dict[str, Any] = field(default_factory=dict)
    transmit_attributes: dict[str, Any] = field(default_factory=dict)


class ConnectionTracker:
    """Records each connection's messages, bytes, lifetime and close code."""

    def __init__(self, meter: Meter) -> None:
        self._duration = instruments.histogram(meter, semconv.TTA_WEBSOCKET_CONNECTION_DURATION)
        self._active = instruments.up_down_counter(meter, semconv.TTA_WEBSOCKET_CONNECTIONS_ACTIVE)
        self._messages = instruments.counter(meter, semconv.TTA_WEBSOCKET_MESSAGES)
        self._io = instruments.counter(meter, semconv.TTA_WEBSOCKET_IO)

    @staticmethod
    def routed(scope: MutableMapping[str, Any], route: str) -> None:
        """The connection in ``scope`` is served by the route template ``route``."""
        scope[_SCOPE_KEY] = Connection(route)

    @staticmethod
    def _connection(scope: MutableMapping[str, Any]) -> Connection:
        connection = scope.get(_SCOPE_KEY)
        if not isinstance(connection, Connection):
            connection = scope[_SCOPE_KEY] = Connection(None)
        return connection

    def received(self, scope: MutableMapping[str, Any], message: Mapping[str, Any]) -> None:
        kind = message.get("type")
        if kind == "websocket.receive":
            connection = self._connection(scope)
            size = message_size(message)
            connection.received += 1
            connection.bytes_received += size
            self._messages.add(1, connection.receive_attributes)
            self._io.add(size, connection.receive_attributes)
        elif kind == "websocket.disconnect":
            self.closed(scope, int(message.get("code", CLOSE_NO_STATUS)))

    def sent(self, scope: MutableMapping[str, Any], message: Mapping[str, Any]) -> None:
        kind = message.get("type")
        if kind == "websocket.send":
            connection = self._connection(scope)
            size = message_size(message)
            connection.sent += 1
            connection.bytes_sent += size
            self._messages.add(1, connection.transmit_attributes)
            self._io.add(size, connection.transmit_attributes)
        elif kind == "websocket.accept":
            self._accepted(self._connection(scope))
        elif kind == "websocket.close":
            self.closed(scope, int(message.get("code", 1000)))

    def _accepted(self, connection: Connection) -> None:
        route = {HTTP_ROUTE: connection.route} if connection.route else {}
        connection.attributes = route
        connection.receive_attributes = {**route, IO_DIRECTION: "receive"}
        connection.transmit_attributes = {**route, IO_DIRECTION: "transmit"}
        connection.span = trace.get_current_span()
        connection.started = time.perf_counter()
        connection.accepted = True
        self._active.add(1, connection.attributes)
        connection.span.add_event(ACCEPT_EVENT)

    def closed(self, scope: MutableMapping[str, Any], code: int) -> None:
        """The connection ended with ``code``; later closes of the same connection are ignored."""
        connection = self._connection(scope)
        if connection.closed:
            return
        connection.closed = True
        if not connection.accepted:
            return  # refused before the handshake completed: an HTTP answer, not a websocket session
        self._active.add(-1, connection.attributes)
        attributes = {**connection.attributes, CLOSE_CODE: metric_close_code(code)}
        self._duration.record(time.perf_counter() - connection.started, attributes)
        span = connection.span
        span.add_event(CLOSE_EVENT, {CLOSE_CODE: code})
        span.set_attributes(
            {
                MESSAGES_RECEIVED: connection.received,
                MESSAGES_SENT: connection.sent,
                BYTES_RECEIVED: connection.bytes_received,
                BYTES_SENT: connection.bytes_sent,
            }
        )

    def ended(self, scope: MutableMapping[str, Any], failed: bool) -> None:
        """The application is done with the connection: close it if neither side did."""
        self.closed(scope, CLOSE_INTERNAL_ERROR if failed else CLOSE_ABNORMAL)
