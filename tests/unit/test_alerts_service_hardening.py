"""``tta-otel alerts serve`` facing a hostile network: token, body limit, timeouts, workers, depth,
log injection, retention and queries that do not grow with the records."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from faker import Faker
from opentelemetry.sdk.metrics import MeterProvider

from tta_otel.ops.alerts.alertmanager import AlertmanagerClient, Silence
from tta_otel.ops.alerts.lifecycle import Notification, State, notify
from tta_otel.ops.alerts.metrics import AlertMetrics
from tta_otel.ops.alerts.server import MAX_BODY_BYTES, BoundedHTTPServer, _handler
from tta_otel.ops.alerts.service import AlertService
from tta_otel.ops.alerts.store import Store
from tta_otel.ops.alerts.webhook import MAX_DEPTH
from tta_otel.ops.cli.main import main

TOKEN = "test-token-" + "x" * 32
READ_TIMEOUT = timedelta(seconds=1)
fake = Faker()
Faker.seed(12)


class StubAlertmanager(AlertmanagerClient):
    """Alertmanager's answers, set by the test: the alerts it holds and whether its API wants credentials."""

    def __init__(self, credentials: str | None = None, refuses: bool = True) -> None:
        super().__init__("http://127.0.0.1:9", credentials=credentials)
        self.held: dict[str, tuple[str, ...]] = {}
        self.refuses = refuses

    def alerts(self) -> dict[str, tuple[str, ...]]:
        return dict(self.held)

    def silence(self, silence_id: str) -> Silence:
        return Silence(silence_id, "mallory", datetime.now(UTC))

    def refuses_anonymous(self) -> bool:
        return self.refuses


@dataclass
class Running:
    url: str
    port: int
    service: AlertService
    store: Store
    server: BoundedHTTPServer


def _service(store: Store, alertmanager: AlertmanagerClient | None = None, **kwargs: Any) -> AlertService:
    metrics = AlertMetrics(MeterProvider().get_meter("test"))
    return AlertService(store, alertmanager or StubAlertmanager(), metrics, (), timedelta(minutes=15), **kwargs)


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    with Store.open(tmp_path / "state") as store:
        service = _service(store)
        server = BoundedHTTPServer(("127.0.0.1", 0), _handler(service, TOKEN, READ_TIMEOUT), workers=2, queued=2)
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        port = server.server_address[1]
        try:
            yield Running(f"http://127.0.0.1:{port}", port, service, store, server)
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


def _request(
    port: int, method: str, path: str, body: bytes | None = None, token: str | None = TOKEN
) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    raw = response.read()
    connection.close()
    return response.status, json.loads(raw) if raw else None


def _payload(alertname: str | None = None, fingerprint: str | None = None, **labels: str) -> bytes:
    return json.dumps(
        {
            "version": "4",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {"alertname": alertname or fake.word(), "severity": "critical", **labels},
                    "annotations": {"summary": fake.sentence()},
                    "startsAt": datetime.now(UTC).isoformat(),
                    "endsAt": "0001-01-01T00:00:00Z",
                    "fingerprint": fingerprint or fake.hexify("^" * 16),
                }
            ],
        }
    ).encode()


# -- the token ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/alerts", None),
        ("GET", "/healthz", None),
        ("GET", "/nowhere", None),
        ("POST", "/alerts", _payload()),
        ("POST", "/alerts/0123456789abcdef/ack?by=mallory", b""),
    ],
)
@pytest.mark.parametrize("token", [None, "wrong", TOKEN + "x", TOKEN[:-1], ""])
def test_every_endpoint_answers_401_without_the_right_token(
    running: Running, method: str, path: str, body: bytes | None, token: str | None
) -> None:
    status, answer = _request(running.port, method, path, body, token=token)

    assert status == 401
    assert "bearer token" in answer["error"]
    assert running.service.records() == []


def test_a_basic_or_lowercase_authorization_is_not_the_token(running: Running) -> None:
    for header in (f"bearer {TOKEN}", f"Basic {TOKEN}", TOKEN, f"Bearer  {TOKEN}"):
        connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=5)
        connection.request("GET", "/healthz", headers={"Authorization": header})
        assert connection.getresponse().status == 401, header
        connection.close()


def test_with_the_token_every_endpoint_works(running: Running) -> None:
    fingerprint = "00000000000000ab"
    assert _request(running.port, "POST", "/alerts", _payload(fingerprint=fingerprint)) == (200, {"received": 1})

    status, records = _request(running.port, "GET", "/alerts")
    assert status == 200
    assert [r["fingerprint"] for r in records] == [fingerprint]
    status, record = _request(running.port, "POST", f"/alerts/{fingerprint}/ack?by=carol")
    assert (status, record["state"], record["acknowledged_by"]) == (200, "acknowledged", "carol (ack endpoint)")
    status, health = _request(running.port, "GET", "/healthz")
    assert (status, health["status"], health["unresolved_alerts"]) == (200, "ok", 1)


def test_an_acknowledgement_without_the_token_changes_nothing(running: Running) -> None:
    fingerprint = "00000000000000ac"
    _request(running.port, "POST", "/alerts", _payload(fingerprint=fingerprint))

    status, _ = _request(running.port, "POST", f"/alerts/{fingerprint}/ack?by=mallory", token="guess")

    assert status == 401
    record = running.store.get(fingerprint)
    assert record is not None
    assert record.state is State.FIRING


# -- the body, the timeouts and the workers ---------------------------------------------------


def _raw(port: int, data: bytes, *, timeout: float = 5.0) -> bytes:
    """Send ``data`` as it is and read until the service closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(data)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def test_a_body_over_1_mib_gets_413_without_being_read(running: Running) -> None:
    head = (
        f"POST /alerts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
        f"Content-Length: {MAX_BODY_BYTES + 1}\r\n\r\n"
    ).encode()
    # Had the service waited for the rest, its read deadline would close the connection unanswered.
    answer = _raw(running.port, head + b"{")

    assert answer.startswith(b"HTTP/1.0 413")
    assert b"at most 1048576" in answer


def test_a_whole_oversized_body_still_gets_its_413(running: Running) -> None:
    body = b" " * (3 * MAX_BODY_BYTES)
    connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=5)
    try:
        connection.request("POST", "/alerts", body=body, headers={"Authorization": f"Bearer {TOKEN}"})
        assert connection.getresponse().status == 413
    except (BrokenPipeError, ConnectionResetError):
        pass  # the service stopped reading: the refusal is what counts
    finally:
        connection.close()
    assert _request(running.port, "GET", "/healthz")[0] == 200


def test_a_chunked_body_is_refused(running: Running) -> None:
    head = f"POST /alerts HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert _raw(running.port, head.encode()).startswith(b"HTTP/1.0 411")


def test_a_client_that_stops_sending_is_cut_off_by_the_read_timeout(running: Running) -> None:
    head = f"POST /alerts HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: 100\r\n\r\n{{".encode()
    answer = _raw(running.port, head, timeout=10)  # raises if the service never closes

    assert answer == b""  # closed by the service, nothing answered


def test_a_client_that_trickles_its_headers_is_cut_off_at_the_deadline(running: Running) -> None:
    with socket.create_connection(("127.0.0.1", running.port), timeout=10) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\n")
        cut = False
        for _ in range(40):  # a header byte every 0.1 s: each read is quick, the whole is not
            try:
                connection.sendall(b"X")
            except OSError:
                cut = True
                break
            time.sleep(0.1)
            connection.settimeout(0.001)
            try:
                if connection.recv(1) == b"":
                    cut = True
                    break
            except TimeoutError:
                pass
            except OSError:
                cut = True
                break
    assert cut  # within the 4 s of trickling, though every single read was quick


def test_requests_run_on_a_bounded_pool_and_the_overflow_gets_503(running: Running) -> None:
    idle = [socket.create_connection(("127.0.0.1", running.port), timeout=5) for _ in range(4)]  # 2 workers + 2
    try:
        time.sleep(0.2)
        workers = [t for t in threading.enumerate() if t.name.startswith("alerts-http")]
        assert len(workers) <= 2

        assert _raw(running.port, b"GET /healthz HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.0 503")
    finally:
        for connection in idle:
            connection.close()
    time.sleep(READ_TIMEOUT.total_seconds() + 0.5)  # the idle ones are cut off; the pool is free again
    assert _request(running.port, "GET", "/healthz")[0] == 200


# -- what the body holds ----------------------------------------------------------------------


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 10_000, 200_000])
def test_deeply_nested_json_gets_400_not_a_500(running: Running, depth: int) -> None:
    for whole in (b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth, b"[" * depth):
        body = whole[:MAX_BODY_BYTES]
        status, answer = _request(running.port, "POST", "/alerts", body)
        assert status == 400
        assert f"deeper than {MAX_DEPTH}" in answer["error"]


def test_nesting_within_the_limit_is_judged_by_the_payload_rules(running: Running) -> None:
    body = json.dumps({"version": "4", "alerts": [], "extra": [[[[{"x": "[[[[[[[[[[[[[[[[[[["}]]]]}).encode()
    assert _request(running.port, "POST", "/alerts", body) == (200, {"received": 0})


def test_values_from_a_request_are_escaped_in_the_service_log(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    forged = "x\n2026-11-26 09:00:00 INFO tta_otel.ops.alerts: all clear\x1b[2J\u2028"
    caplog.set_level(logging.DEBUG, logger="tta_otel.ops.alerts")

    _request(running.port, "POST", "/alerts", _payload(alertname=forged))
    bad = json.dumps({"version": "4", "alerts": [{"labels": {forged: 1}}]}).encode()
    _request(running.port, "POST", "/alerts", bad)
    _raw(running.port, b"GET /alerts\x1b[2J\x85evil HTTP/1.0\r\nAuthorization: Bearer wrong\r\n\r\n")
    fingerprint = running.service.records()[0].fingerprint
    _request(running.port, "POST", f"/alerts/{fingerprint}/ack?by=eve%0Aroot%1b")

    messages = [record.getMessage() for record in caplog.records]
    assert any("all clear" in message for message in messages)
    for message in messages:
        assert "\n" not in message and "\r" not in message and "\x1b" not in message and "\u2028" not in message
    assert any("x\\n2026-11-26" in message for message in messages)


# -- acknowledgement by silence ---------------------------------------------------------------


def _firing(store: Store, fingerprint: str) -> None:
    notification = Notification(
        fingerprint, False, {"alertname": "TTATest", "severity": "critical"}, {}, datetime.now(UTC)
    )
    store.save(notify(None, notification, datetime.now(UTC)))


@pytest.mark.parametrize(
    ("credentials", "refuses", "acknowledged", "silences"),
    [
        (None, True, False, "ignored"),  # the service asks without credentials
        ("tta-otel:secret", False, False, "ignored"),  # Alertmanager answers anyone
        ("tta-otel:secret", True, True, "acknowledge"),  # the silence check is authenticated
    ],
)
def test_a_silence_acknowledges_only_when_the_silence_check_is_authenticated(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    credentials: str | None,
    refuses: bool,
    acknowledged: bool,
    silences: str,
) -> None:
    alertmanager = StubAlertmanager(credentials, refuses)
    with Store.open(tmp_path) as store:
        service = _service(store, alertmanager)
        _firing(store, "00000000000000cd")
        alertmanager.held = {"00000000000000cd": ("silence-1",)}

        service.check()

        record = store.get("00000000000000cd")
        assert record is not None
        assert (record.state is State.ACKNOWLEDGED) is acknowledged
        assert service.health()["silences"] == silences
    if not acknowledged:
        assert "silences in Alertmanager do not acknowledge alerts" in caplog.text


# -- retention and queries ----------------------------------------------------------------------


def test_records_with_no_event_for_the_retention_period_are_pruned(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    with Store.open(tmp_path) as store:
        for index, age in enumerate((timedelta(days=40), timedelta(days=31), timedelta(days=29), timedelta(0))):
            at = now - age
            notification = Notification(f"{index:016x}", index == 1, {"alertname": fake.word()}, {}, at, at)
            store.save(notify(None, notification, at))
        service = _service(store, retention=timedelta(days=30))

        assert service.prune() == 2

        assert sorted(r.fingerprint for r in store.records()) == [f"{2:016x}", f"{3:016x}"]
        remaining = store._db.execute("SELECT DISTINCT fingerprint FROM events ORDER BY fingerprint").fetchall()
        assert remaining == [(f"{2:016x}",), (f"{3:016x}",)]


def test_a_firing_alert_that_is_still_notified_is_kept(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    old = now - timedelta(days=90)
    with Store.open(tmp_path) as store:
        notification = Notification("00000000000000ef", False, {"alertname": "TTALong"}, {}, old)
        first = notify(None, notification, old)
        store.save(first)
        store.save(notify(first.record, notification, now))  # Alertmanager's repeat

        assert store.prune(now - timedelta(days=30)) == 0
        assert store.get("00000000000000ef") is not None


def test_a_database_of_the_earlier_schema_is_migrated(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        _firing(store, "0000000000000011")
        store._db.executescript("DROP INDEX alerts_by_updated_at; ALTER TABLE alerts DROP COLUMN updated_at;")
    with Store.open(tmp_path) as store:
        assert store._db.execute("SELECT updated_at FROM alerts").fetchone()[0] is not None
        assert store.prune(datetime.now(UTC) - timedelta(days=1)) == 0


def test_queries_bind_a_fixed_number_of_parameters_whatever_the_number_of_records(tmp_path: Path) -> None:
    statements: list[str] = []
    with Store.open(tmp_path) as store:
        for index in range(600):
            _firing(store, f"{index:016x}")
        store._db.set_trace_callback(statements.append)

        assert len(store.records()) == 600
        assert len(store.unresolved()) == 600
        assert len(store.records(limit=10)) == 10
        assert store.count_unresolved() == 600
        store.prune(datetime.now(UTC) - timedelta(days=30))

    assert statements
    assert max(len(statement) for statement in statements) < 1_000


@pytest.mark.parametrize(
    ("query", "index"),
    [
        ("SELECT fingerprint FROM alerts WHERE updated_at < '2026'", "alerts_by_updated_at"),
        (
            "SELECT fingerprint FROM alerts WHERE state IN ('firing', 'acknowledged') ORDER BY fired_at",
            "alerts_by_state",
        ),
        ("SELECT fingerprint FROM alerts ORDER BY fired_at DESC LIMIT 10", "alerts_by_fired_at"),
        ("SELECT at FROM events WHERE fingerprint = 'x'", "events_by_alert"),
    ],
)
def test_the_queries_use_an_index(tmp_path: Path, query: str, index: str) -> None:
    with Store.open(tmp_path) as store:
        plan = " ".join(str(row) for row in store._db.execute(f"EXPLAIN QUERY PLAN {query}"))
    assert index in plan


def test_get_alerts_takes_a_bounded_limit(running: Running) -> None:
    for _ in range(3):
        _request(running.port, "POST", "/alerts", _payload())

    assert len(_request(running.port, "GET", "/alerts?limit=2")[1]) == 2
    assert _request(running.port, "GET", "/alerts?limit=0")[0] == 400
    assert _request(running.port, "GET", "/alerts?limit=100000")[0] == 400


# -- the command line ---------------------------------------------------------------------------


def test_serve_refuses_to_start_without_a_token_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "secrets" / "alerts-webhook-token"

    code = main(["alerts", "serve", "--token-file", str(missing), "--state-dir", str(tmp_path / "state")])

    assert code == 1
    assert f"error: {missing} (the alerts service's bearer token) does not exist: run `tta-otel secrets init`" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize(("content", "mode", "reason"), [("", 0o600, "is empty"), (TOKEN, 0o644, "chmod 600")])
def test_serve_refuses_an_empty_or_readable_token_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, mode: int, reason: str
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(content)
    token_file.chmod(mode)

    assert main(["alerts", "serve", "--token-file", str(token_file), "--state-dir", str(tmp_path / "s")]) == 1
    assert reason in capsys.readouterr().err


def test_serve_sqlite_version_supports_drop_column() -> None:
    assert sqlite3.sqlite_version_info >= (3, 35)
