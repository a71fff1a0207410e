"""Archives that restore: a snapshot of the stack's Prometheus, archived encrypted, restored into
a fresh data directory, answers the same query in a Prometheus started on it; a tampered archive
is refused."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.stack.conftest import REPO
from tests.stack.otlp_requests import send_counter
from tta_otel.audit_log import AuditLog
from tta_otel.ops.archive import ARCHIVE_FILE, ArchiveTamperedError, create, list_archives, restore
from tta_otel.ops.client_credentials import prometheus_auth
from tta_otel.ops.reports.prometheus import PrometheusClient
from tta_otel.ops.secrets import SecretsDir
from tta_otel.ops.stack.runner import URLS, Stack, running_component
from tta_otel.testing.processes import wait_until

pytestmark = pytest.mark.integration


def _probe(prometheus: PrometheusClient, service: str) -> list[tuple[dict[str, str], float]]:
    samples = prometheus.query(f'tta_archive_probe_total{{service_name="{service}"}}', datetime.now(UTC))
    return sorted((sample.labels, sample.value) for sample in samples)


def test_an_archive_restores_into_a_prometheus_that_answers_the_same(
    stack: Stack, stack_secrets: SecretsDir, tmp_path: Path
) -> None:
    service = f"archive-{os.getpid()}"
    send_counter(service, "tta.archive.probe", 7, {"http.route": "/scene"})
    prometheus = PrometheusClient(URLS["TTA_PROMETHEUS_URL"], credentials=prometheus_auth())
    assert wait_until(lambda: bool(_probe(prometheus, service)), timeout=30)
    before = _probe(prometheus, service)

    manifest = create(prometheus, stack.state_dir / "prometheus" / "data", tmp_path / "archives", stack_secrets)
    assert list_archives(tmp_path / "archives") == [manifest]
    restored = tmp_path / "restored"
    restore(tmp_path / "archives", manifest.id, restored / "data", stack_secrets)

    with running_component(REPO, "prometheus", restored, stack_secrets, port=19090) as url:
        copy = PrometheusClient(url, credentials=prometheus_auth())
        assert wait_until(lambda: _probe(copy, service) == before, timeout=30)
    assert [record.action for record in AuditLog().records()][-2:] == ["archive.create", "archive.restore"]


def test_a_tampered_archive_is_refused(stack: Stack, stack_secrets: SecretsDir, tmp_path: Path) -> None:
    prometheus = PrometheusClient(URLS["TTA_PROMETHEUS_URL"], credentials=prometheus_auth())
    manifest = create(prometheus, stack.state_dir / "prometheus" / "data", tmp_path, stack_secrets)
    sealed = tmp_path / manifest.id / ARCHIVE_FILE
    data = bytearray(sealed.read_bytes())
    data[-1] ^= 1
    sealed.write_bytes(bytes(data))
    with pytest.raises(ArchiveTamperedError, match="does not match the digest"):
        restore(tmp_path, manifest.id, tmp_path / "restored", stack_secrets)
    assert not (tmp_path / "restored").exists()
