"""The webhook parser and the endpoint behind it, fuzzed: whatever the bytes or the JSON shape, the
answer is a 200 or a 4xx with a reason, never a 500, an exception or a dropped connection."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.metrics import MeterProvider

from tta_otel.ops.alerts.alertmanager import AlertmanagerClient
from tta_otel.ops.alerts.metrics import AlertMetrics
from tta_otel.ops.alerts.server import BoundedHTTPServer, _handler
from tta_otel.ops.alerts.service import AlertService
from tta_otel.ops.alerts.store import Store
from tta_otel.ops.alerts.webhook import PayloadError, parse_webhook

TOKEN = "fuzz-token-" + "y" * 32

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
times = st.one_of(
    st.datetimes(timezones=st.timezones() | st.none()).map(lambda t: t.isoformat()),
    st.sampled_from(["0001-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:00", "soon", ""]),
    json_values,
)
alerts = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sampled_from(["firing", "resolved"]) | json_values,
        "labels": st.dictionaries(st.text(max_size=12), st.text(max_size=12), max_size=4) | json_values,
        "annotations": st.dictionaries(st.text(max_size=12), st.text(max_size=30), max_size=3) | json_values,
        "startsAt": times,
        "endsAt": times,
        "fingerprint": st.from_regex(r"\A[0-9a-f]{16}\Z") | json_values,
    },
)
payloads = st.fixed_dictionaries(
    {}, optional={"version": st.just("4") | json_values, "alerts": st.lists(alerts, max_size=4) | json_values}
)
bodies = st.one_of(
    st.binary(max_size=2_000),
    json_values.map(lambda v: json.dumps(v).encode()),
    payloads.map(lambda v: json.dumps(v).encode()),
    payloads.map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    st.integers(1, 100_000).map(lambda n: b"[" * n),
    st.integers(1, 6_000).map(lambda n: b"1" * n),
)


@given(bodies)
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_parser_only_ever_raises_a_payload_error(body: bytes) -> None:
    try:
        notifications = parse_webhook(body)
    except PayloadError as error:
        assert str(error)
        return
    for notification in notifications:
        assert notification.starts_at.tzinfo is not None
        assert notification.ends_at is None or notification.ends_at.tzinfo is not None


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with Store.open(tmp_path_factory.mktemp("fuzz")) as store:
        metrics = AlertMetrics(MeterProvider().get_meter("fuzz"))
        alertmanager = AlertmanagerClient("http://127.0.0.1:9")
        service = AlertService(store, alertmanager, metrics, (), timedelta(minutes=15))
        server = BoundedHTTPServer(("127.0.0.1", 0), _handler(service, TOKEN, timedelta(seconds=5)), workers=2)
        failures: list[Any] = []
        server.handle_error = lambda request, client_address: failures.append(client_address)  # type: ignore[method-assign]
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield server.server_address[1]
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
        assert failures == []
        service.check()  # the records the fuzz left behind do not break the background check


@given(bodies)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_endpoint_answers_every_body_with_200_or_a_4xx(port: int, body: bytes) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", "/alerts", body=body, headers={"Authorization": f"Bearer {TOKEN}"})
        response = connection.getresponse()
        answer = json.loads(response.read())
    finally:
        connection.close()

    assert response.status in (200, 400), answer
    if response.status == 400:
        assert answer["error"]
    else:
        assert isinstance(answer["received"], int)
