"""Instrument Starlette (and so FastAPI) websockets: connections, messages and bytes, never content.

``opentelemetry-instrument`` enables it (entry point ``starlette_websockets``); by hand::

    from tta_otel.instrumentation.websockets import WebSocketInstrumentor

    WebSocketInstrumentor().instrument(meter_provider=meter_provider)

Metrics (no semantic conventions exist for websockets, hence the ``tta.`` namespace):

- ``tta.websocket.connection.duration`` (histogram, ``s``): accept to close, with
  ``http.route`` and ``websocket.close.code`` (int). Close codes are counted here: the
  histogram's count per code is the number of connections that ended with it.
- ``tta.websocket.connections.active`` (up-down counter, ``{connection}``), with ``http.route``.
- ``tta.websocket.messages`` (counter, ``{message}``) and ``tta.websocket.io`` (counter,
  ``By``: UTF-8 bytes of text, length of binary), with ``http.route`` and
  ``network.io.direction`` (``receive`` or ``transmit``).

The ASGI instrumentation (FastAPI's) makes one SERVER span per connection; this one adds
the events ``websocket.accept`` and ``websocket.close`` (with ``websocket.close.code``) to
the span that is current at accept, and at close the attributes
``tta.websocket.messages.received``, ``tta.websocket.messages.sent``,
``tta.websocket.bytes.received`` and ``tta.websocket.bytes.sent``. It creates no span of
its own, and no event per message.

Close codes: the client's (from its close frame; 1005 when the frame has none, 1006 when
the connection dropped), the application's (``websocket.close(code)``), 1006 when sending
found the connection gone, 1011 when the application raised, and 1006 when it returned
without closing (the server then drops the connection without a close frame).

Only ``WebSocket.receive`` and ``WebSocket.send`` are wrapped - every ``receive_*``,
``send_*``, ``iter_*``, ``accept`` and ``close`` goes through them - and
``WebSocketRoute.handle``, which sees the application end (return or raise). A websocket
served outside Starlette's routing is counted too, but a connection whose application
raises there without closing stays in ``connections.active``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, MutableMapping
from typing import Any

from opentelemetry import metrics
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.utils import is_instrumentation_enabled, unwrap
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from wrapt import wrap_function_wrapper

from tta_otel import __version__
from tta_otel.instrumentation.websockets.connection import ConnectionTracker
from tta_otel.instrumentation.websockets.package import _instruments

_logger = logging.getLogger(__name__)

_Wrapped = Callable[..., Awaitable[Any]]


class _Safe:
    """Runs the tracker's bookkeeping; a failure there is logged once and never reaches the app.

    Nothing is recorded inside ``suppress_instrumentation()``, as with every instrumentation.
    """

    def __init__(self, tracker: ConnectionTracker) -> None:
        self.tracker = tracker
        self._warned = False

    def __call__(self, record: Callable[..., None], *args: Any) -> None:
        if not is_instrumentation_enabled():
            return
        try:
            record(*args)
        except Exception:
            if not self._warned:
                self._warned = True
                _logger.warning("tta_otel: websocket telemetry failed; the connection goes on", exc_info=True)


def _receive_wrapper(safe: _Safe) -> Callable[..., Awaitable[Any]]:
    async def receive(wrapped: _Wrapped, instance: WebSocket, args: Any, kwargs: Any) -> Any:
        message = await wrapped(*args, **kwargs)
        safe(safe.tracker.received, instance.scope, message)
        return message

    return receive


def _send_wrapper(safe: _Safe) -> Callable[..., Awaitable[None]]:
    async def send(wrapped: _Wrapped, instance: WebSocket, args: Any, kwargs: Any) -> None:
        try:
            await wrapped(*args, **kwargs)
        except WebSocketDisconnect as gone:  # Starlette's answer when the transport is gone
            safe(safe.tracker.closed, instance.scope, gone.code)
            raise
        safe(safe.tracker.sent, instance.scope, args[0] if args else kwargs.get("message", {}))

    return send


def _handle_wrapper(safe: _Safe) -> Callable[..., Awaitable[None]]:
    async def handle(wrapped: _Wrapped, instance: WebSocketRoute, args: Any, kwargs: Any) -> None:
        scope: MutableMapping[str, Any] = args[0] if args else kwargs["scope"]
        safe(safe.tracker.routed, scope, instance.path_format)
        try:
            await wrapped(*args, **kwargs)
        except BaseException:
            safe(safe.tracker.ended, scope, True)
            raise
        safe(safe.tracker.ended, scope, False)

    return handle


class WebSocketInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Counts websocket connections, messages and bytes, never their content."""

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def _instrument(self, **kwargs: Any) -> None:
        meter = metrics.get_meter(__name__, __version__, kwargs.get("meter_provider"))
        safe = _Safe(ConnectionTracker(meter))
        wrap_function_wrapper("starlette.websockets", "WebSocket.receive", _receive_wrapper(safe))
        wrap_function_wrapper("starlette.websockets", "WebSocket.send", _send_wrapper(safe))
        wrap_function_wrapper("starlette.routing", "WebSocketRoute.handle", _handle_wrapper(safe))

    def _uninstrument(self, **kwargs: Any) -> None:
        unwrap(WebSocket, "receive")
        unwrap(WebSocket, "send")
        unwrap(WebSocketRoute, "handle")


__all__ = ["WebSocketInstrumentor"]
