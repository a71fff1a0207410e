"""The native stack, started once for the stack tests: the real collector (our build),
Prometheus, Alertmanager, Jaeger and VictoriaLogs on loopback, each behind its credentials from
a secrets directory made for the tests. `make test` builds or reuses the binaries first.

While the stack tests run, this process's environment is what `eval "$(tta-otel stack env)"`
gives a client (endpoints, credential files, the CA), plus ``OTEL_EXPORTER_OTLP_HEADERS`` for
the SDK exporters the tests build in process; services started by the tests get the token
file and the CA through ``distro_environment``.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tta_otel.ops import secrets
from tta_otel.ops.client_credentials import jaeger_auth, victorialogs_auth
from tta_otel.ops.stack.runner import URLS, Stack, client_environment
from tta_otel.ops.stores import JaegerClient, VictoriaLogsClient

REPO = Path(__file__).resolve().parents[2]


_STACK_FIXTURES = frozenset({"stack", "trace_store", "log_store"})
"""The fixtures that start the package's stack or ask it on its fixed ports."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests of this package that use the stack ``fixed_ports``: ``make test`` runs them in
    a process of their own (scripts/run-tests.sh), and the rest of the suite beside them."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here) and _STACK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.fixed_ports)


@pytest.fixture(scope="package")
def stack_secrets(tmp_path_factory: pytest.TempPathFactory) -> secrets.SecretsDir:
    directory = secrets.SecretsDir(tmp_path_factory.mktemp("stack-secrets") / "secrets")
    directory.init()
    return directory


@pytest.fixture(scope="package", autouse=True)
def stack_client_environment(stack_secrets: secrets.SecretsDir) -> Iterator[dict[str, str]]:
    """A client's environment for the whole stack package, restored after its last test."""
    token = stack_secrets.read(secrets.OTLP_TOKEN)
    environment = {**client_environment(stack_secrets), "OTEL_EXPORTER_OTLP_HEADERS": f"authorization=Bearer%20{token}"}
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    yield environment
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory, stack_secrets: secrets.SecretsDir) -> Iterator[Stack]:
    """The stack, up for the package. While it runs, SIGTERM stops pytest as Ctrl-C does, so that
    this fixture still stops the stack (its components run in sessions of their own, and would
    outlive a pytest ended by the signal's default action on the stack's fixed ports)."""
    previous = signal.signal(signal.SIGTERM, _interrupted)
    running = Stack(REPO, tmp_path_factory.mktemp("stack-state"), stack_secrets)
    try:
        running.up(timeout=90)
        yield running
    finally:
        running.down(purge=True)
        signal.signal(signal.SIGTERM, previous)


@pytest.fixture(scope="package")
def trace_store(stack_client_environment: dict[str, str]) -> JaegerClient:
    """The stack's Jaeger, asked with the credentials `tta-otel stack env` names."""
    return JaegerClient(URLS["TTA_JAEGER_URL"], jaeger_auth())


@pytest.fixture(scope="package")
def log_store(stack_client_environment: dict[str, str]) -> VictoriaLogsClient:
    """The stack's VictoriaLogs, asked with the credentials `tta-otel stack env` names."""
    return VictoriaLogsClient(URLS["TTA_VICTORIALOGS_URL"], victorialogs_auth())
