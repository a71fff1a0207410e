"""``tta-otel alerts serve`` behind a real Alertmanager that delivers real webhooks.

Alertmanager (our build, ``tests/alertmanager/escalation.yml``) routes every alert to the
service within a second, with the service's bearer token (``http_config.authorization``);
its API wants the basic auth ``tta-otel secrets init`` made, so silences acknowledge. The
escalation chain is two receivers in this test (a secondary on-call and an engineering
lead), and the collector is an in-memory OTLP receiver. Critical alerts escalate after 2 s here instead of 15 minutes.
"""

from __future__ import annotations

import json
import os
import string
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import yaml

from tta_otel.ops import secrets
from tta_otel.ops.stack.components import components
from tta_otel.ops.stack.runner import running_component
from tta_otel.testing.otlp_sink import OtlpSink, attributes
from tta_otel.testing.processes import BIN, free_port, wait_until

REPO = Path(__file__).resolve().parents[2]
ESCALATE_AFTER = timedelta(seconds=2)
CHECK_INTERVAL = timedelta(seconds=1)
T = TypeVar("T")


def _now() -> datetime:
    """Now, to the millisecond, as Alertmanager keeps times."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def eventually(read: Callable[[], T | None], what: str, timeout: float = 15.0) -> T:
    """Poll ``read`` until it gives something; fail with ``what`` if it never does."""
    result: T | None = None

    def ready() -> bool:
        nonlocal result
        result = read()
        return bool(result)

    assert wait_until(ready, timeout=timeout, interval=0.1), f"expected within {timeout:.0f} s: {what}"
    assert result is not None
    return result


def never(happened: Callable[[], object], what: str, until: datetime) -> None:
    """Watch for the event that would show ``what`` until ``until``; fail the moment it appears."""
    seconds = (until - datetime.now(UTC)).total_seconds()
    assert not wait_until(lambda: bool(happened()), timeout=max(seconds, 0.0), interval=0.1), f"unexpected: {what}"


def _escalated(service: AlertsService, alert: Alert, *receivers: PagingReceiver) -> bool:
    """Whether anything shows an escalation of ``alert``: its record or a page to any receiver."""
    record = service.record(alert)
    return (record is not None and record["escalations"] > 0) or any(r.pages_for(alert.name) for r in receivers)


def _escalation_would_show_by(alert: Alert) -> datetime:
    """When an unacknowledged critical ``alert`` would have been paged for: its interval, then up
    to two checks (the one that finds it due and, under load, the next), plus a second for the page."""
    return alert.starts_at + ESCALATE_AFTER + 2 * CHECK_INTERVAL + timedelta(seconds=1)


@dataclass
class Page:
    """One escalation a receiver got."""

    received_at: datetime
    status: int
    message: dict[str, Any]


class PagingReceiver:
    """A receiver of the escalation chain: keeps every POST; answers 503 to the next ``fail_next``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.pages: list[Page] = []
        self.fail_next = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                message = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status = 503 if receiver.fail_next else 200
                receiver.fail_next = max(0, receiver.fail_next - 1)
                receiver.pages.append(Page(datetime.now(UTC), status, message))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/page"

    def pages_for(self, alertname: str) -> list[Page]:
        return [page for page in self.pages if page.message["alertname"] == alertname]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass(frozen=True)
class Alert:
    labels: dict[str, str]
    starts_at: datetime

    @property
    def name(self) -> str:
        return self.labels["alertname"]


@dataclass
class Alertmanager:
    url: str
    auth: tuple[str, str]

    def fire(self, severity: str) -> Alert:
        """A new alert (a name no other test uses) of the narrator, firing from now."""
        alert = Alert(
            {"alertname": f"TTATest{uuid.uuid4().hex[:8]}", "severity": severity, "tta_component": "narrator"},
            _now(),
        )
        self._post(alert, {})
        return alert

    def resolve(self, alert: Alert) -> datetime:
        """Post the alert again with an end in the past, as Prometheus does when it stops firing."""
        ends_at = _now() - timedelta(milliseconds=100)
        self._post(alert, {"endsAt": _rfc3339(ends_at)})
        return ends_at

    def _post(self, alert: Alert, extra: dict[str, str]) -> None:
        body = [{"labels": alert.labels, "annotations": {"summary": "the narrator is down"}, **extra}]
        body[0]["startsAt"] = _rfc3339(alert.starts_at)
        httpx.post(f"{self.url}/api/v2/alerts", json=body, auth=self.auth, timeout=5).raise_for_status()

    def silence(self, alert: Alert, by: str) -> str:
        now = _now()
        response = httpx.post(
            f"{self.url}/api/v2/silences",
            json={
                "matchers": [{"name": "alertname", "value": alert.name, "isRegex": False, "isEqual": True}],
                "startsAt": _rfc3339(now),
                "endsAt": _rfc3339(now + timedelta(hours=1)),
                "createdBy": by,
                "comment": "looking into it",
            },
            auth=self.auth,
            timeout=5,
        )
        response.raise_for_status()
        return str(response.json()["silenceID"])

    def fingerprint(self, alert: Alert) -> str:
        held = httpx.get(
            f"{self.url}/api/v2/alerts", params={"filter": f'alertname="{alert.name}"'}, auth=self.auth, timeout=5
        )
        return str(held.json()[0]["fingerprint"])


@dataclass
class AlertsService:
    """``tta-otel alerts serve`` as an operator starts it; ``restart`` keeps its state directory."""

    arguments: list[str]
    log: Path
    token_file: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> AlertsService:
        command = [str(BIN / "tta-otel"), "alerts", "serve", "--listen", f"127.0.0.1:{self.port}"]
        command += ["--token-file", str(self.token_file), *self.arguments]
        environment = {name: value for name, value in os.environ.items() if not name.startswith(("OTEL_", "TTA_"))}
        environment["OTEL_METRIC_EXPORT_INTERVAL"] = "500"  # milliseconds; 5 s by default
        # its own state: nothing found by default in the home of whoever runs the tests
        environment["TTA_OTEL_STATE"] = str(self.log.parent / "tta-otel-state")
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
        assert wait_until(self._healthy, timeout=30), f"the service did not start:\n{self.output()}"
        return self

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"the service exited:\n{self.output()}")
        try:
            return httpx.get(f"{self.url}/healthz", headers=self.headers, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> int:
        """SIGTERM, as systemd or a deploy stops it; returns the exit status."""
        assert self.process is not None
        self.process.terminate()
        return self.process.wait(timeout=30)

    def restart(self) -> None:
        assert self.stop() == 0, self.output()
        self.start()

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token_file.read_text().strip()}"}

    def health(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}/healthz", headers=self.headers, timeout=5).json())

    def records(self) -> list[dict[str, Any]]:
        return list(httpx.get(f"{self.url}/alerts", headers=self.headers, timeout=5).json())

    def record(self, alert: Alert) -> dict[str, Any] | None:
        return next((r for r in self.records() if r["alertname"] == alert.name), None)

    def record_when(self, alert: Alert, condition: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
        return eventually(
            lambda: r if (r := self.record(alert)) is not None and condition(r) else None,
            f"{alert.name} {what}\n{self.output()[-3000:]}",
        )


def _serve_arguments(
    alertmanager: str, state: Path, otlp: str, chain: Path, credentials: Path | None = None
) -> list[str]:
    return [
        *("--alertmanager", alertmanager, "--state-dir", str(state), "--otlp-endpoint", otlp, "--chain", str(chain)),
        *(() if credentials is None else ("--alertmanager-credentials-file", str(credentials))),
        *("--escalate-after", f"{ESCALATE_AFTER.seconds}s", "--check-interval", f"{CHECK_INTERVAL.seconds}s"),
    ]


def _write_chain(path: Path, *receivers: PagingReceiver) -> Path:
    path.write_text("receivers:\n" + "".join(f"  - name: {r.name}\n    url: {r.url}\n" for r in receivers))
    return path


@pytest.fixture(scope="module")
def secondary() -> Iterator[PagingReceiver]:
    receiver = PagingReceiver("secondary-on-call")
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def lead() -> Iterator[PagingReceiver]:
    receiver = PagingReceiver("engineering-lead")
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def sink() -> Iterator[OtlpSink]:
    with OtlpSink() as running:
        yield running


@pytest.fixture(scope="module")
def alerts_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def secrets_dir(tmp_path_factory: pytest.TempPathFactory) -> secrets.SecretsDir:
    """The secrets ``tta-otel secrets init`` makes: the service's token, Alertmanager's basic auth."""
    directory = secrets.SecretsDir(tmp_path_factory.mktemp("state") / "secrets")
    directory.init()
    return directory


@pytest.fixture(scope="module")
def alertmanager(
    tmp_path_factory: pytest.TempPathFactory, alerts_port: int, secrets_dir: secrets.SecretsDir
) -> Iterator[Alertmanager]:
    """A private Alertmanager, launched from the stack's table with the escalation test's config, its API
    behind basic auth (--web.config.file) and the service's token on every webhook."""
    component = components(REPO)["alertmanager"]
    if not component.is_built():
        pytest.fail(f"Alertmanager {component.version} is not built: run `tta-otel stack build`")
    state = tmp_path_factory.mktemp("alertmanager")
    config = state / "alertmanager.yml"
    template = string.Template((REPO / "tests" / "alertmanager" / "escalation.yml").read_text())
    document = yaml.safe_load(template.substitute(alerts_port=alerts_port))
    token_file = str(secrets_dir.require(secrets.ALERTS_WEBHOOK_TOKEN))
    for webhook in document["receivers"][0]["webhook_configs"]:
        webhook["http_config"] = {"authorization": {"type": "Bearer", "credentials_file": token_file}}
    config.write_text(yaml.safe_dump(document))
    user, _, password = secrets_dir.read(secrets.ALERTMANAGER_CREDENTIALS).partition(":")
    with running_component(REPO, "alertmanager", state, secrets_dir, configs=[config], port=free_port()) as url:
        assert httpx.get(f"{url}/api/v2/status", timeout=5).status_code == 401
        yield Alertmanager(url, (user, password))


@pytest.fixture(scope="module")
def service(
    tmp_path_factory: pytest.TempPathFactory,
    alertmanager: Alertmanager,
    alerts_port: int,
    sink: OtlpSink,
    secondary: PagingReceiver,
    lead: PagingReceiver,
    secrets_dir: secrets.SecretsDir,
) -> Iterator[AlertsService]:
    base = tmp_path_factory.mktemp("alerts")
    chain = _write_chain(base / "chain.yml", secondary, lead)
    credentials = secrets_dir.require(secrets.ALERTMANAGER_CREDENTIALS)
    arguments = _serve_arguments(alertmanager.url, base / "state", sink.endpoint, chain, credentials)
    token_file = secrets_dir.require(secrets.ALERTS_WEBHOOK_TOKEN)
    running = AlertsService(arguments, base / "alerts.log", token_file, port=alerts_port).start()
    yield running
    assert running.stop() == 0, running.output()


def _points(sink: OtlpSink, metric_name: str, alertname: str) -> list[Any]:
    """The data points of a metric for one alert, the latest export last."""
    return [
        point
        for request in sink.received.metrics
        for resource_metrics in request.resource_metrics
        for scope_metrics in resource_metrics.scope_metrics
        for metric in scope_metrics.metrics
        if metric.name == metric_name
        for point in (metric.histogram.data_points or metric.sum.data_points)
        if attributes(point.attributes)["alertname"] == alertname
    ]


def _escalations(sink: OtlpSink, alertname: str) -> dict[tuple[str, str | None], int]:
    """(receiver, error.type) -> escalations counted for one alert, as last exported."""
    return {
        (attributes(p.attributes)["tta.alert.receiver"], attributes(p.attributes).get("error.type")): p.as_int
        for p in _points(sink, "tta.alert.escalations", alertname)
    }


def test_an_alert_alertmanager_sends_is_recorded_by_its_fingerprint(
    alertmanager: Alertmanager, service: AlertsService
) -> None:
    alert = alertmanager.fire("warning")

    record = service.record_when(alert, lambda r: True, "recorded")

    assert record["fingerprint"] == alertmanager.fingerprint(alert)
    assert (record["state"], record["severity"], record["component"]) == ("firing", "warning", "narrator")
    assert datetime.fromisoformat(record["fired_at"]) == alert.starts_at
    assert record["notifications"] == 1
    assert record["annotations"] == {"summary": "the narrator is down"}
    assert [(e["kind"], e["detail"]) for e in record["events"]] == [("fired", ""), ("notified", "firing")]
    health = eventually(lambda: h if (h := service.health())["alertmanager"] == "answers" else None, "asked")
    assert (health["status"], health["silences"]) == ("ok", "acknowledge")


def test_a_warning_never_escalates(
    alertmanager: Alertmanager, service: AlertsService, secondary: PagingReceiver, lead: PagingReceiver
) -> None:
    alert = alertmanager.fire("warning")
    service.record_when(alert, lambda r: True, "recorded")

    never(lambda: _escalated(service, alert, secondary, lead), "a warning escalated", _escalation_would_show_by(alert))

    assert service.record_when(alert, lambda r: r["state"] == "firing", "still firing")["escalations"] == 0


def test_an_unacknowledged_critical_alert_goes_to_each_next_receiver_after_the_interval(
    alertmanager: Alertmanager, service: AlertsService, secondary: PagingReceiver, lead: PagingReceiver
) -> None:
    alert = alertmanager.fire("critical")

    first = eventually(lambda: secondary.pages_for(alert.name), "the secondary on-call is paged")
    second = eventually(lambda: lead.pages_for(alert.name), "the engineering lead is paged")

    assert first[0].received_at - alert.starts_at >= ESCALATE_AFTER
    assert second[0].received_at - first[0].received_at >= ESCALATE_AFTER
    fingerprint = alertmanager.fingerprint(alert)
    assert first[0].message == {
        "kind": "tta.alert.escalation",
        "receiver": "secondary-on-call",
        "step": 1,
        "steps": 2,
        "fingerprint": fingerprint,
        "alertname": alert.name,
        "severity": "critical",
        "component": "narrator",
        "fired_at": alert.starts_at.isoformat(),
        "unacknowledged_s": first[0].message["unacknowledged_s"],
        "labels": alert.labels,
        "annotations": {"summary": "the narrator is down"},
    }
    assert first[0].message["unacknowledged_s"] >= ESCALATE_AFTER.total_seconds()
    assert (second[0].message["receiver"], second[0].message["step"]) == ("engineering-lead", 2)
    record = service.record_when(alert, lambda r: r["escalations"] == 2, "escalated twice")
    assert [e["detail"] for e in record["events"] if e["kind"] == "escalated"] == [
        "secondary-on-call",
        "engineering-lead",
    ]


def test_a_resolution_from_alertmanager_ends_the_lifecycle_at_its_end_time(
    alertmanager: Alertmanager, service: AlertsService, sink: OtlpSink
) -> None:
    alert = alertmanager.fire("critical")
    service.record_when(alert, lambda r: True, "recorded")

    ends_at = alertmanager.resolve(alert)

    record = service.record_when(alert, lambda r: r["state"] == "resolved", "resolved")
    assert datetime.fromisoformat(record["resolved_at"]) == ends_at
    assert record["time_to_resolve_s"] == (ends_at - alert.starts_at).total_seconds()
    assert record["time_to_acknowledge_s"] is None
    assert record["events"][-1]["kind"] == "resolved"
    assert record["events"][-1]["detail"] == "alertmanager"
    time_to_resolve = eventually(lambda: _points(sink, "tta.alert.time_to_resolve", alert.name), "the metric")[-1]
    assert (time_to_resolve.count, time_to_resolve.sum) == (1, record["time_to_resolve_s"])
    assert attributes(time_to_resolve.attributes) == {
        "alertname": alert.name,
        "severity": "critical",
        "component": "narrator",
    }


def test_a_silence_acknowledges_the_alert_and_nobody_is_paged(
    alertmanager: Alertmanager,
    service: AlertsService,
    sink: OtlpSink,
    secondary: PagingReceiver,
    lead: PagingReceiver,
) -> None:
    alert = alertmanager.fire("critical")
    service.record_when(alert, lambda r: True, "recorded")

    silence = alertmanager.silence(alert, by="alice")

    record = service.record_when(alert, lambda r: r["state"] == "acknowledged", "acknowledged")
    assert record["acknowledged_by"] == f"alice (silence {silence})"
    assert 0 < record["time_to_acknowledge_s"] < ESCALATE_AFTER.total_seconds()
    never(
        lambda: _escalated(service, alert, secondary, lead), "a silenced alert paged", _escalation_would_show_by(alert)
    )
    acknowledged = eventually(lambda: _points(sink, "tta.alert.time_to_acknowledge", alert.name), "the metric")[-1]
    assert (acknowledged.count, acknowledged.sum) == (1, record["time_to_acknowledge_s"])
    assert attributes(acknowledged.attributes)["severity"] == "critical"


def test_the_lifecycle_survives_restarts_and_a_silenced_alert_resolves_when_alertmanager_drops_it(
    alertmanager: Alertmanager, service: AlertsService, secondary: PagingReceiver, lead: PagingReceiver
) -> None:
    alert = alertmanager.fire("critical")
    before = service.record_when(alert, lambda r: r["escalations"] == 1, "escalated to the secondary on-call")

    service.restart()

    restarted = service.record(alert)
    assert restarted is not None
    assert restarted["events"][: len(before["events"])] == before["events"]
    eventually(lambda: lead.pages_for(alert.name), "the engineering lead is paged by the restarted service")
    assert len(secondary.pages_for(alert.name)) == 1
    silence = alertmanager.silence(alert, by="bob")
    acknowledged = service.record_when(alert, lambda r: r["state"] == "acknowledged", "acknowledged")

    service.restart()

    after = service.record(alert)
    assert after == acknowledged
    assert after["acknowledged_by"] == f"bob (silence {silence})"
    alertmanager.resolve(alert)
    resolved = service.record_when(alert, lambda r: r["state"] == "resolved", "resolved")
    assert resolved["events"][-1]["detail"] == "no longer held by Alertmanager"
    assert resolved["time_to_resolve_s"] > resolved["time_to_acknowledge_s"] > 2 * ESCALATE_AFTER.total_seconds()
    assert "Stopped; every record is kept in the state directory" in service.output()


def test_the_ack_endpoint_acknowledges_without_a_silence(alertmanager: Alertmanager, service: AlertsService) -> None:
    alert = alertmanager.fire("critical")
    fingerprint = service.record_when(alert, lambda r: True, "recorded")["fingerprint"]

    refused = httpx.post(f"{service.url}/alerts/{fingerprint}/ack", params={"by": "mallory"}, timeout=5)
    answer = httpx.post(
        f"{service.url}/alerts/{fingerprint}/ack", params={"by": "carol"}, headers=service.headers, timeout=5
    )

    assert refused.status_code == 401
    assert answer.status_code == 200
    assert (answer.json()["state"], answer.json()["acknowledged_by"]) == ("acknowledged", "carol (ack endpoint)")
    unknown = httpx.post(f"{service.url}/alerts/0000000000000000/ack", headers=service.headers, timeout=5)
    assert unknown.status_code == 404
    assert unknown.json() == {"error": "no alert 0000000000000000 was ever notified"}
    alertmanager.resolve(alert)
    service.record_when(alert, lambda r: r["state"] == "resolved", "resolved")


def test_a_receiver_that_fails_is_paged_again_at_the_next_check(
    alertmanager: Alertmanager, service: AlertsService, sink: OtlpSink, secondary: PagingReceiver
) -> None:
    secondary.fail_next = 1
    alert = alertmanager.fire("critical")

    pages = eventually(lambda: [p for p in secondary.pages_for(alert.name) if p.status == 200], "a page taken")

    assert [page.status for page in secondary.pages_for(alert.name)] == [503, 200]
    assert pages[0].received_at - secondary.pages_for(alert.name)[0].received_at < timedelta(seconds=2)
    alertmanager.silence(alert, by="dave")
    counted = eventually(
        lambda: _escalations(sink, alert.name) if len(_escalations(sink, alert.name)) == 2 else None, "two points"
    )
    assert counted == {("secondary-on-call", "503"): 1, ("secondary-on-call", None): 1}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "the body is not JSON"),
        (b"[]", "payload: Input should be a valid dictionary"),
        (json.dumps({"version": "3", "alerts": []}).encode(), "version: Input should be '4'"),
        (json.dumps({"version": "4"}).encode(), "alerts: Field required"),
        (
            json.dumps(
                {"version": "4", "alerts": [{"status": "firing", "labels": {}, "startsAt": "soon", "fingerprint": "x"}]}
            ).encode(),
            "alerts.0.startsAt: Input should be a valid datetime",
        ),
    ],
)
def test_a_malformed_webhook_request_gets_400_with_the_reason_and_records_nothing(
    service: AlertsService, body: bytes, reason: str
) -> None:
    recorded = {record["fingerprint"] for record in service.records()}

    answer = httpx.post(f"{service.url}/alerts", content=body, headers=service.headers, timeout=5)

    assert answer.status_code == 400
    assert reason in answer.json()["error"]
    assert {record["fingerprint"] for record in service.records()} == recorded
    assert reason in service.output()


def test_unknown_paths_get_404(service: AlertsService) -> None:
    assert httpx.get(f"{service.url}/silences", headers=service.headers, timeout=5).status_code == 404
    assert (
        httpx.post(f"{service.url}/alerts/not-a-fingerprint/ack", headers=service.headers, timeout=5).status_code == 404
    )
    assert httpx.get(f"{service.url}/silences", timeout=5).status_code == 401


def test_critical_alerts_still_escalate_while_alertmanager_does_not_answer(
    tmp_path: Path, sink: OtlpSink, secondary: PagingReceiver, secrets_dir: secrets.SecretsDir
) -> None:
    """Without Alertmanager no silence can be seen: paging someone needlessly beats paging nobody."""
    nothing_there = f"http://127.0.0.1:{free_port()}"
    chain = _write_chain(tmp_path / "chain.yml", secondary)
    token_file = secrets_dir.require(secrets.ALERTS_WEBHOOK_TOKEN)
    arguments = _serve_arguments(nothing_there, tmp_path / "state", sink.endpoint, chain)
    alone = AlertsService(arguments, tmp_path / "log", token_file)
    alone.start()
    alert = Alert({"alertname": f"TTATest{uuid.uuid4().hex[:8]}", "severity": "critical"}, _now())
    payload = {
        "version": "4",
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "labels": alert.labels,
                "startsAt": _rfc3339(alert.starts_at),
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": "00000000000000aa",
            }
        ],
    }
    try:
        answer = httpx.post(f"{alone.url}/alerts", json=payload, headers=alone.headers, timeout=5)
        assert answer.json() == {"received": 1}

        eventually(lambda: secondary.pages_for(alert.name), "the secondary on-call is paged")

        assert alone.health() == {
            "status": "ok",
            "alertmanager": "does not answer",
            "silences": "ignored",  # no credentials: a silence could be anyone's
            "unresolved_alerts": 1,
        }
        assert "Alertmanager does not answer" in alone.output()
    finally:
        assert alone.stop() == 0


def test_one_state_directory_serves_one_service(tmp_path: Path, service: AlertsService) -> None:
    state = service.arguments[service.arguments.index("--state-dir") + 1]
    nothing_there = f"http://127.0.0.1:{free_port()}"
    second = AlertsService(
        ["--state-dir", state, "--alertmanager", nothing_there, "--otlp-endpoint", nothing_there],
        tmp_path / "log",
        service.token_file,
    )

    with pytest.raises(AssertionError, match="exited"):
        second.start()

    assert second.process is not None
    assert second.process.returncode == 1
    assert f"error: another `tta-otel alerts serve` uses {state}" in second.output()


def _serve(*arguments: str) -> subprocess.CompletedProcess[str]:
    """``tta-otel alerts serve`` that is expected to refuse to start (with a token, so as to get that far)."""
    nothing_there = f"http://127.0.0.1:{free_port()}"  # never the shared stack's Alertmanager or collector
    token_dir = Path(tempfile.mkdtemp())
    token_file = token_dir / "token"
    secrets.write_private(token_file, secrets.token().encode())
    command = [
        str(BIN / "tta-otel"),
        "alerts",
        "serve",
        "--alertmanager",
        nothing_there,
        "--otlp-endpoint",
        nothing_there,
        "--token-file",
        str(token_file),
    ]
    command += arguments
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=30)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "No such file or directory"),
        ("receivers: [", "not YAML"),
        ("receivers: []", "receivers: List should have at least 1 item"),
        (
            "receivers:\n  - name: lead\n    url: ftp://files.example.org/page\n",
            "receivers.0.url: Value error, must be",
        ),
        ("receivers:\n  - url: https://hooks.example.org/x\n    token: s3cret\n", "receivers.0.token: Extra inputs"),
    ],
)
def test_a_chain_file_that_cannot_be_used_is_refused_with_the_reason(
    tmp_path: Path, content: str | None, reason: str
) -> None:
    chain = tmp_path / "chain.yml"
    if content is not None:
        chain.write_text(content)

    result = _serve("--chain", str(chain), "--state-dir", str(tmp_path / "state"))

    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {chain}: ")
    assert reason in result.stderr


def test_an_address_in_use_is_refused(tmp_path: Path, alertmanager: Alertmanager) -> None:
    taken = alertmanager.url.removeprefix("http://")

    result = _serve("--listen", taken, "--state-dir", str(tmp_path))

    assert result.returncode == 1
    assert f"error: cannot listen on {taken}: Address already in use; pass another --listen" in result.stderr
