"""The inhibition rules and routes of ``alertmanager/alertmanager.yml`` on a real Alertmanager.

Each test module run starts its own Alertmanager (our build, from the cache) on a free loopback
port, not the shared stack. It loads the committed config with one change: every receiver is a
webhook to a sink in this test (so no test alert reaches the escalation service, Slack, email or
PagerDuty, and no secret file is needed); the route tree, timings and inhibit rules are the
committed ones. Inhibition is read where operators read it, ``/api/v2/alerts``: Alertmanager
computes each alert's ``inhibitedBy`` when asked, and ``?inhibited=false`` leaves those out.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tta_otel.ops.secrets import ALERTMANAGER_CREDENTIALS, SecretsDir
from tta_otel.ops.stack.components import components
from tta_otel.ops.stack.runner import running_component
from tta_otel.testing.processes import free_port, wait_until

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


class Sink:
    """Every receiver's webhook: keeps (receiver, alertname, labels) of each alert notified."""

    def __init__(self) -> None:
        self.notified: list[tuple[str, dict[str, str]]] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                message = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver = self.path.strip("/")
                sink.notified.extend((receiver, alert["labels"]) for alert in message["alerts"])
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def url(self, receiver: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/{receiver}"

    def receivers_of(self, alertname: str, **labels: str) -> set[str]:
        return {
            receiver
            for receiver, notified in self.notified
            if notified["alertname"] == alertname and labels.items() <= notified.items()
        }

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _config_for_test(sink: Sink) -> dict[str, Any]:
    """The committed config with every receiver replaced by a webhook to the sink (and no secrets)."""
    config = yaml.safe_load((REPO / "alertmanager" / "alertmanager.yml").read_text())
    config["global"] = {"resolve_timeout": config["global"]["resolve_timeout"]}
    config["receivers"] = [
        {"name": receiver["name"], "webhook_configs": [{"url": sink.url(receiver["name"]), "send_resolved": False}]}
        for receiver in config["receivers"]
    ]
    return dict(config)


class Alertmanager:
    def __init__(self, url: str, auth: tuple[str, str]) -> None:
        self.url = url
        self.auth = auth

    def fire(self, **labels: str) -> None:
        now = datetime.now(UTC)
        alert = {
            "labels": labels,
            "annotations": {"summary": f"{labels['alertname']} (test)"},
            "startsAt": now.isoformat(),
            "endsAt": (now + timedelta(hours=1)).isoformat(),
        }
        httpx.post(f"{self.url}/api/v2/alerts", json=[alert], auth=self.auth, timeout=5).raise_for_status()

    def alerts(self, **params: str) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.url}/api/v2/alerts", params=params, auth=self.auth, timeout=5)
        response.raise_for_status()
        return list(response.json())

    def inhibited(self) -> dict[str, set[str]]:
        """alertname/tta_component/component/severity of each alert -> the fingerprints inhibiting it."""
        return {_key(alert["labels"]): set(alert["status"]["inhibitedBy"]) for alert in self.alerts()}

    def fingerprint(self, **labels: str) -> str:
        matching = [alert for alert in self.alerts() if labels.items() <= alert["labels"].items()]
        assert len(matching) == 1, matching
        return str(matching[0]["fingerprint"])


def _key(labels: dict[str, str]) -> str:
    parts = ("alertname", "deployment_environment_name", "tta_component", "component", "exporter", "severity")
    return "/".join(labels.get(part, "-") for part in parts)


@pytest.fixture(scope="module")
def sink() -> Iterator[Sink]:
    receiving = Sink()
    yield receiving
    receiving.stop()


@pytest.fixture(scope="module")
def alertmanager(
    tmp_path_factory: pytest.TempPathFactory, sink: Sink, stack_secrets: SecretsDir
) -> Iterator[Alertmanager]:
    """A private Alertmanager, launched from the stack's table with the committed config's test copy."""
    if not components(REPO)["alertmanager"].is_built():
        pytest.skip("Alertmanager is not built: run `tta-otel stack build`")
    workdir = tmp_path_factory.mktemp("alertmanager")
    config = workdir / "alertmanager.yml"
    config.write_text(yaml.safe_dump(_config_for_test(sink), sort_keys=False))
    with running_component(REPO, "alertmanager", workdir, stack_secrets, configs=[config], port=free_port()) as url:
        user, _, password = stack_secrets.read(ALERTMANAGER_CREDENTIALS).partition(":")
        yield Alertmanager(url, (user, password))


PROD = {"deployment_environment_name": "production"}
COLLECTOR = {"component": "otel-collector", "instance": "127.0.0.1:8888"}


def _service(alertname: str, component: str, severity: str, **extra: str) -> dict[str, str]:
    labels = {"alertname": alertname, "severity": severity, "component": component, "tta_component": component}
    return {**labels, **PROD, **extra}


SCENE = [
    # Neo4j down for player-api (the database alerts carry the client's tta_component) ...
    {**_service("TTANeo4jDown", "player-api", "critical"), "component": "neo4j"},
    # ... explains player-api's burn-rate alerts and its new error groups: inhibited
    _service("TTAAvailabilityErrorBudgetBurn", "player-api", "critical", long_window="1h", short_window="5m"),
    _service("TTALatencyErrorBudgetBurn", "player-api", "warning", long_window="1d", short_window="2h"),
    _service("TTANewErrorGroup", "player-api", "warning", tta_error_fingerprint="3f2a9c0d1e7b6a54"),
    # not inhibited: which players lost their content stays visible; other components and environments
    _service("TTACriticalContentErrors", "player-api", "critical", tta_error_fingerprint="3f2a9c0d1e7b6a54"),
    _service("TTAAvailabilityErrorBudgetBurn", "narrator", "critical", long_window="1h", short_window="5m"),
    {
        **_service("TTAAvailabilityErrorBudgetBurn", "player-api", "critical", long_window="1h", short_window="5m"),
        "deployment_environment_name": "staging",
    },
    # a page silences the ticket of the same alert and component, not another component's ticket
    _service("TTALatencyErrorBudgetBurn", "narrator", "critical", long_window="1h", short_window="5m"),
    _service("TTALatencyErrorBudgetBurn", "narrator", "warning", long_window="1d", short_window="2h"),
    _service("TTALatencyErrorBudgetBurn", "reports", "warning", long_window="1d", short_window="2h"),
    # Loki down explains its exporter's failures, not Tempo's
    {
        "alertname": "TTATelemetryBackendDown",
        "severity": "warning",
        **COLLECTOR,
        "component": "loki",
        "exporter": "otlp_http/loki",
    },
    {"alertname": "TTACollectorExportFailing", "severity": "warning", **COLLECTOR, "exporter": "otlp_http/loki"},
    {"alertname": "TTACollectorExportFailing", "severity": "warning", **COLLECTOR, "exporter": "otlp_grpc/tempo"},
]


@pytest.fixture(scope="module")
def fired(alertmanager: Alertmanager) -> Alertmanager:
    for labels in SCENE:
        alertmanager.fire(**labels)
    assert wait_until(lambda: len(alertmanager.alerts()) == len(SCENE), timeout=10)
    return alertmanager


def test_each_inhibition_rule_silences_exactly_the_alerts_it_explains(fired: Alertmanager) -> None:
    neo4j = fired.fingerprint(alertname="TTANeo4jDown")
    narrator_page = fired.fingerprint(
        alertname="TTALatencyErrorBudgetBurn", tta_component="narrator", severity="critical"
    )
    loki = fired.fingerprint(alertname="TTATelemetryBackendDown")
    expected = {
        "TTANeo4jDown/production/player-api/neo4j/-/critical": set(),
        "TTAAvailabilityErrorBudgetBurn/production/player-api/player-api/-/critical": {neo4j},
        "TTALatencyErrorBudgetBurn/production/player-api/player-api/-/warning": {neo4j},
        "TTANewErrorGroup/production/player-api/player-api/-/warning": {neo4j},
        "TTACriticalContentErrors/production/player-api/player-api/-/critical": set(),
        "TTAAvailabilityErrorBudgetBurn/production/narrator/narrator/-/critical": set(),
        "TTAAvailabilityErrorBudgetBurn/staging/player-api/player-api/-/critical": set(),
        "TTALatencyErrorBudgetBurn/production/narrator/narrator/-/critical": set(),
        "TTALatencyErrorBudgetBurn/production/narrator/narrator/-/warning": {narrator_page},
        "TTALatencyErrorBudgetBurn/production/reports/reports/-/warning": set(),
        "TTATelemetryBackendDown/-/-/loki/otlp_http/loki/warning": set(),
        "TTACollectorExportFailing/-/-/otel-collector/otlp_http/loki/warning": {loki},
        "TTACollectorExportFailing/-/-/otel-collector/otlp_grpc/tempo/warning": set(),
    }
    assert wait_until(lambda: fired.inhibited() == expected, timeout=10), fired.inhibited()


def test_the_api_leaves_inhibited_alerts_out_when_asked(fired: Alertmanager) -> None:
    assert wait_until(lambda: len(fired.alerts(inhibited="false")) == 8, timeout=10)
    shown = {_key(alert["labels"]) for alert in fired.alerts(inhibited="false")}
    assert "TTANewErrorGroup/production/player-api/player-api/-/warning" not in shown
    assert "TTACriticalContentErrors/production/player-api/player-api/-/critical" in shown
    states = {alert["status"]["state"] for alert in fired.alerts(active="false", inhibited="true")}
    assert states == {"suppressed"}


def test_pages_reach_their_on_call_and_the_escalation_service_and_inhibited_pages_do_not(
    fired: Alertmanager, sink: Sink
) -> None:
    """Pages and the escalation service wait 10 s (group_wait); tickets wait 5 minutes and are not awaited here."""

    def delivered() -> bool:
        """Every page has arrived (under load the groups reach the sink one by one)."""
        return (
            sink.receivers_of("TTALatencyErrorBudgetBurn", tta_component="narrator", severity="critical")
            == {"tta-otel-alerts", "pagerduty-tta"}
            and sink.receivers_of("TTANeo4jDown") == {"tta-otel-alerts", "pagerduty-platform"}
            and sink.receivers_of("TTACriticalContentErrors") == {"tta-otel-alerts", "pagerduty-tta"}
            and sink.receivers_of("TTAAvailabilityErrorBudgetBurn", tta_component="narrator")
            == {"tta-otel-alerts", "pagerduty-tta"}
            and sink.receivers_of("TTALatencyErrorBudgetBurn", tta_component="reports") == {"tta-otel-alerts"}
        )

    assert wait_until(delivered, timeout=40, interval=0.5), sink
    # inhibited: neither the page nor the escalation service hears of them
    assert sink.receivers_of("TTAAvailabilityErrorBudgetBurn", tta_component="player-api", **PROD) == set()
    assert sink.receivers_of("TTANewErrorGroup") == set()
    assert sink.receivers_of("TTALatencyErrorBudgetBurn", tta_component="narrator", severity="warning") == set()
    # the warning that nothing inhibits reached the escalation service at once (above), its ticket comes later
