"""Erasure on request against the native stack: a player's log records, found by their pseudonyms
under every key on record (and by their identifier where a service logged it), are deleted from
VictoriaLogs and nobody else's are; Prometheus holds no per-player series; Jaeger, which cannot
delete, reports the traces and when retention removes them; the audit trail records the erasure
without the identifier."""

from __future__ import annotations

import os
import uuid

import pytest
from faker import Faker

from tests.stack.otlp_requests import send_log, send_span
from tta_otel.audit_log import AuditLog
from tta_otel.ops.client_credentials import prometheus_auth
from tta_otel.ops.erasure import ErasureReport, erase, pseudonyms
from tta_otel.ops.reports.prometheus import PrometheusClient
from tta_otel.ops.secrets import SecretsDir
from tta_otel.ops.stack.runner import URLS, Stack
from tta_otel.ops.stores import JaegerClient, VictoriaLogsClient
from tta_otel.testing.processes import wait_until

pytestmark = pytest.mark.integration


def _plant(service: str, player: str, records: int) -> None:
    """``records`` log lines and one span of ``player``, as a service without the distro sends them;
    the last line names the player in its text, as a careless service would."""
    for number in range(records - 1):
        send_log(service, uuid.uuid4().bytes, f"scene {number} reached", {"player.id": player})
    send_log(service, uuid.uuid4().bytes, f"could not load the save of {player}", {})
    send_span(service, uuid.uuid4().bytes, "GET /players/{player_id}/scene", {"player.id": player})


def _erase(
    secrets: SecretsDir, logs: VictoriaLogsClient, jaeger: JaegerClient, player: str, apply: bool
) -> ErasureReport:
    prometheus = PrometheusClient(URLS["TTA_PROMETHEUS_URL"], credentials=prometheus_auth())
    return erase(player, secrets, logs, prometheus, jaeger, apply=apply)


def test_a_players_records_are_erased_and_nobody_elses(
    stack: Stack, stack_secrets: SecretsDir, log_store: VictoriaLogsClient, trace_store: JaegerClient
) -> None:
    fake = Faker()
    service = f"erasure-{os.getpid()}"
    subject, other = fake.uuid4(), fake.uuid4()
    _plant(service, subject, 4)
    _plant(service, other, 3)
    of_service = f'"service.name":="{service}"'
    assert wait_until(lambda: log_store.count(of_service) == 7, timeout=30)

    dry = _erase(stack_secrets, log_store, trace_store, subject, apply=False)
    assert [(store.store, store.found, store.deleted) for store in dry.stores[:2]] == [
        ("victorialogs", 4, 0),
        ("prometheus", 0, 0),
    ]
    assert log_store.count(of_service) == 7

    applied = _erase(stack_secrets, log_store, trace_store, subject, apply=True)
    assert (applied.stores[0].found, applied.stores[0].deleted) == (4, 4)
    assert log_store.count(of_service) == 3
    assert applied.stores[2].store == "jaeger"
    assert applied.stores[2].found == 1
    assert "cannot delete" in applied.stores[2].note

    last = list(AuditLog().records())[-1]
    assert (last.action, last.subject) == ("erasure", pseudonyms(subject, stack_secrets)[0])
    assert subject not in AuditLog().path.read_text()
