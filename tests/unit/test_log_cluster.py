"""Specification: VictoriaLogs in its cluster mode (``tta-otel stack up --log-nodes N``).

With N log nodes, the ``victorialogs`` service that everything talks to keeps its name, port and
credentials and becomes the front of N storage nodes, each on its own fixed port and disk with
the same basic auth, started before it. Without ``--log-nodes`` nothing changes. The launch
table's entries are checked here; tests/stack/test_log_cluster.py kills a node under load.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tta_otel.ops.secrets import SecretsDir
from tta_otel.ops.stack import log_cluster
from tta_otel.ops.stack.runner import SERVICES, Placement, Service, Stack, StackError, native_services
from tta_otel.ops.stack.topology import TopologyError

REPO = Path(__file__).resolve().parents[2]


def _by_name(services: tuple[Service, ...]) -> dict[str, Service]:
    return {service.name: service for service in services}


def _arguments(service: Service, tmp_path: Path) -> list[str]:
    return service.arguments(Placement((), tmp_path / service.name / "data", "127.0.0.1", service.port, tmp_path / "s"))


def test_without_log_nodes_the_stack_is_the_launch_tables() -> None:
    assert native_services(0, 0) == tuple(service for service in SERVICES if service.native)


def test_storage_nodes_start_right_before_their_front_which_keeps_the_name() -> None:
    names = [service.name for service in native_services(0, 2)]
    assert names[-4:] == ["victorialogs-storage-1", "victorialogs-storage-2", "victorialogs", "victoriametrics"]


def test_the_front_routes_to_every_node_with_the_stacks_credentials(tmp_path: Path) -> None:
    front = _by_name(native_services(0, 3))["victorialogs"]
    password = str(tmp_path / "s" / "victorialogs-password")
    assert _arguments(front, tmp_path)[-3:] == [
        "-storageNode=127.0.0.1:9501,127.0.0.1:9502,127.0.0.1:9503",
        "-storageNode.username=tta-otel,tta-otel,tta-otel",
        f"-storageNode.passwordFile={password},{password},{password}",
    ]
    assert front.port == 9428 and front.credentials == _by_name(SERVICES)["victorialogs"].credentials
    assert (front.before_stop, _by_name(SERVICES)["victorialogs"].before_stop) == (log_cluster.flush_front, None)


def test_each_node_is_the_single_node_on_its_own_port_and_disk_that_deletes_and_flushes_each_second(
    tmp_path: Path,
) -> None:
    single = _by_name(SERVICES)["victorialogs"]
    node = _by_name(native_services(0, 2))["victorialogs-storage-2"]
    arguments = _arguments(node, tmp_path)
    assert node.port == 9502
    assert f"-storageDataPath={tmp_path / 'victorialogs-storage-2' / 'data'}" in arguments
    assert "-httpListenAddr=127.0.0.1:9502" in arguments
    assert arguments[-2:] == ["-internaldelete.enable", "-inmemoryDataFlushInterval=1s"]
    assert (node.secrets, node.credentials) == (single.secrets, single.credentials)


def test_no_two_components_share_a_port_with_the_most_nodes_and_gateways() -> None:
    services = native_services(8, log_cluster.MAX_NODES)
    ports = [port for service in services for port in (service.port, *service.extra_ports)]
    assert len(ports) == len(set(ports))


@pytest.mark.parametrize("count", [-1, 1, log_cluster.MAX_NODES + 1])
def test_a_count_that_is_no_cluster_or_has_no_ports_is_refused(tmp_path: Path, count: int) -> None:
    with pytest.raises(StackError, match=f"--log-nodes takes 0 \\(one VictoriaLogs\\) or 2 to 8, not {count}"):
        Stack(REPO, tmp_path / "state", SecretsDir(tmp_path / "secrets"), log_nodes=count)


def test_a_front_of_fewer_than_two_nodes_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TopologyError, match="at least 2 storage nodes, not 1"):
        log_cluster.front_flags(["127.0.0.1:9501"], tmp_path)


def test_status_down_and_the_supervisor_see_the_node_count_the_last_up_recorded(tmp_path: Path) -> None:
    secrets = SecretsDir(tmp_path / "secrets")
    assert Stack(REPO, tmp_path / "state", secrets).log_nodes == 0
    log_cluster.SCALE.record(tmp_path / "state", 2)
    later = Stack(REPO, tmp_path / "state", secrets)
    assert later.log_nodes == 2
    assert {"victorialogs-storage-1", "victorialogs-storage-2", "victorialogs"} <= set(later.native_names())
