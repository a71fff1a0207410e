"""The HTTP side of ``tta-otel alerts serve`` and the process around it.

- ``POST /alerts``: Alertmanager's webhook (payload version 4).
- ``POST /alerts/<fingerprint>/ack[?by=<name>]``: acknowledge without a silence.
- ``GET /alerts[?limit=N]``: the latest N lifecycle records (default 1000), as JSON, the latest fired first.
- ``GET /healthz``: the service is up; whether Alertmanager answers; whether silences
  acknowledge; how many alerts are open.

Every endpoint wants ``Authorization: Bearer <token>`` (the token file's content, compared
in constant time): 401 without it. A body over 1 MiB gets 413 unread; a request not read
in full within the read timeout is cut off; requests run on a fixed pool of workers. A
malformed request gets a 4xx answer with a JSON ``error`` that says what is wrong, and a
log line (every value in it escaped); it never stops the service.
"""

from __future__ import annotations

import hmac
import io
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tta_otel.ops.alerts.alertmanager import AlertmanagerClient
from tta_otel.ops.alerts.escalation import Receiver
from tta_otel.ops.alerts.lifecycle import as_json
from tta_otel.ops.alerts.logs import get_logger
from tta_otel.ops.alerts.metrics import export_to_collector
from tta_otel.ops.alerts.service import DEFAULT_RETENTION, AlertService
from tta_otel.ops.alerts.store import Store
from tta_otel.ops.alerts.webhook import FINGERPRINT_PATTERN, PayloadError, parse_webhook

log = get_logger()

MAX_BODY_BYTES = 1024 * 1024
"""1 MiB: far above what Alertmanager sends for a group of hundreds of alerts."""

DEFAULT_READ_TIMEOUT = timedelta(seconds=10)
DEFAULT_WORKERS = 8
QUEUED_CONNECTIONS = 32
"""Connections accepted beyond the busy workers; past that, a connection gets 503 at once."""

DEFAULT_RECORDS_LIMIT = 1_000
MAX_RECORDS_LIMIT = 10_000
MAX_BY_CHARS = 200

_SIGNAL_LATENCY_S = 0.5
"""The main thread waits for ``stop`` in steps this long: a signal the kernel hands to another thread
only reaches its Python handler (which sets ``stop``) when the main thread next runs."""

_ACK_PATH = re.compile(r"^/alerts/(" + FINGERPRINT_PATTERN.strip("^$") + r")/ack$")


@dataclass(frozen=True)
class Settings:
    listen: tuple[str, int]
    alertmanager_url: str
    otlp_endpoint: str
    state_dir: Path
    chain: tuple[Receiver, ...]
    escalate_after: timedelta
    check_interval: timedelta
    token: str
    alertmanager_credentials: str | None = None
    retention: timedelta = DEFAULT_RETENTION
    read_timeout: timedelta = DEFAULT_READ_TIMEOUT
    workers: int = DEFAULT_WORKERS


class _DeadlineReader(io.RawIOBase):
    """The connection's bytes, each read bounded by what is left of one deadline for the whole request:
    a client that sends its request line, headers or body slowly is cut off when the deadline passes."""

    def __init__(self, connection: socket.socket, deadline: float) -> None:
        self._connection = connection
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request took longer than the read timeout")
        self._connection.settimeout(left)
        return self._connection.recv_into(buffer)


def _handler(service: AlertService, token: str, read_timeout: timedelta) -> type[BaseHTTPRequestHandler]:
    expected = f"Bearer {token}".encode()

    class Handler(BaseHTTPRequestHandler):
        server_version = "tta-otel-alerts"
        # HTTP/1.0: one request per connection, so the deadline covers the whole connection
        protocol_version = "HTTP/1.0"

        def setup(self) -> None:
            super().setup()
            self.rfile.close()  # the socket's own file; the socket stays open
            deadline = time.monotonic() + read_timeout.total_seconds()
            self.rfile = io.BufferedReader(_DeadlineReader(self.connection, deadline))
            self._linger = False

        def finish(self) -> None:
            super().finish()
            if self._linger:
                _linger(self.connection)

        def do_GET(self) -> None:
            if not self._authorized():
                return
            url = urlsplit(self.path)
            if url.path == "/alerts":
                limit = self._limit(url.query)
                if limit is not None:
                    self._answer(200, [as_json(record) for record in service.records(limit)])
            elif url.path == "/healthz":
                self._answer(200, service.health())
            else:
                self._answer(404, {"error": f"no GET {url.path}: try GET /alerts or GET /healthz"})

        def do_POST(self) -> None:
            if not self._authorized():
                return
            url = urlsplit(self.path)
            body = self._body()
            if body is None:
                return
            if url.path == "/alerts":
                self._webhook(body)
            elif match := _ACK_PATH.match(url.path):
                by = parse_qs(url.query).get("by", ["someone"])[0][:MAX_BY_CHARS]
                record = service.acknowledge(match[1], f"{by} (ack endpoint)")
                if record is None:
                    self._answer(404, {"error": f"no alert {match[1]} was ever notified"})
                else:
                    self._answer(200, as_json(record))
            else:
                self._answer(404, {"error": f"no POST {url.path}: try POST /alerts or POST /alerts/<fingerprint>/ack"})

        def _authorized(self) -> bool:
            """Whether the request carries the bearer token (compared in constant time); else a 401 is answered."""
            given = self.headers.get("Authorization", "").encode("latin-1", "replace")
            if hmac.compare_digest(given, expected):
                return True
            log.warning(
                "refused a request without the token from %s: %s %s", self.client_address[0], self.command, self.path
            )
            self._answer(
                401,
                {"error": "a bearer token is required (Authorization: Bearer <token>)"},
                close=True,
                headers={"WWW-Authenticate": 'Bearer realm="tta-otel alerts"'},
            )
            return False

        def _limit(self, query: str) -> int | None:
            text = parse_qs(query).get("limit", [str(DEFAULT_RECORDS_LIMIT)])[0]
            if not text.isdigit() or not 0 < int(text) <= MAX_RECORDS_LIMIT:
                self._answer(400, {"error": f"limit must be a number from 1 to {MAX_RECORDS_LIMIT}"})
                return None
            return int(text)

        def _body(self) -> bytes | None:
            """The request body, or None once a 4xx has been answered (a refused body is never read)."""
            if "Transfer-Encoding" in self.headers:
                self._answer(411, {"error": "send the body with a Content-Length, not a Transfer-Encoding"}, close=True)
                return None
            length = self.headers.get("Content-Length", "0").strip()
            if not length.isdigit():
                self._answer(400, {"error": "Content-Length is not a number of bytes"}, close=True)
                return None
            if int(length) > MAX_BODY_BYTES:
                self._answer(
                    413, {"error": f"the body has {length} bytes; at most {MAX_BODY_BYTES} are taken"}, close=True
                )
                return None
            body = self.rfile.read(int(length))
            if len(body) < int(length):
                self._answer(400, {"error": "the body ended before its Content-Length"}, close=True)
                return None
            return body

        def _webhook(self, body: bytes) -> None:
            try:
                notifications = parse_webhook(body)
            except PayloadError as error:
                log.warning("rejected a webhook request from %s: %s", self.client_address[0], error)
                self._answer(400, {"error": str(error)})
                return
            service.receive(notifications)
            self._answer(200, {"received": len(notifications)})

        def _answer(
            self, status: int, document: Any, *, close: bool = False, headers: dict[str, str] | None = None
        ) -> None:
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
                self._linger = True
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s %s", self.address_string(), format % args)

        def log_error(self, format: str, *args: Any) -> None:
            log.warning("%s %s", self.address_string(), format % args)

    return Handler


_LINGER_S = 0.5
_LINGER_BYTES = 256 * 1024


def _linger(connection: socket.socket) -> None:
    """After an answer to a request whose body was refused: stop sending, then drop what the client
    still sends for a moment (bounded in time and bytes), so that closing does not reset the
    connection before the client has read the answer."""
    try:
        connection.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + _LINGER_S
        dropped = 0
        while dropped < _LINGER_BYTES and (left := deadline - time.monotonic()) > 0:
            connection.settimeout(left)
            chunk = connection.recv(65536)
            if not chunk:
                return
            dropped += len(chunk)
    except OSError:
        return


class BoundedHTTPServer(HTTPServer):
    """An HTTP server whose requests run on a fixed pool of worker threads.

    At most ``workers`` requests run at once and ``queued`` more wait; a connection beyond
    that gets a 503 at once, so a flood of connections costs neither a thread each nor
    unbounded memory.
    """

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        workers: int = DEFAULT_WORKERS,
        queued: int = QUEUED_CONNECTIONS,
    ) -> None:
        self._capacity = workers + queued
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="alerts-http")
        self._slots = threading.BoundedSemaphore(self._capacity)
        super().__init__(address, handler)  # binds: on failure server_close, which needs the pool, runs

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self._refuse(request)
            return
        try:
            self._pool.submit(self._work, request, client_address)
        except RuntimeError:  # the pool is shut down
            self._slots.release()
            self.shutdown_request(request)

    def _work(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            self._slots.release()

    def _refuse(self, request: socket.socket) -> None:
        log.warning("refused a connection: %d requests are running or waiting", self._capacity)
        try:
            request.settimeout(1.0)
            request.sendall(b"HTTP/1.0 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        except OSError:
            pass
        self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.exception("a request from %s failed", client_address[0] if client_address else "?")

    def server_close(self) -> None:
        super().server_close()
        self._pool.shutdown(wait=True, cancel_futures=True)


def _check_loop(service: AlertService, interval: timedelta, stop: threading.Event) -> None:
    while True:
        try:
            service.check()
        except Exception:  # a bug or a broken disk must not silently end every later escalation
            log.exception("the check failed; trying again in %s", interval)
        if stop.wait(interval.total_seconds()):
            return


def serve(settings: Settings, stop: threading.Event, ready: Callable[[str], None]) -> None:
    """Run until ``stop`` is set; ``ready`` gets the service's URL once it takes requests.

    Raises StoreError (the state directory is unusable or in use) or OSError (the address
    is in use) before anything runs. On the way out the last metrics are flushed.
    """
    with Store.open(settings.state_dir) as store:
        metrics, stop_metrics = export_to_collector(settings.otlp_endpoint)
        try:
            alertmanager = AlertmanagerClient(settings.alertmanager_url, credentials=settings.alertmanager_credentials)
            service = AlertService(
                store, alertmanager, metrics, settings.chain, settings.escalate_after, settings.retention
            )
            handler = _handler(service, settings.token, settings.read_timeout)
            with BoundedHTTPServer(settings.listen, handler, settings.workers) as server:
                threads = [
                    threading.Thread(target=server.serve_forever, name="alerts-http"),
                    threading.Thread(target=_check_loop, args=(service, settings.check_interval, stop), name="check"),
                ]
                for thread in threads:
                    thread.start()
                host, port = server.server_address[:2]
                ready(f"http://{host!s}:{port}")
                while not stop.wait(timeout=_SIGNAL_LATENCY_S):
                    pass
                server.shutdown()
                for thread in threads:
                    thread.join()
        finally:
            stop_metrics()
