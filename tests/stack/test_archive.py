"""Archives that restore: snapshots of the metric stores, archived encrypted, restored into fresh
data directories, answer the same queries in stores started on them; a tampered archive is refused.

Prometheus is the stack's (``tta-otel archive create`` against the running stack, which archives
its VictoriaMetrics too). The long-term tier's round trip uses VictoriaMetrics instances of its own
on free ports: two days of 5-minute series imported into one, archived, restored into an empty
``-storageDataPath`` for a second, which gives the same answers to the same PromQL.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.stack.conftest import REPO
from tests.stack.otlp_requests import send_counter
from tta_otel.audit_log import AuditLog
from tta_otel.ops.archive import (
    ARCHIVE_FILE,
    PROMETHEUS,
    VICTORIAMETRICS,
    ArchiveTamperedError,
    PrometheusSource,
    VictoriaMetricsSource,
    create,
    list_archives,
    restore,
)
from tta_otel.ops.cli.main import main
from tta_otel.ops.client_credentials import prometheus_auth
from tta_otel.ops.reports.prometheus import PrometheusClient
from tta_otel.ops.secrets import VICTORIAMETRICS_CREDENTIALS, SecretsDir
from tta_otel.ops.stack.runner import URLS, Stack, running_component
from tta_otel.ops.stores.victoriametrics import VictoriaMetricsSnapshots
from tta_otel.testing.long_term import Series, import_series
from tta_otel.testing.processes import free_port, wait_until

pytestmark = pytest.mark.integration

END = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
SAMPLES = 2 * 288  # two days of 5-minute samples
REQUESTS = "tta:http_server_request_duration_seconds_count:increase5m"
SERIES = [
    Series(
        REQUESTS,
        {"tta_component": component, "http_response_status_code": code},
        END - timedelta(days=2),
        tuple(float((i * 7 + len(component)) % 97) + 0.25 for i in range(SAMPLES)),
    )
    for component in ("player-api", "narrative-engine")
    for code in ("200", "500")
]
QUERIES = {
    "/api/v1/query": {
        "query": f"sum by (tta_component) (sum_over_time({REQUESTS}[2d]))",
        "time": f"{END.timestamp():.0f}",
    },
    "/api/v1/query_range": {
        "query": f'{REQUESTS}{{http_response_status_code="500"}}',
        "start": f"{(END - timedelta(days=2)).timestamp():.0f}",
        "end": f"{END.timestamp():.0f}",
        "step": "3600",
    },
}


def _probe(prometheus: PrometheusClient, service: str) -> list[tuple[dict[str, str], float]]:
    samples = prometheus.query(f'tta_archive_probe_total{{service_name="{service}"}}', datetime.now(UTC))
    return sorted((sample.labels, sample.value) for sample in samples)


def test_an_archive_restores_into_a_prometheus_that_answers_the_same(
    stack: Stack, stack_secrets: SecretsDir, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service = f"archive-{os.getpid()}"
    send_counter(service, "tta.archive.probe", 7, {"http.route": "/scene"})
    prometheus = PrometheusClient(URLS["TTA_PROMETHEUS_URL"], credentials=prometheus_auth())
    assert wait_until(lambda: bool(_probe(prometheus, service)), timeout=30)
    before = _probe(prometheus, service)

    archives = ["--archives", str(tmp_path / "archives")]
    data_dirs = [
        f"--data-dir={stack.state_dir / 'prometheus' / 'data'}",
        f"--long-term-data-dir={stack.state_dir / 'victoriametrics' / 'data'}",
    ]
    capsys.readouterr()
    assert main(["archive", "create", *archives, *data_dirs]) == 0
    created = json.loads(capsys.readouterr().out)
    assert [section["store"] for section in created["sections"]] == [PROMETHEUS, VICTORIAMETRICS]
    assert [manifest.id for manifest in list_archives(tmp_path / "archives")] == [created["id"]]
    restored = tmp_path / "restored"
    assert main(["archive", "restore", created["id"], *archives, "--into", str(restored / "data")]) == 0
    assert f"{created['id']} also holds victoriametrics, not restored" in capsys.readouterr().out

    with running_component(REPO, "prometheus", restored, stack_secrets, port=19090) as url:
        copy = PrometheusClient(url, credentials=prometheus_auth())
        assert wait_until(lambda: _probe(copy, service) == before, timeout=30)
    assert [record.action for record in AuditLog().records()][-2:] == ["archive.create", "archive.restore"]


def test_a_tampered_archive_is_refused(stack: Stack, stack_secrets: SecretsDir, tmp_path: Path) -> None:
    prometheus = PrometheusClient(URLS["TTA_PROMETHEUS_URL"], credentials=prometheus_auth())
    source = PrometheusSource(prometheus, stack.state_dir / "prometheus" / "data")
    manifest = create(tmp_path, stack_secrets, [source])
    sealed = tmp_path / manifest.id / ARCHIVE_FILE
    data = bytearray(sealed.read_bytes())
    data[-1] ^= 1
    sealed.write_bytes(bytes(data))
    with pytest.raises(ArchiveTamperedError, match="does not match the digest"):
        restore(tmp_path, manifest.id, stack_secrets, {PROMETHEUS: tmp_path / "restored"})
    assert not (tmp_path / "restored").exists()


def long_term_auth(secrets: SecretsDir) -> tuple[str, str]:
    """VictoriaMetrics's basic auth in ``secrets`` (also tests/stack/test_archive_s3.py's)."""
    user, _, password = secrets.read(VICTORIAMETRICS_CREDENTIALS).partition(":")
    return user, password


def answers(url: str, auth: tuple[str, str]) -> dict[str, Any]:
    """What the VictoriaMetrics at ``url`` answers to ``QUERIES``, to compare a restored copy with."""
    with httpx.Client(base_url=url, auth=auth, timeout=30) as client:
        return {
            path: client.get(path, params=params).raise_for_status().json()["data"] for path, params in QUERIES.items()
        }


@pytest.fixture(scope="module")
def long_term(tmp_path_factory: pytest.TempPathFactory, stack_secrets: SecretsDir) -> Iterator[VictoriaMetricsSource]:
    """A VictoriaMetrics of its own, holding ``SERIES``."""
    state = tmp_path_factory.mktemp("archive-vm")
    with running_component(REPO, "victoriametrics", state, stack_secrets, port=free_port()) as url:
        import_series(url, long_term_auth(stack_secrets), SERIES)
        yield VictoriaMetricsSource(VictoriaMetricsSnapshots(url, long_term_auth(stack_secrets)), state / "data")


def test_the_long_term_tier_restores_into_a_victoriametrics_that_answers_the_same(
    long_term: VictoriaMetricsSource, stack_secrets: SecretsDir, tmp_path: Path
) -> None:
    before = answers(long_term.client.url, long_term_auth(stack_secrets))
    assert len(before["/api/v1/query"]["result"]) == 2
    assert len(before["/api/v1/query_range"]["result"]) == 2

    manifest = create(tmp_path / "archives", stack_secrets, [long_term])
    (section,) = manifest.sections
    assert (section.store, section.file) == (VICTORIAMETRICS, "victoriametrics.tar.enc")
    assert section.parts >= 1 and section.plain_bytes > 0
    assert section.min_time == (END - timedelta(days=2)).isoformat()
    assert section.max_time == (END - timedelta(minutes=5)).isoformat()
    assert not any((long_term.data_dir / "snapshots").iterdir())  # deleted once packed
    restored = tmp_path / "restored"
    restore(tmp_path / "archives", manifest.id, stack_secrets, {VICTORIAMETRICS: restored / "data"})

    with running_component(REPO, "victoriametrics", restored, stack_secrets, port=free_port()) as url:
        assert answers(url, long_term_auth(stack_secrets)) == before


def test_a_flipped_byte_in_the_long_term_section_is_refused(
    long_term: VictoriaMetricsSource, stack_secrets: SecretsDir, tmp_path: Path
) -> None:
    manifest = create(tmp_path, stack_secrets, [long_term])
    sealed = tmp_path / manifest.id / "victoriametrics.tar.enc"
    data = bytearray(sealed.read_bytes())
    data[len(data) // 2] ^= 1
    sealed.write_bytes(bytes(data))
    with pytest.raises(ArchiveTamperedError, match="does not match the digest"):
        restore(tmp_path, manifest.id, stack_secrets, {VICTORIAMETRICS: tmp_path / "restored"})
    assert not (tmp_path / "restored").exists()
