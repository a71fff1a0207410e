"""The native stack: start, watch and stop the components as processes on loopback.

One entry per service - binary, arguments, environment, port, readiness URL - and one
loop that starts them, then polls every readiness endpoint until all answer. Each
service keeps its pid file, log and data under the state directory, so ``down`` stops
exactly what ``up`` started and the data survives unless purged.

Loki and Tempo are not among the native services: their Go modules are AGPL-licensed,
which this project's build machines may not fetch (see docs/stack.md). The native
collector writes logs and traces to files in its state directory instead, after the same
privacy processors; ``docker compose`` runs the complete stack.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tta_otel.ops.stack.components import Component, components


class StackError(RuntimeError):
    """Something the operator must fix; the message says what."""


@dataclass(frozen=True)
class Service:
    name: str
    component: str
    port: int
    ready_path: str
    arguments: Callable[[Path, Path], list[str]]  # (repository, service state directory)
    environment: Callable[[Path], dict[str, str]] = field(default=lambda state: {})
    extra_ports: tuple[int, ...] = ()

    @property
    def ready_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.ready_path}"


def _collector_environment(state: Path) -> dict[str, str]:
    key_file = state / "pseudonym.key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return {
        "TTA_COLLECTOR_STORAGE_DIR": str(state / "queues"),
        "TTA_COLLECTOR_FILE_DIR": str(state),
        "TTA_COLLECTOR_TRACES_EXPORTERS": "[file/traces]",
        "TTA_COLLECTOR_LOGS_EXPORTERS": "[file/logs]",
        "TTA_COLLECTOR_PSEUDONYM_KEY": key_file.read_text().strip(),
    }


SERVICES: tuple[Service, ...] = (
    Service(
        "prometheus",
        "prometheus",
        9090,
        "/-/ready",
        lambda repo, state: [
            f"--config.file={repo / 'prometheus' / 'prometheus.yml'}",
            f"--storage.tsdb.path={state / 'data'}",
            "--storage.tsdb.retention.time=15d",
            "--storage.tsdb.retention.size=10GB",
            "--web.listen-address=127.0.0.1:9090",
            "--web.enable-otlp-receiver",
            "--web.enable-lifecycle",
            # exemplars link error counts to a trace; a zero at each counter's start time lets
            # increase() count the first error of a new process (docs/stack.md)
            "--enable-feature=exemplar-storage,created-timestamp-zero-ingestion",
        ],
    ),
    Service(
        "alertmanager",
        "alertmanager",
        9093,
        "/-/ready",
        lambda repo, state: [
            f"--config.file={repo / 'alertmanager' / 'alertmanager.yml'}",
            f"--storage.path={state / 'data'}",
            "--web.listen-address=127.0.0.1:9093",
            "--cluster.listen-address=",
        ],
    ),
    Service(
        "otel-collector",
        "otelcol",
        13133,
        "/",
        lambda repo, state: [
            "--config",
            str(repo / "collector-config" / "otelcol.yaml"),
            "--config",
            str(repo / "collector-config" / "privacy.yaml"),
        ],
        _collector_environment,
        extra_ports=(4317, 4318, 8888, 1777, 55679),
    ),
)

URLS = {
    "TTA_OTLP_GRPC_ENDPOINT": "http://127.0.0.1:4317",
    "TTA_OTLP_HTTP_ENDPOINT": "http://127.0.0.1:4318",
    "TTA_PROMETHEUS_URL": "http://127.0.0.1:9090",
    "TTA_ALERTMANAGER_URL": "http://127.0.0.1:9093",
}


def _port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _is_ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
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
    """The native stack of one checkout, with its state in ``state_dir``."""

    def __init__(self, repository: Path, state_dir: Path) -> None:
        self.repository = repository.resolve()
        self.state_dir = state_dir.resolve()
        self.components: dict[str, Component] = components(repository)
        self._processes: dict[str, subprocess.Popen[bytes]] = {}

    def service(self, name: str) -> Service:
        for service in SERVICES:
            if service.name == name:
                return service
        raise StackError(f"no service {name!r}; services: {', '.join(s.name for s in SERVICES)}")

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
        binary = str(self.components[service.component].binary())
        return pid if _alive(pid) and _runs(pid, binary) else None

    def last_lines(self, name: str, count: int = 20) -> str:
        log = self.log_file(name)
        return "\n".join(log.read_text(errors="replace").splitlines()[-count:]) if log.exists() else "(no log)"

    def start(self, name: str) -> None:
        """Start one service (not waiting for it); an error if its binary or a port is missing."""
        service = self.service(name)
        if self.pid(service) is not None:
            return
        component = self.components[service.component]
        if not component.is_built():
            raise StackError(f"{component.name} {component.version} is not built: run `tta-otel stack build`")
        for port in (service.port, *service.extra_ports):
            if _port_in_use(port):
                raise StackError(f"port {port} ({service.name}) is in use: stop what listens there, then retry")
        state = self._state(service)
        state.mkdir(parents=True, exist_ok=True)
        with open(self.log_file(name), "ab") as log:
            process = subprocess.Popen(
                [str(component.binary()), *service.arguments(self.repository, state)],
                cwd=state,
                env={**os.environ, **service.environment(state)},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._processes[name] = process
        staging = state / "pid.new"
        staging.write_text(str(process.pid))
        staging.replace(state / "pid")

    def wait_ready(self, names: list[str], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        pending = [self.service(name) for name in names]
        while pending:
            for service in list(pending):
                if _is_ready(service.ready_url):
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
        """Start every service and wait until all are ready."""
        for service in SERVICES:
            self.start(service.name)
        self.wait_ready([service.name for service in SERVICES], timeout)

    def stop(self, name: str, sig: signal.Signals = signal.SIGTERM, grace: float = 15.0) -> bool:
        """Stop one service by its pid; SIGKILL after ``grace`` seconds. Returns whether it ran."""
        service = self.service(name)
        pid = self.pid(service)
        if pid is None:
            return False
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
        for service in reversed(SERVICES):
            self.stop(service.name)
        if purge and self.state_dir.exists():
            shutil.rmtree(self.state_dir)

    def status(self) -> list[dict[str, object]]:
        return [
            {
                "service": service.name,
                "pid": self.pid(service),
                "ready": _is_ready(service.ready_url),
                "url": service.ready_url,
            }
            for service in SERVICES
        ]
