"""The HTTP side of ``tta-otel alerts serve`` and the process around it.

- ``POST /alerts``: Alertmanager's webhook (payload version 4).
- ``POST /alerts/<fingerprint>/ack[?by=<name>]``: acknowledge without a silence.
- ``GET /alerts``: every lifecycle record, as JSON, the latest fired first.
- ``GET /healthz``: the service is up; whether Alertmanager answers; how many alerts are open.

A malformed request gets a 4xx answer with a JSON ``error`` that says what is wrong, and a
log line; it never stops the service.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tta_otel.ops.alerts.alertmanager import AlertmanagerClient
from tta_otel.ops.alerts.escalation import Receiver
from tta_otel.ops.alerts.lifecycle import as_json
from tta_otel.ops.alerts.metrics import export_to_collector
from tta_otel.ops.alerts.service import AlertService
from tta_otel.ops.alerts.store import Store
from tta_otel.ops.alerts.webhook import FINGERPRINT_PATTERN, PayloadError, parse_webhook

log = logging.getLogger("tta_otel.ops.alerts")

MAX_BODY_BYTES = 16 * 1024 * 1024
"""Far above what Alertmanager sends for a group of a few thousand alerts."""

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


def _handler(service: AlertService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "tta-otel-alerts"

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path == "/alerts":
                self._answer(200, [as_json(record) for record in service.records()])
            elif path == "/healthz":
                self._answer(200, service.health())
            else:
                self._answer(404, {"error": f"no GET {path}: try GET /alerts or GET /healthz"})

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            body = self._body()
            if body is None:
                return
            if url.path == "/alerts":
                self._webhook(body)
            elif match := _ACK_PATH.match(url.path):
                by = parse_qs(url.query).get("by", ["someone"])[0]
                record = service.acknowledge(match[1], f"{by} (ack endpoint)")
                if record is None:
                    self._answer(404, {"error": f"no alert {match[1]} was ever notified"})
                else:
                    self._answer(200, as_json(record))
            else:
                self._answer(404, {"error": f"no POST {url.path}: try POST /alerts or POST /alerts/<fingerprint>/ack"})

        def _body(self) -> bytes | None:
            """The request body, or None once a 4xx has been answered."""
            length = self.headers.get("Content-Length", "0")
            if not length.isdigit():
                self._answer(400, {"error": f"Content-Length {length!r} is not a number of bytes"})
                return None
            if int(length) > MAX_BODY_BYTES:
                self._answer(413, {"error": f"the body has {length} bytes; at most {MAX_BODY_BYTES} are taken"})
                return None
            return self.rfile.read(int(length))

        def _webhook(self, body: bytes) -> None:
            try:
                notifications = parse_webhook(body)
            except PayloadError as error:
                log.warning("rejected a webhook request from %s: %s", self.client_address[0], error)
                self._answer(400, {"error": str(error)})
                return
            service.receive(notifications)
            self._answer(200, {"received": len(notifications)})

        def _answer(self, status: int, document: Any) -> None:
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s %s", self.address_string(), format % args)

    return Handler


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
            service = AlertService(
                store, AlertmanagerClient(settings.alertmanager_url), metrics, settings.chain, settings.escalate_after
            )
            with ThreadingHTTPServer(settings.listen, _handler(service)) as server:
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
