"""The gateway topology of the native stack (``tta-otel stack up --gateways N``; docs/gateways.md).

With ``N`` gateways, the collector that clients talk to (same name, ports, TLS and token) becomes
the *agent*: ``collector-config/agent.yaml`` merged after the usual files, a persistent queue
and the ``load_balancing`` exporter in front of ``N`` *gateway* collectors
(``collector-config/gateway.yaml``), which apply privacy again and export to the stores. This
module is the topology as data - each gateway's name, addresses and environment, and the record of
how many gateways a state directory's stack was started with, so that ``status``, ``down`` and
the supervisor see the same components as the ``up`` that started them. The runner turns it into
launch-table entries.

The agent's list of gateways is a configuration file of its own in its state directory (the
*members* file, merged after ``agent.yaml``): ``up`` writes every gateway there, and the supervisor
rewrites it with the gateways that answer their health check and sends the agent SIGHUP, which
reloads its configuration. A gateway that is down leaves the agent's ring, its share of the trace
ids goes to the others, and it takes its share back once it answers again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from tta_otel.ops.stack.topology import Scale, TopologyError

AGENT_CONFIG = "collector-config/agent.yaml"
GATEWAY_CONFIG = "collector-config/gateway.yaml"
MIN_GATEWAYS = 2
"""One gateway is a single point of loss again, with an extra hop: refused."""
MAX_GATEWAYS = 8
"""The fixed port layout below leaves room for this many."""
MEMBERS_FILE = "gateway-members.yaml"
"""In the agent's state directory: the overlay that names the gateways the agent sends to."""
_BALANCERS = ("load_balancing/by_trace", "load_balancing/by_service")


@dataclass(frozen=True)
class GatewayPorts:
    """One gateway's loopback ports: fixed per index, so that an operator can find them."""

    grpc: int
    http: int
    health: int
    metrics: int


SCALE = Scale(
    "--gateways", "one collector", "one collector", "an agent with {count} gateways", MIN_GATEWAYS, MAX_GATEWAYS
)
"""How many gateways ``stack up --gateways`` can run, and the count it last ran (``Scale``)."""


def gateway_name(index: int) -> str:
    return f"otel-gateway-{index}"


def gateway_ports(index: int) -> GatewayPorts:
    """Gateway ``index`` (from 1) listens 100 ports above the agent for OTLP and health (4417,
    13233, ...) and next to it for its own metrics (8889, ...)."""
    if not 1 <= index <= MAX_GATEWAYS:
        raise TopologyError(f"no gateway {index}: gateways are numbered 1 to {MAX_GATEWAYS}")
    return GatewayPorts(4317 + 100 * index, 4318 + 100 * index, 13133 + 100 * index, 8888 + index)


def agent_environment(count: int) -> dict[str, str]:
    """What the agent adds to the collector's environment: the gateways' OTLP/gRPC addresses."""
    addresses = ", ".join(f"127.0.0.1:{gateway_ports(index).grpc}" for index in range(1, count + 1))
    return {"TTA_COLLECTOR_GATEWAYS": f"[{addresses}]"}


def members_overlay(indices: Iterable[int]) -> str:
    """The agent's overlay that sends to the gateways ``indices`` only (YAML, merged last)."""
    addresses = [f"127.0.0.1:{gateway_ports(index).grpc}" for index in indices]
    if not addresses:
        raise TopologyError("the agent needs at least one gateway to send to")
    resolver = {"resolver": {"static": {"hostnames": addresses}}}
    header = "# Written by tta-otel (stack up, then the supervisor): the gateways that answer now.\n"
    return header + yaml.safe_dump({"exporters": {name: resolver for name in _BALANCERS}}, sort_keys=False)


def write_members(path: Path, indices: Iterable[int]) -> None:
    """Write the members file at once (a reload never reads half of it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f"{path.name}.new")
    staging.write_text(members_overlay(indices))
    staging.replace(path)


def read_members(path: Path) -> list[int]:
    """The gateways a members file names (empty when there is none or it is not one)."""
    try:
        document = yaml.safe_load(path.read_text())
        addresses = document["exporters"][_BALANCERS[0]]["resolver"]["static"]["hostnames"]
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return []
    by_address = {f"127.0.0.1:{gateway_ports(index).grpc}": index for index in range(1, MAX_GATEWAYS + 1)}
    return [by_address[address] for address in addresses if address in by_address]


def gateway_environment(index: int, state: Path, secrets: Path) -> dict[str, str]:
    """Gateway ``index``'s environment: its addresses, its own queue folder, the native stores."""
    ports = gateway_ports(index)
    return {
        "TTA_SECRETS_DIR": str(secrets),
        "TTA_COLLECTOR_STORAGE_DIR": str(state / "queues"),
        "TTA_COLLECTOR_OTLP_GRPC_ENDPOINT": f"127.0.0.1:{ports.grpc}",
        "TTA_COLLECTOR_OTLP_HTTP_ENDPOINT": f"127.0.0.1:{ports.http}",
        "TTA_COLLECTOR_HEALTH_ENDPOINT": f"127.0.0.1:{ports.health}",
        "TTA_COLLECTOR_METRICS_PORT": str(ports.metrics),
        "TTA_COLLECTOR_TRACES_EXPORTERS": "[otlp_grpc/jaeger]",
        "TTA_COLLECTOR_GATEWAY_LOGS_EXPORTERS": "[otlp_http/victorialogs]",
    }


__all__ = [
    "AGENT_CONFIG",
    "GATEWAY_CONFIG",
    "MAX_GATEWAYS",
    "MEMBERS_FILE",
    "MIN_GATEWAYS",
    "SCALE",
    "GatewayPorts",
    "agent_environment",
    "gateway_environment",
    "gateway_name",
    "gateway_ports",
    "members_overlay",
    "read_members",
    "write_members",
]
