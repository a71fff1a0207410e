"""Tempo's scalable compose mode (tempo/docker-compose.scalable.yml with tempo/tempo-scalable.yaml)
holds together: Tempo is AGPL and runs here in no form, so these checks read the two files (the
compose schema and the exposure rules check the override in ``tta-otel validate``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tta_otel.ops.secrets import TRACE_OBJECTS_PASSWORD, WHAT

REPO = Path(__file__).resolve().parents[2]
OVERRIDE: dict[str, Any] = yaml.safe_load((REPO / "tempo" / "docker-compose.scalable.yml").read_text())
SERVICES: dict[str, Any] = OVERRIDE["services"]
TEMPO: dict[str, Any] = yaml.safe_load((REPO / "tempo" / "tempo-scalable.yaml").read_text())
COMPOSE: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_each_span_is_written_to_three_ingesters_of_at_least_as_many_replicas() -> None:
    assert TEMPO["ingester"]["lifecycler"]["ring"]["replication_factor"] == 3
    assert SERVICES["tempo"]["deploy"]["replicas"] >= 3


def test_the_replicas_find_each_other_and_the_query_frontends_through_the_services_name() -> None:
    assert TEMPO["memberlist"]["join_members"] == [f"dns+tempo:{TEMPO['memberlist']['bind_port']}"]
    assert TEMPO["querier"]["frontend_worker"]["frontend_address"] == f"tempo:{TEMPO['server']['grpc_listen_port']}"
    rings = [TEMPO[part]["ring"] for part in ("distributor", "compactor", "metrics_generator")]
    assert all(ring["kvstore"]["store"] == "memberlist" for ring in rings)
    assert "tempo" in COMPOSE["services"]  # the override scales the compose file's own service


def test_the_collector_sends_to_every_replicas_otlp_receiver() -> None:
    endpoint = SERVICES["otel-collector"]["environment"]["TTA_TEMPO_OTLP_ENDPOINT"]
    grpc = TEMPO["distributor"]["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]
    assert endpoint == f"dns:///tempo:{grpc.rpartition(':')[2]}"


def test_the_blocks_go_to_the_object_store_and_its_bucket() -> None:
    s3 = TEMPO["storage"]["trace"]["s3"]
    store = " ".join(SERVICES["trace-objects"]["command"])
    assert TEMPO["storage"]["trace"]["backend"] == "s3"
    assert s3["endpoint"] == f"trace-objects:{store.partition('-s3.port=')[2].split()[0]}"
    bucket_job = " ".join(SERVICES["trace-objects-bucket"]["command"])
    assert f'grep -qw {s3["bucket"]} || echo "s3.bucket.create -name {s3["bucket"]}"' in bucket_job  # once
    assert SERVICES["tempo"]["depends_on"] == {"trace-objects-bucket": {"condition": "service_completed_successfully"}}


def test_tempo_and_its_store_share_one_key_from_the_secrets_volume() -> None:
    assert TRACE_OBJECTS_PASSWORD in WHAT
    for service in ("tempo", "trace-objects"):
        assert f"/run/secrets/{TRACE_OBJECTS_PASSWORD}" in " ".join(SERVICES[service]["command"])
    assert TEMPO["storage"]["trace"]["s3"]["secret_key"] == "${TEMPO_S3_SECRET_KEY}"
    assert "export TEMPO_S3_SECRET_KEY=" in SERVICES["tempo"]["command"][0]
    assert (
        '"accessKey":"' + TEMPO["storage"]["trace"]["s3"]["access_key"] + '"' in SERVICES["trace-objects"]["command"][0]
    )


def test_each_replica_keeps_its_write_ahead_logs_outside_the_shared_data_volume() -> None:
    shared = [volume.split(":")[1] for volume in COMPOSE["services"]["tempo"]["volumes"]]
    paths = [TEMPO["storage"]["trace"]["wal"]["path"], TEMPO["metrics_generator"]["storage"]["path"]]
    assert not any(path.startswith(mount) for path in paths for mount in shared)


def test_the_scalable_mode_keeps_the_monolithic_modes_receivers_and_metrics_generator() -> None:
    monolithic = yaml.safe_load((REPO / "tempo" / "tempo.yaml").read_text())
    for section in ("server", "overrides", "stream_over_http_enabled"):
        assert TEMPO[section] == monolithic[section]
    assert TEMPO["distributor"]["receivers"] == monolithic["distributor"]["receivers"]
    for part in ("registry", "processor"):
        assert TEMPO["metrics_generator"][part] == monolithic["metrics_generator"][part]
    assert (
        TEMPO["metrics_generator"]["storage"]["remote_write"]
        == monolithic["metrics_generator"]["storage"]["remote_write"]
    )
