"""The native stack: start, watch and stop the components as processes on loopback.

``SERVICES`` is the one table of launch commands: one entry per component - binary,
arguments built from the ``Placement`` it is given (configuration files, data directory,
address), ports, readiness URL, environment. The native runner, the stack tests that start
one component alone (``running_component``) and docker-compose.yml (checked against
``compose_command`` by tests/unit/test_stack_launch_table.py) all take their command
lines from it. Each native service keeps its pid file, log and data under the state
directory, so ``down`` stops exactly what ``up`` started and the data survives unless purged.
With ``up --gateways N`` (``native_services``; gateways.py) the collector's entry becomes the
agent and N gateway entries are derived from it (docs/gateways.md).

Loki, Tempo and Grafana are in the table but have no native build: they are licensed under
the AGPL, and this project neither builds nor links them; docker compose runs their
official images. The native collector sends traces to Jaeger v2 and logs to VictoriaLogs
(Apache-2.0) instead, after the same privacy processors (see docs/stack.md).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path, PurePath, PurePosixPath
from typing import Any

from tta_otel.config.loader import ConfigError
from tta_otel.environment_variables import (
    TTA_ALERTMANAGER_CREDENTIALS_FILE,
    TTA_ALERTMANAGER_URL,
    TTA_JAEGER_CREDENTIALS_FILE,
    TTA_JAEGER_URL,
    TTA_OTLP_GRPC_ENDPOINT,
    TTA_OTLP_HTTP_ENDPOINT,
    TTA_OTLP_TOKEN_FILE,
    TTA_PROMETHEUS_CREDENTIALS_FILE,
    TTA_PROMETHEUS_URL,
    TTA_SECRETS_DIR,
    TTA_VICTORIALOGS_CREDENTIALS_FILE,
    TTA_VICTORIALOGS_URL,
    TTA_VICTORIAMETRICS_CREDENTIALS_FILE,
    TTA_VICTORIAMETRICS_URL,
)
from tta_otel.ops.client_credentials import basic_authorization
from tta_otel.ops.secrets import (
    ALERTMANAGER_CREDENTIALS,
    ALERTMANAGER_PASSWORD,
    ALERTMANAGER_WEB_CONFIG,
    ALERTS_WEBHOOK_TOKEN,
    BASIC_AUTH_USER,
    CA_CERT,
    COLLECTOR_PSEUDONYM_KEY,
    JAEGER_BASIC_AUTH,
    JAEGER_CREDENTIALS,
    JAEGER_HTPASSWD,
    OTLP_SERVER_CERT,
    OTLP_SERVER_KEY,
    OTLP_TOKEN,
    PROMETHEUS_BASIC_AUTH,
    PROMETHEUS_CREDENTIALS,
    PROMETHEUS_PASSWORD,
    PROMETHEUS_WEB_CONFIG,
    VICTORIALOGS_BASIC_AUTH,
    VICTORIALOGS_CREDENTIALS,
    VICTORIALOGS_PASSWORD,
    VICTORIAMETRICS_CREDENTIALS,
    VICTORIAMETRICS_PASSWORD,
    SecretsDir,
    SecretsError,
)
from tta_otel.ops.stack import gateways as _gateways
from tta_otel.ops.stack import log_cluster as _log_cluster
from tta_otel.ops.stack import retention as retention_of
from tta_otel.ops.stack.components import Component, components
from tta_otel.ops.stack.native_configs import COMPOSE_SECRETS, native_copy
from tta_otel.ops.stack.retention import DEFAULT_RETENTION, Retention
from tta_otel.ops.stack.topology import TopologyError


class StackError(RuntimeError):
    """Something the operator must fix; the message says what."""


@dataclass(frozen=True)
class Placement:
    """Where one launch of a component finds its files and listens; its arguments are built from this.

    Natively: the checkout's configuration files, a directory under the state directory and
    loopback. Under compose: the container's paths and every interface (``COMPOSE``). In a
    stack test: the test's own configuration file and a free port.
    """

    configs: tuple[PurePath, ...]
    data: PurePath
    host: str
    port: int
    secrets: PurePath  # the secrets directory (compose: /run/secrets)
    retention: Retention = DEFAULT_RETENTION  # the checkout's retention.yaml (retention.py): every store's periods


@dataclass(frozen=True)
class Service:
    name: str
    component: str | None  # the native build (components.py); None: compose only, from the official image
    port: int
    ready_path: str
    configs: tuple[str, ...]  # the configuration files, relative to the repository
    arguments: Callable[[Placement], list[str]]
    environment: Callable[[Path, Path], dict[str, str]] = field(default=lambda state, secrets: {})  # native
    extra_ports: tuple[int, ...] = ()
    compose_arguments: tuple[str, ...] = ()  # appended under compose only; each entry says why
    secrets: tuple[str, ...] = ()  # the secrets it reads: none missing, or it does not start
    credentials: str | None = None  # the secret with the user:password its HTTP API asks for
    native_copy: bool = False  # its configuration names compose paths: the native stack runs a copy
    in_compose: bool = True  # False: native only (compose runs another component for its job)
    retention_environment: Callable[[Retention], dict[str, str]] = field(default=lambda retention: {})  # native
    # asked (its URL, its credentials) right before a graceful stop, so that it passes on what it holds
    before_stop: Callable[[str, tuple[str, str] | None], object] | None = None

    @property
    def native(self) -> bool:
        return self.component is not None

    @property
    def ready_url(self) -> str:
        return self.ready_url_at(self.port)

    def ready_url_at(self, port: int) -> str:
        return f"http://127.0.0.1:{port}{self.ready_path}"

    def placement(
        self,
        repository: Path,
        state: Path,
        secrets: Path,
        configs: Sequence[Path] | None = None,
        port: int | None = None,
        retention: Retention | None = None,
    ) -> Placement:
        """The native placement: the checkout's configuration files (copies, for a service whose
        files name compose paths; or ``configs``), ``state/data``, loopback, ``secrets``, and the
        checkout's retention (or ``retention``)."""
        if configs is not None:
            files = tuple(configs)
        elif self.native_copy:
            files = tuple(native_copy(repository / config, state / "config", secrets) for config in self.configs)
        else:
            files = tuple(repository / config for config in self.configs)
        periods = retention if retention is not None else checkout_retention(repository)
        return Placement(files, state / "data", "127.0.0.1", port or self.port, secrets, periods)


def checkout_retention(repository: Path) -> Retention:
    """The checkout's ``retention.yaml``; a StackError names the file, the key and the reason."""
    try:
        return retention_of.of_checkout(repository)
    except ConfigError as error:
        raise StackError(f"{error}\n(fix {retention_of.RETENTION_FILE}, then retry)") from None


def _collector_environment(state: Path, secrets: Path) -> dict[str, str]:
    return {
        "TTA_SECRETS_DIR": str(secrets),
        "TTA_COLLECTOR_STORAGE_DIR": str(state / "queues"),
        "TTA_COLLECTOR_TRACES_EXPORTERS": "[otlp_grpc/jaeger]",
        "TTA_COLLECTOR_LOGS_EXPORTERS": "[otlp_http/victorialogs, count/logs]",
    }


SERVICES: tuple[Service, ...] = (
    Service(
        "prometheus",
        "prometheus",
        9090,
        "/-/ready",
        ("prometheus/prometheus.yml",),
        lambda at: [
            f"--config.file={at.configs[0]}",
            f"--storage.tsdb.path={at.data}",
            *retention_of.prometheus_flags(at.retention),
            f"--web.listen-address={at.host}:{at.port}",
            f"--web.config.file={at.secrets / PROMETHEUS_WEB_CONFIG}",  # basic auth on every endpoint
            "--web.enable-otlp-receiver",
            "--web.enable-lifecycle",
            "--web.enable-admin-api",  # snapshots for `tta-otel archive` (behind basic auth like the rest)
            # exemplars link error counts to a trace; a zero at each counter's start time lets
            # increase() count the first error of a new process; the collector's log-derived
            # counters (count connector) arrive as deltas (docs/stack.md)
            "--enable-feature=exemplar-storage,created-timestamp-zero-ingestion,otlp-deltatocumulative",
        ],
        # Tempo's metrics generator remote-writes the service graph; natively there is no Tempo,
        # so no write path beyond OTLP is opened there
        compose_arguments=("--web.enable-remote-write-receiver",),
        # the last one: its remote_write to the long-term tier (prometheus/prometheus.yml)
        secrets=(PROMETHEUS_WEB_CONFIG, PROMETHEUS_PASSWORD, ALERTMANAGER_PASSWORD, VICTORIAMETRICS_PASSWORD),
        credentials=PROMETHEUS_CREDENTIALS,
        native_copy=True,
    ),
    Service(
        "alertmanager",
        "alertmanager",
        9093,
        "/-/ready",
        ("alertmanager/alertmanager.yml",),
        lambda at: [
            f"--config.file={at.configs[0]}",
            f"--storage.path={at.data}",
            *retention_of.alertmanager_flags(at.retention),  # silences and notification log
            f"--web.listen-address={at.host}:{at.port}",
            "--cluster.listen-address=",  # one instance: no gossip port, no wait for peers to settle
            f"--web.config.file={at.secrets / ALERTMANAGER_WEB_CONFIG}",  # basic auth: who may silence
        ],
        secrets=(ALERTMANAGER_WEB_CONFIG, ALERTS_WEBHOOK_TOKEN),
        credentials=ALERTMANAGER_CREDENTIALS,
        native_copy=True,
    ),
    Service(
        "otel-collector",
        "otelcol",
        13133,
        "/",
        ("collector-config/otelcol.yaml", "collector-config/privacy.yaml"),
        # its addresses come from TTA_COLLECTOR_*_ENDPOINT in its environment, loopback by default
        lambda at: [f"--config={config}" for config in at.configs],
        _collector_environment,
        extra_ports=(4317, 4318, 8888, 1777, 55679),  # OTLP/gRPC, OTLP/HTTP, own metrics, pprof, zpages
        # compose only: Loki's tenant per repository, no pprof or zpages (collector-config/compose.yaml)
        compose_arguments=("--config=/etc/otelcol/compose.yaml",),
        secrets=(
            OTLP_TOKEN,
            OTLP_SERVER_CERT,
            OTLP_SERVER_KEY,
            PROMETHEUS_BASIC_AUTH,
            JAEGER_BASIC_AUTH,
            VICTORIALOGS_BASIC_AUTH,
            COLLECTOR_PSEUDONYM_KEY,
        ),
    ),
    # native only: the trace and log stores (Apache-2.0); compose runs Tempo and Loki instead
    Service(
        "jaeger",
        "jaeger",
        13134,  # its health check; the query API is on 16686
        "/status",
        ("jaeger/jaeger.yaml",),
        lambda at: [f"--config={at.configs[0]}"],
        lambda state, secrets: {"TTA_SECRETS_DIR": str(secrets), "TTA_JAEGER_DATA_DIR": str(state / "data")},
        extra_ports=(16686, 16685, 14317, 14318),  # query HTTP and gRPC, OTLP/gRPC and OTLP/HTTP
        secrets=(JAEGER_HTPASSWD,),
        in_compose=False,
        retention_environment=retention_of.jaeger_environment,  # Badger's ttl.spans
    ),
    Service(
        "victorialogs",
        "victorialogs",
        9428,
        "/health",
        (),
        lambda at: [
            f"-storageDataPath={at.data}",
            # logs.warn; the shorter classes by delete tasks (retention.prune_log_classes)
            *retention_of.victorialogs_flags(at.retention),
            # Erasure on request (tta-otel privacy erase) deletes a subject's records.
            "-delete.enable",
            f"-httpListenAddr={at.host}:{at.port}",
            f"-httpAuth.username={BASIC_AUTH_USER}",
            f"-httpAuth.password=file://{at.secrets / VICTORIALOGS_PASSWORD}",
        ],
        secrets=(VICTORIALOGS_PASSWORD,),
        credentials=VICTORIALOGS_CREDENTIALS,
        in_compose=False,
    ),
    # the long-term metrics tier (Apache-2.0), natively and under compose: Prometheus remote-writes
    # the long-term recording rules' 5-minute series to it (prometheus/rules/long-term.yml)
    Service(
        "victoriametrics",
        "victoriametrics",
        8428,
        "/health",  # answers "OK" without credentials; every other path asks for them
        (),
        lambda at: [
            f"-storageDataPath={at.data}",
            *retention_of.victoriametrics_flags(at.retention),  # metrics.long_term
            f"-httpListenAddr={at.host}:{at.port}",
            f"-httpAuth.username={BASIC_AUTH_USER}",
            f"-httpAuth.password=file://{at.secrets / VICTORIAMETRICS_PASSWORD}",
        ],
        secrets=(VICTORIAMETRICS_PASSWORD,),
        credentials=VICTORIAMETRICS_CREDENTIALS,
    ),
    # compose only (AGPL: neither built nor linked by this project; their official images)
    Service("loki", None, 3100, "/ready", ("loki/loki.yaml",), lambda at: [f"-config.file={at.configs[0]}"]),
    Service("tempo", None, 3200, "/ready", ("tempo/tempo.yaml",), lambda at: [f"-config.file={at.configs[0]}"]),
    Service("grafana", None, 3000, "/api/health", (), lambda at: []),  # configured by its environment
)

_C = PurePosixPath
_S = COMPOSE_SECRETS
# docker-compose.yml's side of the table: the container paths its volumes mount the same
# repository files at, the data volumes, and every interface (the ports are published)
COMPOSE: dict[str, Placement] = {
    "prometheus": Placement((_C("/etc/prometheus/prometheus.yml"),), _C("/prometheus"), "0.0.0.0", 9090, _S),
    "alertmanager": Placement((_C("/etc/alertmanager/alertmanager.yml"),), _C("/alertmanager"), "0.0.0.0", 9093, _S),
    "otel-collector": Placement(
        (_C("/etc/otelcol/otelcol.yaml"), _C("/etc/otelcol/privacy.yaml")), _C("/var/lib/otelcol"), "0.0.0.0", 13133, _S
    ),
    "victoriametrics": Placement((), _C("/victoria-metrics-data"), "0.0.0.0", 8428, _S),
    "loki": Placement((_C("/etc/loki/loki.yaml"),), _C("/loki"), "0.0.0.0", 3100, _S),
    "tempo": Placement((_C("/etc/tempo/tempo.yaml"),), _C("/var/tempo"), "0.0.0.0", 3200, _S),
    "grafana": Placement((), _C("/var/lib/grafana"), "0.0.0.0", 3000, _S),
}


def table_entry(name: str) -> Service:
    for service in SERVICES:
        if service.name == name:
            return service
    raise StackError(f"no service {name!r}; services: {', '.join(s.name for s in SERVICES)}")


def compose_command(name: str, retention: Retention | None = None) -> list[str]:
    """The ``command:`` list docker-compose.yml must give service ``name`` (empty: none), with the
    periods of ``retention`` (default: the defaults; the committed file has the checkout's)."""
    service = table_entry(name)
    if not service.in_compose:
        raise StackError(f"{name} runs natively only; compose runs another component for its job")
    placement = replace(COMPOSE[name], retention=retention or DEFAULT_RETENTION)
    return [*service.arguments(placement), *service.compose_arguments]


_COLLECTOR = table_entry("otel-collector")


def _agent(count: int) -> Service:
    """The collector as the agent in front of ``count`` gateways: same name, ports and secrets."""
    return replace(
        _COLLECTOR,
        configs=(*_COLLECTOR.configs, _gateways.AGENT_CONFIG),
        environment=lambda state, secrets: {
            **_collector_environment(state, secrets),
            **_gateways.agent_environment(count),
        },
        in_compose=False,
    )


def _gateway(index: int) -> Service:
    """Gateway ``index``: our collector build with the gateway overlay, its own ports and queue folder."""
    ports = _gateways.gateway_ports(index)
    return Service(
        _gateways.gateway_name(index),
        "otelcol",
        ports.health,
        "/",
        (*_COLLECTOR.configs, _gateways.GATEWAY_CONFIG),
        _COLLECTOR.arguments,
        lambda state, secrets: _gateways.gateway_environment(index, state, secrets),
        extra_ports=(ports.grpc, ports.http, ports.metrics),
        secrets=_COLLECTOR.secrets,
        in_compose=False,
    )


_VICTORIALOGS = table_entry("victorialogs")


def _log_front(count: int) -> Service:
    """VictoriaLogs as the front of ``count`` storage nodes: same name, port and credentials."""
    return replace(
        _VICTORIALOGS,
        arguments=lambda at: [*_VICTORIALOGS.arguments(at), *_log_cluster.stack_front_flags(count, Path(at.secrets))],
        before_stop=_log_cluster.flush_front,
    )


def _log_node(index: int) -> Service:
    """Storage node ``index``: the single node's command line on its own port, plus what a node needs."""
    return replace(
        _VICTORIALOGS,
        name=_log_cluster.node_name(index),
        port=_log_cluster.node_port(index),
        arguments=lambda at: [*_VICTORIALOGS.arguments(at), *_log_cluster.STORAGE_NODE_FLAGS],
    )


def native_services(gateway_count: int = 0, log_nodes: int = 0) -> tuple[Service, ...]:
    """The native components in start order; with gateways, the gateways come right before the
    agent, so that ``down`` (reverse order) stops the agent while its gateways can still take
    what it holds; with log nodes, the storage nodes right before their front, for the same reason."""
    _gateways.SCALE.check(gateway_count)
    _log_cluster.SCALE.check(log_nodes)
    services: list[Service] = []
    for service in SERVICES:
        if not service.native:
            continue
        if service is _COLLECTOR and gateway_count:
            services += [_gateway(index) for index in range(1, gateway_count + 1)]
            services.append(_agent(gateway_count))
        elif service is _VICTORIALOGS and log_nodes:
            services += [_log_node(index) for index in range(1, log_nodes + 1)]
            services.append(_log_front(log_nodes))
        else:
            services.append(service)
    return tuple(services)


URLS = {
    TTA_OTLP_GRPC_ENDPOINT: f"https://127.0.0.1:{_COLLECTOR.extra_ports[0]}",
    TTA_OTLP_HTTP_ENDPOINT: f"https://127.0.0.1:{_COLLECTOR.extra_ports[1]}",
    TTA_PROMETHEUS_URL: f"http://127.0.0.1:{table_entry('prometheus').port}",
    TTA_ALERTMANAGER_URL: f"http://127.0.0.1:{table_entry('alertmanager').port}",
    TTA_JAEGER_URL: f"http://127.0.0.1:{table_entry('jaeger').extra_ports[0]}",
    TTA_VICTORIALOGS_URL: f"http://127.0.0.1:{table_entry('victorialogs').port}",
    TTA_VICTORIAMETRICS_URL: f"http://127.0.0.1:{table_entry('victoriametrics').port}",
}


def _required_secrets(service: Service, secrets: SecretsDir) -> None:
    """Raise StackError naming `tta-otel secrets init` when a secret the service reads is missing."""
    try:
        for name in (*service.secrets, *([service.credentials] if service.credentials else [])):
            secrets.require(name)
    except SecretsError as error:
        raise StackError(f"{service.name}: {error}") from None


def credentials_of(service: Service, secrets: SecretsDir) -> tuple[str, str] | None:
    """The ``(user, password)`` the service's HTTP API asks for, from the secrets directory."""
    if service.credentials is None:
        return None
    user, _, password = secrets.read(service.credentials).partition(":")
    return user, password


def client_environment(secrets: SecretsDir) -> dict[str, str]:
    """What a client of the native stack needs (``tta-otel stack env``): the endpoints, and the
    files of the credentials and the CA they take; never a secret's value."""
    return {
        TTA_SECRETS_DIR: str(secrets.path),
        **URLS,
        TTA_OTLP_TOKEN_FILE: str(secrets.path_of(OTLP_TOKEN)),
        "OTEL_EXPORTER_OTLP_CERTIFICATE": str(secrets.path_of(CA_CERT)),
        TTA_PROMETHEUS_CREDENTIALS_FILE: str(secrets.path_of(PROMETHEUS_CREDENTIALS)),
        TTA_ALERTMANAGER_CREDENTIALS_FILE: str(secrets.path_of(ALERTMANAGER_CREDENTIALS)),
        TTA_JAEGER_CREDENTIALS_FILE: str(secrets.path_of(JAEGER_CREDENTIALS)),
        TTA_VICTORIALOGS_CREDENTIALS_FILE: str(secrets.path_of(VICTORIALOGS_CREDENTIALS)),
        TTA_VICTORIAMETRICS_CREDENTIALS_FILE: str(secrets.path_of(VICTORIAMETRICS_CREDENTIALS)),
    }


def launch(
    service: Service,
    binary: Path,
    placement: Placement,
    state: Path,
    log: Path,
    extra_arguments: Sequence[str] = (),
    extra_environment: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start one component with the table's command line (and ``extra_arguments``), in ``state``
    (its own session), output to ``log``."""
    state.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as output:
        return subprocess.Popen(
            [str(binary), *service.arguments(placement), *extra_arguments],
            cwd=state,
            env={
                **os.environ,
                **service.environment(state, Path(placement.secrets)),
                **service.retention_environment(placement.retention),
                **(extra_environment or {}),
            },
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@dataclass(frozen=True)
class RunningComponent:
    url: str
    process: subprocess.Popen[bytes]


@contextmanager
def component_process(
    repository: Path,
    name: str,
    state: Path,
    secrets: SecretsDir,
    *,
    configs: Sequence[Path] | None = None,
    port: int | None = None,
    timeout: float = 30.0,
    extra_arguments: Sequence[str] = (),
    extra_environment: Mapping[str, str] | None = None,
    retention: Retention | None = None,
) -> Iterator[RunningComponent]:
    """One native component alone, launched from the table with its own configuration file(s),
    port, state directory (log in ``state/<name>.log``) and secrets; yields its URL and process
    once ready (asking with the service's credentials), and stops it (SIGTERM, then SIGKILL) on
    exit, unless it ended already. The stack tests start a private Alertmanager or collector with
    it, and kill one with its process; ``extra_arguments`` add flags, ``extra_environment``
    variables that win over the table's (a test's own backends), ``retention`` the periods instead
    of the checkout's."""
    service = table_entry(name)
    if service.component is None:
        raise StackError(f"{name} runs under docker compose only")
    component = components(repository)[service.component]
    if not component.is_built():
        raise StackError(f"{component.name} {component.version} is not built: run `tta-otel stack build`")
    _required_secrets(service, secrets)
    credentials = credentials_of(service, secrets)
    placement = service.placement(repository, state, secrets.path, configs, port, retention)
    log = state / f"{name}.log"
    process = launch(service, component.binary(), placement, state, log, extra_arguments, extra_environment)
    url = f"http://127.0.0.1:{placement.port}"

    def ready() -> bool:
        if process.poll() is not None:
            raise StackError(f"{name} exited during start-up:\n{log.read_text(errors='replace')}")
        return _is_ready(service.ready_url_at(placement.port), credentials)

    try:
        deadline = time.monotonic() + timeout
        while not ready():
            if time.monotonic() > deadline:
                raise StackError(f"{name} not ready after {timeout:.0f} s:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield RunningComponent(url, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def running_component(repository: Path, name: str, state: Path, secrets: SecretsDir, **options: Any) -> Iterator[str]:
    """``component_process`` for a test that needs only the component's URL (``options``: its)."""
    with component_process(repository, name, state, secrets, **options) as running:
        yield running.url


def _port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _is_ready(url: str, credentials: tuple[str, str] | None = None) -> bool:
    request = urllib.request.Request(url)
    if credentials is not None:
        user, password = credentials
        request.add_header("Authorization", basic_authorization(user, password))
    try:
        with urllib.request.urlopen(request, timeout=1) as response:
            return 200 <= int(response.status) < 300
    except (urllib.error.URLError, OSError):
        return False


def _runs(pid: int, binary: str) -> bool:
    """Whether process ``pid`` runs ``binary``: a pid file may outlive its process, and pids are reused."""
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return True  # no /proc to ask: trust the pid file
    return binary in arguments[:2]  # the binary itself, or a script run by its interpreter


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Stack:
    """The native stack of one checkout, with its state in ``state_dir``.

    ``gateways``: how many gateway collectors run behind the agent (0: one collector, the default
    stack); ``log_nodes``: how many VictoriaLogs storage nodes run behind its front (0: one
    VictoriaLogs). None takes the count that the state directory's last ``up`` recorded, so that
    ``status``, ``down`` and the supervisor see what ``up --gateways N --log-nodes M`` started.
    ``retention``: the periods every store is started with (None: the checkout's ``retention.yaml``).
    """

    def __init__(
        self,
        repository: Path,
        state_dir: Path,
        secrets: SecretsDir | None = None,
        retention: Retention | None = None,
        gateways: int | None = None,
        log_nodes: int | None = None,
    ) -> None:
        self.repository = repository.resolve()
        self.state_dir = state_dir.resolve()
        self.secrets = secrets if secrets is not None else SecretsDir()
        self._retention = retention
        self.components: dict[str, Component] = components(repository)
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        try:
            count = _gateways.SCALE.recorded(self.state_dir) if gateways is None else gateways
            self.gateways = _gateways.SCALE.check(count)
            nodes = _log_cluster.SCALE.recorded(self.state_dir) if log_nodes is None else log_nodes
            self.log_nodes = _log_cluster.SCALE.check(nodes)
        except TopologyError as error:
            raise StackError(str(error)) from None
        self._services = native_services(self.gateways, self.log_nodes)

    @property
    def retention(self) -> Retention:
        """The periods every store is started with: ``retention``, else the checkout's file (read once)."""
        if self._retention is None:
            self._retention = checkout_retention(self.repository)
        return self._retention

    def service(self, name: str) -> Service:
        for service in self._services:
            if service.name == name:
                return service
        if any(service.name == name for service in SERVICES):
            raise StackError(f"{name} runs under docker compose only (`tta-otel stack up --compose`)")
        raise StackError(f"no service {name!r}; services: {', '.join(s.name for s in self._services)}")

    def _state(self, service: Service) -> Path:
        return self.state_dir / service.name

    def log_file(self, name: str) -> Path:
        return self._state(self.service(name)) / f"{name}.log"

    def pid(self, service: Service) -> int | None:
        """The service's pid while it runs; a stale or foreign pid file counts as stopped."""
        try:
            pid = int((self._state(service) / "pid").read_text())
        except (OSError, ValueError):
            return None
        process = self._processes.get(service.name)
        if process is not None and process.pid == pid:
            return pid if process.poll() is None else None  # our child: poll() also reaps it
        assert service.component is not None  # self.service() gives native services only
        binary = str(self.components[service.component].binary())
        return pid if _alive(pid) and _runs(pid, binary) else None

    def last_lines(self, name: str, count: int = 20) -> str:
        log = self.log_file(name)
        return "\n".join(log.read_text(errors="replace").splitlines()[-count:]) if log.exists() else "(no log)"

    def native_names(self) -> list[str]:
        return [service.name for service in self._services]

    def gateway_names(self) -> list[str]:
        return [_gateways.gateway_name(index) for index in range(1, self.gateways + 1)]

    def is_running(self, name: str) -> bool:
        return self.pid(self.service(name)) is not None

    def expected(self, name: str) -> bool:
        """Whether the service should be running: it was started (its pid file is there) and nobody
        stopped it on purpose since (``stop`` holds it first). What the supervisor brings back."""
        state = self._state(self.service(name))
        return (state / "pid").exists() and not (state / "held").exists()

    def restarts(self, name: str) -> int:
        """How often the supervisor started the service again since the state directory was made."""
        try:
            return int((self._state(self.service(name)) / "restarts").read_text())
        except (OSError, ValueError):
            return 0

    def count_restart(self, name: str) -> None:
        staging = self._state(self.service(name)) / "restarts.new"
        staging.write_text(str(self.restarts(name) + 1))
        staging.replace(staging.with_name("restarts"))

    def start(self, name: str) -> bool:
        """Start one service (not waiting for it); an error if its binary or a port is missing.
        Returns whether it was started (False: it was running already)."""
        service = self.service(name)
        if self.pid(service) is not None:
            return False
        assert service.component is not None  # self.service() gives native services only
        component = self.components[service.component]
        if not component.is_built():
            raise StackError(f"{component.name} {component.version} is not built: run `tta-otel stack build`")
        for port in (service.port, *service.extra_ports):
            if _port_in_use(port):
                raise StackError(f"port {port} ({service.name}) is in use: stop what listens there, then retry")
        _required_secrets(service, self.secrets)
        state = self._state(service)
        placement = service.placement(self.repository, state, self.secrets.path, retention=self.retention)
        if self._is_agent(service):
            members = self._members_file()
            if not _gateways.read_members(members):
                _gateways.write_members(members, range(1, self.gateways + 1))
            placement = replace(placement, configs=(*placement.configs, members))
        process = launch(service, component.binary(), placement, state, self.log_file(name))
        self._processes[name] = process
        staging = state / "pid.new"
        staging.write_text(str(process.pid))
        staging.replace(state / "pid")
        (state / "held").unlink(missing_ok=True)
        return True

    def _is_agent(self, service: Service) -> bool:
        return bool(self.gateways) and service.name == _COLLECTOR.name

    def _members_file(self) -> Path:
        return self._state(self.service(_COLLECTOR.name)) / _gateways.MEMBERS_FILE

    def gateway_members(self) -> list[int]:
        """The gateways the agent sends to now (``gateways.MEMBERS_FILE``)."""
        return _gateways.read_members(self._members_file())

    def set_gateway_members(self, indices: Sequence[int]) -> None:
        """Make the agent send to the gateways ``indices`` only: the members file is rewritten and
        a running agent reloads its configuration (SIGHUP), what it holds staying in its queue on disk."""
        _gateways.write_members(self._members_file(), indices)
        pid = self.pid(self.service(_COLLECTOR.name))
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):  # it ended meanwhile: it reads the file when started again
                os.kill(pid, signal.SIGHUP)

    def is_ready(self, name: str) -> bool:
        """Whether the service answers its readiness check now."""
        service = self.service(name)
        return _is_ready(service.ready_url, self._credentials(service))

    def wait_ready(self, names: list[str], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        pending = [self.service(name) for name in names]
        while pending:
            for service in list(pending):
                if _is_ready(service.ready_url, credentials_of(service, self.secrets)):
                    pending.remove(service)
                elif self.pid(service) is None:
                    raise StackError(f"{service.name} exited during start-up:\n{self.last_lines(service.name)}")
            if pending and time.monotonic() > deadline:
                names_left = ", ".join(s.name for s in pending)
                details = "\n".join(f"--- {s.name}\n{self.last_lines(s.name)}" for s in pending)
                raise StackError(f"not ready after {timeout:.0f} s: {names_left}\n{details}")
            if pending:
                time.sleep(0.2)

    def up(self, timeout: float = 60.0) -> None:
        """Start every service and wait until all are ready; nothing starts while a binary or a secret
        is missing. All or nothing: when one cannot start or get ready, every service this call
        started is stopped again before the error is raised, so no process of it holds a port.
        The collector's topology (one collector, or an agent with gateways) changes only while no
        collector of the recorded one runs."""
        for service in self._services:
            assert service.component is not None  # native services only
            component = self.components[service.component]
            if not component.is_built():
                raise StackError(f"{component.name} {component.version} is not built: run `tta-otel stack build`")
            _required_secrets(service, self.secrets)
        self._switch_topology()
        if self.gateways and self.pid(self.service(_COLLECTOR.name)) is None:
            _gateways.write_members(self._members_file(), range(1, self.gateways + 1))
        started: list[str] = []
        try:
            for service in self._services:
                if self.start(service.name):
                    started.append(service.name)
            self.wait_ready([service.name for service in self._services], timeout)
        except BaseException:
            for name in reversed(started):
                self.stop(name)
            raise

    def prune_log_classes(self) -> list[str]:
        """Start VictoriaLogs's delete tasks for the log records past their severity class's period
        (its ``-retentionPeriod`` keeps the longest class); the task ids. Nothing while it is down:
        the supervisor calls this again every ``PRUNE_INTERVAL_S``."""
        from tta_otel.ops.stores import VictoriaLogsClient

        service = self.service("victorialogs")
        if not retention_of.log_class_filters(self.retention, datetime.now(UTC)) or self.pid(service) is None:
            return []
        client = VictoriaLogsClient(URLS[TTA_VICTORIALOGS_URL], credentials=credentials_of(service, self.secrets))
        return retention_of.prune_log_classes(client.delete, self.retention)

    def prune_reports(self) -> list[Path]:
        """Remove the report files in ``state/reports/`` older than retention.yaml's ``reports``;
        the supervisor calls this again every ``PRUNE_INTERVAL_S``."""
        from tta_otel.ops.reports import folder

        return folder.prune(self.state_dir / folder.FOLDER, self.retention.reports)

    def _switch_topology(self) -> None:
        """Record this stack's gateway and log node counts, refusing while collectors or
        VictoriaLogs nodes of other counts run (their processes would be orphaned: ``down`` looks
        only at the recorded topology)."""
        scales = (
            ("the collector", "otelcol", _gateways.SCALE, self.gateways),
            ("VictoriaLogs", "victorialogs", _log_cluster.SCALE, self.log_nodes),
        )
        counts = [scale.recorded(self.state_dir) for _, _, scale, _ in scales]
        recorded = native_services(*counts)
        for (what, component, scale, now), was in zip(scales, counts, strict=True):
            running = [s.name for s in recorded if s.component == component and self.pid(s)] if was != now else []
            if running:
                raise StackError(
                    f"{what} runs {scale.describe(was)} ({', '.join(running)}): "
                    f"stop it (`tta-otel stack down`) before starting it {scale.describe(now)}"
                )
        for _, _, scale, now in scales:
            scale.record(self.state_dir, now)

    def stop(self, name: str, sig: signal.Signals = signal.SIGTERM, grace: float = 15.0) -> bool:
        """Stop one service by its pid; SIGKILL after ``grace`` seconds. Returns whether it ran."""
        service = self.service(name)
        pid = self.pid(service)
        if pid is None:
            return False
        (self._state(service) / "held").touch()  # before the signal: the supervisor must not race it
        if service.before_stop is not None and sig != signal.SIGKILL:
            service.before_stop(f"http://127.0.0.1:{service.port}", self._credentials(service))
        try:
            os.kill(pid, sig)
            deadline = time.monotonic() + grace
            while self.pid(service) is not None and time.monotonic() < deadline:
                time.sleep(0.1)
            if self.pid(service) is not None:
                os.kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + 10
                while self.pid(service) is not None and time.monotonic() < deadline:
                    time.sleep(0.05)
        except ProcessLookupError:
            pass  # it ended on its own meanwhile
        (self._state(service) / "pid").unlink(missing_ok=True)
        return True

    def down(self, purge: bool = False) -> None:
        for service in reversed(self._services):
            self.stop(service.name)
        if purge and self.state_dir.exists():
            shutil.rmtree(self.state_dir)

    def _credentials(self, service: Service) -> tuple[str, str] | None:
        try:
            return credentials_of(service, self.secrets)
        except SecretsError:
            return None  # no credentials: the service is reported as not ready, never an error

    def status(self) -> list[dict[str, object]]:
        return [
            {
                "service": service.name,
                "pid": self.pid(service),
                "ready": _is_ready(service.ready_url, self._credentials(service)),
                "url": service.ready_url,
                "restarts": self.restarts(service.name),
            }
            for service in self._services
        ]
