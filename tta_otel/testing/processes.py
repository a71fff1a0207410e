"""Real processes for the demo and the integration tests: redis-server and a service under
``opentelemetry-instrument``, each on a free loopback port, stopped at the end."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

BIN = Path(sys.executable).parent
EXAMPLE_APP = "examples.tta_service.app:app"


_PICKED_PORTS = range(20000, 31000)
"""Below Linux's ephemeral range (32768-60999), where the kernel takes the local ports of outgoing
connections: a port picked there could be taken by another test process's connection between the
pick and the bind (``make test`` runs two at once). Clear of the native stack's fixed ports. Every
port a test picks for itself comes from here (``free_port``, ``collector_addresses``): a fixed one
in the ephemeral range was taken by an outgoing connection now and then."""


def free_port() -> int:
    """A loopback port nothing listens on now, drawn at random from ``_PICKED_PORTS``."""
    while True:
        port = random.choice(_PICKED_PORTS)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports, for one process that listens on several: ``free_port`` does
    not hold what it picked, so two draws may be equal."""
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return sorted(ports)


def collector_addresses() -> dict[str, str]:
    """The environment that puts a private collector (``running_component``'s) on free ports, clear
    of the session stack's; ``TTA_COLLECTOR_HEALTH_ENDPOINT``'s port is its readiness port."""
    grpc, http, health, metrics, pprof, zpages = free_ports(6)
    return {
        "TTA_COLLECTOR_OTLP_GRPC_ENDPOINT": f"127.0.0.1:{grpc}",
        "TTA_COLLECTOR_OTLP_HTTP_ENDPOINT": f"127.0.0.1:{http}",
        "TTA_COLLECTOR_HEALTH_ENDPOINT": f"127.0.0.1:{health}",
        "TTA_COLLECTOR_METRICS_PORT": str(metrics),
        "TTA_COLLECTOR_PPROF_ENDPOINT": f"127.0.0.1:{pprof}",
        "TTA_COLLECTOR_ZPAGES_ENDPOINT": f"127.0.0.1:{zpages}",
    }


def health_port(addresses: dict[str, str]) -> int:
    """The readiness port of a collector on ``collector_addresses``."""
    return int(addresses["TTA_COLLECTOR_HEALTH_ENDPOINT"].rpartition(":")[2])


def wait_until(predicate: Callable[[], bool], timeout: float = 20.0, interval: float = 0.1) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass; returns whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


@contextmanager
def redis_server(port: int | None = None) -> Iterator[str]:
    """A throw-away redis-server on ``port`` (a free one by default; a given one lets a test start
    it again where its clients expect it); yields its URL."""
    executable = shutil.which("redis-server")
    if executable is None:
        raise RuntimeError("redis-server is not installed: apt-get install redis-server (.ci/run does)")
    port = free_port() if port is None else port
    process = subprocess.Popen(
        [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def ready() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    return conn.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        if not wait_until(ready):
            raise RuntimeError("redis-server did not start")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


_CLIENT_CREDENTIALS = ("TTA_OTLP_TOKEN_FILE", "OTEL_EXPORTER_OTLP_CERTIFICATE")


def distro_environment(otlp_endpoint: str, tta_config: Path, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a service under the tta_otel distro, exporting to ``otlp_endpoint``.

    An ``http://...:4318``-style endpoint of the in-memory receiver needs
    ``OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf"`` in ``extra``; the collector takes gRPC.
    The collector's token file and CA are passed on from this process's environment when it
    has them (``eval "$(tta-otel stack env)"``, or the stack tests' fixture).
    """
    credentials = {name: os.environ[name] for name in _CLIENT_CREDENTIALS if os.environ.get(name)}
    return {
        "OTEL_PYTHON_DISTRO": "tta_otel",
        "OTEL_PYTHON_CONFIGURATOR": "tta_otel",
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_endpoint,
        "TTA_CONFIG": str(tta_config),
        "TTA_REDIS_URL": redis_url,
        "TTA_PSEUDONYM_KEY": "a synthetic key for demos and tests, never a real one",
        **credentials,
        **extra,
    }


@dataclass
class RunningService:
    url: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    def output(self) -> str:
        """Everything the service printed so far (stdout and stderr)."""
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def stop(self) -> str:
        """Stop gracefully (so the SDK flushes) and return everything the service printed."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.output()


@contextmanager
def instrumented_service(
    env: dict[str, str], cwd: Path, app: str = EXAMPLE_APP, instrument: bool = True
) -> Iterator[RunningService]:
    """A service started as a user would: ``opentelemetry-instrument uvicorn APP`` in ``cwd``.

    ``OTEL_*`` and ``TTA_*`` variables of this process are not inherited: ``env`` says it all.
    Its output goes to a temporary file, never to a pipe that could fill up and block it.
    """
    port = free_port()
    command = [str(BIN / "uvicorn"), app, "--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    if instrument:
        command = [str(BIN / "opentelemetry-instrument"), *command]
    full_env = {key: value for key, value in os.environ.items() if not key.startswith(("OTEL_", "TTA_"))}
    full_env.update(env)
    with tempfile.NamedTemporaryFile(prefix="tta-service-", suffix=".log") as log:
        process = subprocess.Popen(command, cwd=cwd, env=full_env, stdout=log, stderr=subprocess.STDOUT)
        service = RunningService(f"http://127.0.0.1:{port}", process, log)
        try:

            def healthy() -> bool:
                if process.poll() is not None:
                    raise RuntimeError(f"the service exited:\n{service.output()}")
                try:
                    return httpx.get(f"{service.url}/health", timeout=1).status_code == 200
                except httpx.HTTPError:
                    return False

            if not wait_until(healthy, timeout=60):
                raise RuntimeError(f"the service did not become healthy:\n{service.output()}")
            yield service
        finally:
            service.stop()
