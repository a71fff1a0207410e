"""docker-compose.yml against the launch table (``SERVICES`` in tta_otel/ops/stack/runner.py).

The table is the single source of every component's command line. Compose's lists are
written by hand (a reader sees the flags where Docker users look) and checked here: each
``command:`` must equal ``compose_command(name)``, the table's arguments built from the
``COMPOSE`` placement (container paths, every interface) plus the entry's compose-only
arguments. The placement itself is checked against the volumes that mount the files.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from tta_otel import environment_variables
from tta_otel.ops.stack import retention, runner
from tta_otel.ops.stack.runner import COMPOSE, SERVICES, URLS, compose_command, table_entry

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
COMPOSED: dict[str, dict[str, Any]] = COMPOSE_FILE["services"]
NAMES = [service.name for service in SERVICES if service.in_compose]
RETENTION = retention.of_checkout(REPO)  # the committed retention.yaml, which docker-compose.yml keeps


def _yaml_list(arguments: list[str]) -> str:
    return "\n".join(f"      - {argument}" for argument in arguments)


# Compose services outside the table, and why
COMPOSE_ONLY = {
    "secrets": "a one-shot job that copies the secrets directory into the secrets volume",
    "tta-otel-alerts": "tta_otel's own escalation service; natively the operator runs `tta-otel alerts serve`",
}


def test_the_table_and_compose_name_the_same_services() -> None:
    assert set(NAMES) == set(COMPOSED) - set(COMPOSE_ONLY) == set(COMPOSE)


@pytest.mark.parametrize("name", NAMES)
def test_each_compose_command_is_the_tables(name: str) -> None:
    expected = compose_command(name, RETENTION)
    actual = COMPOSED[name].get("command", [])
    assert actual == expected, (
        f"docker-compose.yml's command for {name} differs from the launch table "
        f"(tta_otel/ops/stack/runner.py); it should read:\n    command:\n{_yaml_list(expected)}"
    )


def _mounts(name: str) -> dict[PurePosixPath, str]:
    """Container path -> what is mounted there (``./dir`` of the checkout or a named volume)."""
    mounts = {}
    for volume in COMPOSED[name].get("volumes", []):
        source, target, *_ = volume.split(":")
        mounts[PurePosixPath(target)] = source
    return mounts


@pytest.mark.parametrize("name", NAMES)
def test_the_compose_placement_mounts_the_files_the_native_stack_reads(name: str) -> None:
    service, placement, mounts = table_entry(name), COMPOSE[name], _mounts(name)
    assert len(placement.configs) == len(service.configs)
    for container_path, repository_file in zip(placement.configs, service.configs, strict=True):
        # the deepest mount holding the file (compose-targets/ is mounted over prometheus/targets/)
        target = max((t for t in mounts if container_path.is_relative_to(t)), key=lambda t: len(t.parts))
        source = PurePosixPath(mounts[target]) / container_path.relative_to(target)
        assert source == PurePosixPath(".") / repository_file, f"{container_path} is mounted from {source}"
    assert PurePosixPath(placement.data) in mounts, f"{placement.data} is not a volume of {name}"


@pytest.mark.parametrize("name", NAMES)
def test_compose_checks_the_tables_readiness_url_and_publishes_only_its_ports(name: str) -> None:
    service, composed = table_entry(name), COMPOSED[name]
    assert composed["healthcheck"]["test"][-1].split()[-1] == service.ready_url_at(COMPOSE[name].port)
    published = {int(mapping.split(":")[-1]) for mapping in composed.get("ports", [])}
    assert published <= {service.port, *service.extra_ports}


def test_the_native_commands_read_the_checkout_and_listen_on_loopback_only(tmp_path: Path) -> None:
    for service in SERVICES:
        placement = service.placement(REPO, tmp_path, tmp_path / "secrets")
        command = service.arguments(placement)
        assert "0.0.0.0" not in " ".join(command)
        for config in service.configs:
            read = tmp_path / "config" / Path(config).name if service.native_copy else REPO / config
            assert any(str(read) in argument for argument in command), (service.name, command)
    prometheus = table_entry("prometheus")
    placement = prometheus.placement(REPO, tmp_path, tmp_path / "secrets")
    assert "--web.enable-remote-write-receiver" not in prometheus.arguments(placement)


@pytest.mark.parametrize(
    ("name", "web"), [("prometheus", "prometheus-web.yml"), ("alertmanager", "alertmanager-web.yml")]
)
def test_prometheus_and_alertmanager_take_their_web_config_from_the_secrets_dir(
    tmp_path: Path, name: str, web: str
) -> None:
    service = table_entry(name)

    native = service.arguments(service.placement(REPO, tmp_path, tmp_path / "secrets"))

    assert f"--web.config.file={tmp_path / 'secrets' / web}" in native
    assert f"--web.config.file=/run/secrets/{web}" in compose_command(name, RETENTION)


def test_a_stack_test_can_place_a_component_on_its_own_config_and_port(tmp_path: Path) -> None:
    alertmanager = table_entry("alertmanager")
    config = tmp_path / "escalation.yml"
    command = alertmanager.arguments(alertmanager.placement(REPO, tmp_path, tmp_path / "secrets", [config], 19093))
    assert command == [
        f"--config.file={config}",
        f"--storage.path={tmp_path / 'data'}",
        "--data.retention=120h",
        "--web.listen-address=127.0.0.1:19093",
        "--cluster.listen-address=",
        f"--web.config.file={tmp_path / 'secrets' / 'alertmanager-web.yml'}",
    ]


def test_the_urls_are_named_by_the_environment_variables_module() -> None:
    assert URLS == {
        environment_variables.TTA_OTLP_GRPC_ENDPOINT: "https://127.0.0.1:4317",
        environment_variables.TTA_OTLP_HTTP_ENDPOINT: "https://127.0.0.1:4318",
        environment_variables.TTA_PROMETHEUS_URL: "http://127.0.0.1:9090",
        environment_variables.TTA_ALERTMANAGER_URL: "http://127.0.0.1:9093",
        environment_variables.TTA_JAEGER_URL: "http://127.0.0.1:16686",
        environment_variables.TTA_VICTORIALOGS_URL: "http://127.0.0.1:9428",
        environment_variables.TTA_VICTORIAMETRICS_URL: "http://127.0.0.1:8428",
    }


def test_the_native_stores_have_no_compose_command() -> None:
    assert [s.name for s in SERVICES if not s.in_compose] == ["jaeger", "victorialogs"]
    with pytest.raises(runner.StackError, match="jaeger runs natively only"):
        compose_command("jaeger")


def test_compose_only_services_have_no_native_build() -> None:
    assert [s.name for s in SERVICES if not s.native] == ["loki", "tempo", "grafana"]
    with pytest.raises(runner.StackError, match="loki runs under docker compose only"):
        runner.Stack(REPO, Path("/nonexistent")).service("loki")
