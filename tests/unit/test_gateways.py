"""Specification: the gateway topology (``tta-otel stack up --gateways N``, docs/gateways.md).

With N gateways the collector that clients talk to keeps its name, ports and credentials and
becomes an agent that spreads spans and logs over N gateway collectors by trace id; each gateway
has its own fixed ports, queue folder and the same TLS and token, applies privacy again and
exports to the stores. Without ``--gateways`` nothing changes. The launch table's entries and the
committed overlays (agent.yaml, gateway.yaml) are checked here; tests/stack/test_gateways.py
kills a gateway under load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tta_otel.ops.secrets import SecretsDir
from tta_otel.ops.stack import gateways
from tta_otel.ops.stack.runner import SERVICES, Stack, StackError, native_services
from tta_otel.ops.stack.topology import TopologyError

REPO = Path(__file__).resolve().parents[2]
AGENT: dict[str, Any] = yaml.safe_load((REPO / gateways.AGENT_CONFIG).read_text())
GATEWAY: dict[str, Any] = yaml.safe_load((REPO / gateways.GATEWAY_CONFIG).read_text())


def _ports(service: Any) -> set[int]:
    return {service.port, *service.extra_ports}


def test_without_gateways_the_stack_is_the_launch_tables() -> None:
    assert native_services(0) == tuple(service for service in SERVICES if service.native)


def test_gateways_start_right_before_the_agent_which_keeps_the_collectors_name() -> None:
    names = [service.name for service in native_services(2)]
    assert names == [
        "prometheus",
        "alertmanager",
        "otel-gateway-1",
        "otel-gateway-2",
        "otel-collector",
        "jaeger",
        "victorialogs",
        "victoriametrics",
    ]


def test_the_agent_is_the_collector_with_the_agent_overlay_on_the_same_ports() -> None:
    single = {service.name: service for service in native_services(0)}["otel-collector"]
    agent = {service.name: service for service in native_services(3)}["otel-collector"]
    assert agent.configs == (*single.configs, "collector-config/agent.yaml")
    assert _ports(agent) == _ports(single)
    assert agent.secrets == single.secrets


def test_the_agent_is_told_every_gateways_otlp_address(tmp_path: Path) -> None:
    agent = {service.name: service for service in native_services(3)}["otel-collector"]
    environment = agent.environment(tmp_path / "otel-collector", tmp_path / "secrets")
    addresses = yaml.safe_load(environment["TTA_COLLECTOR_GATEWAYS"])
    assert addresses == ["127.0.0.1:4417", "127.0.0.1:4517", "127.0.0.1:4617"]
    assert environment["TTA_COLLECTOR_STORAGE_DIR"] == str(tmp_path / "otel-collector" / "queues")


def test_each_gateway_has_its_own_ports_queue_folder_and_the_collectors_credentials(tmp_path: Path) -> None:
    services = native_services(gateways.MAX_GATEWAYS)
    gateway_services = [service for service in services if service.name.startswith("otel-gateway-")]
    assert len(gateway_services) == gateways.MAX_GATEWAYS
    for number, service in enumerate(gateway_services, start=1):
        environment = service.environment(tmp_path / service.name, tmp_path / "secrets")
        ports = gateways.gateway_ports(number)
        assert service.configs[-1] == "collector-config/gateway.yaml"
        assert environment["TTA_COLLECTOR_OTLP_GRPC_ENDPOINT"] == f"127.0.0.1:{ports.grpc}"
        assert environment["TTA_COLLECTOR_HEALTH_ENDPOINT"] == f"127.0.0.1:{service.port}"
        assert environment["TTA_COLLECTOR_STORAGE_DIR"] == str(tmp_path / service.name / "queues")
        assert environment["TTA_SECRETS_DIR"] == str(tmp_path / "secrets")
        assert service.secrets == next(s for s in services if s.name == "otel-collector").secrets


def test_no_two_components_share_a_port_with_the_most_gateways() -> None:
    ports = [port for service in native_services(gateways.MAX_GATEWAYS) for port in _ports(service)]
    assert len(ports) == len(set(ports))


@pytest.mark.parametrize("count", [-1, 1, gateways.MAX_GATEWAYS + 1])
def test_a_count_that_is_no_redundancy_or_has_no_ports_is_refused(tmp_path: Path, count: int) -> None:
    with pytest.raises(StackError, match="--gateways takes 0"):
        Stack(REPO, tmp_path / "state", SecretsDir(tmp_path / "secrets"), gateways=count)


def test_status_down_and_the_supervisor_see_the_topology_the_last_up_recorded(tmp_path: Path) -> None:
    secrets = SecretsDir(tmp_path / "secrets")
    assert Stack(REPO, tmp_path / "state", secrets).gateways == 0
    gateways.SCALE.record(tmp_path / "state", 2)
    later = Stack(REPO, tmp_path / "state", secrets)
    assert later.gateways == 2
    assert later.gateway_names() == ["otel-gateway-1", "otel-gateway-2"]
    assert {"otel-gateway-1", "otel-gateway-2", "otel-collector"} <= set(later.native_names())


def _exporter(name: str) -> dict[str, Any]:
    return dict(AGENT["exporters"][name])


def test_the_agent_routes_spans_and_logs_by_trace_id_and_metrics_by_service() -> None:
    pipelines = AGENT["service"]["pipelines"]
    assert _exporter("load_balancing/by_trace")["routing_key"] == "traceID"
    assert _exporter("load_balancing/by_service")["routing_key"] == "service"
    assert "load_balancing/by_trace" in pipelines["traces"]["exporters"]
    assert "load_balancing/by_trace" in pipelines["logs"]["exporters"]
    assert pipelines["metrics"]["exporters"] == ["load_balancing/by_service"]


def test_the_agent_queues_on_disk_and_reaches_the_gateways_with_tls_and_the_token() -> None:
    for name in ("load_balancing/by_trace", "load_balancing/by_service"):
        exporter = _exporter(name)
        assert exporter["sending_queue"]["storage"] == "file_storage/queues"
        assert exporter["retry_on_failure"]["max_elapsed_time"] == "0s"
        otlp = exporter["protocol"]["otlp"]
        assert otlp["tls"]["ca_file"].endswith("/ca.crt") and "insecure" not in otlp["tls"]
        assert otlp["auth"]["authenticator"] == "bearertokenauth/otlp"
        assert "TTA_COLLECTOR_GATEWAYS" in exporter["resolver"]["static"]["hostnames"]


def test_a_batch_a_gateway_refuses_goes_back_to_the_queue_on_disk_never_to_one_in_memory() -> None:
    for name in ("load_balancing/by_trace", "load_balancing/by_service"):
        otlp = _exporter(name)["protocol"]["otlp"]
        assert otlp["sending_queue"] == {"enabled": False}
        assert otlp["retry_on_failure"] == {"enabled": False}


def test_the_members_file_sends_both_balancers_to_the_named_gateways_only() -> None:
    overlay = yaml.safe_load(gateways.members_overlay([1, 3]))
    for name in ("load_balancing/by_trace", "load_balancing/by_service"):
        assert overlay["exporters"][name] == {
            "resolver": {"static": {"hostnames": ["127.0.0.1:4417", "127.0.0.1:4617"]}}
        }


def test_the_members_file_reads_back_the_gateways_it_names(tmp_path: Path) -> None:
    members = tmp_path / "otel-collector" / gateways.MEMBERS_FILE
    gateways.write_members(members, [2])
    assert gateways.read_members(members) == [2]
    assert not members.with_name(f"{members.name}.new").exists()


@pytest.mark.parametrize("content", [None, "", "exporters: []", "{not yaml"])
def test_a_missing_or_foreign_members_file_names_no_gateway(tmp_path: Path, content: str | None) -> None:
    members = tmp_path / gateways.MEMBERS_FILE
    if content is not None:
        members.write_text(content)
    assert gateways.read_members(members) == []


def test_an_agent_with_no_gateway_to_send_to_is_refused() -> None:
    with pytest.raises(TopologyError, match="at least one gateway"):
        gateways.members_overlay([])


def test_changing_the_members_of_a_stopped_agent_only_writes_the_file(tmp_path: Path) -> None:
    stack = Stack(REPO, tmp_path / "state", SecretsDir(tmp_path / "secrets"), gateways=3)
    stack.set_gateway_members([1, 3])
    assert stack.gateway_members() == [1, 3]


def test_privacy_comes_before_anything_is_queued_and_again_on_each_gateway() -> None:
    for document in (AGENT, GATEWAY):
        for pipeline in document["service"]["pipelines"].values():
            assert pipeline["processors"] == ["memory_limiter", "tta_privacy"]


def test_only_the_agent_counts_log_records_so_each_count_comes_from_one_collector() -> None:
    assert "count/logs" in AGENT["service"]["pipelines"]["logs"]["exporters"]
    assert "count/logs" in AGENT["service"]["pipelines"]["metrics"]["receivers"]
    assert GATEWAY["service"]["pipelines"]["metrics"]["receivers"] == ["otlp"]
    assert "count/logs" not in GATEWAY["service"]["pipelines"]["logs"]["exporters"]
    assert (
        "count/logs"
        not in gateways.gateway_environment(1, Path("g"), Path("s"))["TTA_COLLECTOR_GATEWAY_LOGS_EXPORTERS"]
    )
