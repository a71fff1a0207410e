"""Fixtures shared by all tests. Every piece of personal data in the tests is synthetic (Faker)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest
from faker import Faker
from opentelemetry import _logs, metrics, trace
from opentelemetry.util._once import Once

from tta_otel.privacy import Pseudonymizer, PseudonymKey, Redactor, load_policy


@pytest.fixture(autouse=True, scope="session")
def _own_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The tests' own TTA_OTEL_STATE: nothing of the operator's (secrets, alert records) is read or written."""
    saved = os.environ.get("TTA_OTEL_STATE")
    os.environ["TTA_OTEL_STATE"] = str(tmp_path_factory.mktemp("tta-otel-state"))
    yield
    if saved is None:
        os.environ.pop("TTA_OTEL_STATE", None)
    else:
        os.environ["TTA_OTEL_STATE"] = saved


@pytest.fixture(autouse=True)
def _fresh_process_state() -> Iterator[None]:
    """Each test starts as a fresh process would: the packaged policy, no cached start-up config."""
    from tta_otel import privacy
    from tta_otel.errors import stop_error_tracking
    from tta_otel.startup import startup_config

    yield
    privacy._active = None
    startup_config.cache_clear()
    stop_error_tracking()


@pytest.fixture
def fake() -> Faker:
    generator = Faker(["en_US"])
    generator.seed_instance(20261126)
    return generator


@pytest.fixture
def pseudonymizer() -> Pseudonymizer:
    return Pseudonymizer(PseudonymKey("test", b"a synthetic key used only in tests"))


@pytest.fixture
def redactor(pseudonymizer: Pseudonymizer) -> Redactor:
    """The packaged policy in standard mode: unlisted keys are scanned, so that tests of the value
    patterns can place personal data under any key. Default-deny is specified with ``strict_redactor``."""
    return Redactor(load_policy(), pseudonymizer, mode="standard")


@pytest.fixture
def strict_redactor(pseudonymizer: Pseudonymizer) -> Redactor:
    """The packaged policy as a service runs it: strict, default-deny."""
    return Redactor(load_policy(), pseudonymizer)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """An environment without any OTEL_* or TTA_* variable, restored whole afterwards
    (the distro and the configurator write OTEL_* defaults into os.environ)."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(("OTEL_", "TTA_")):
            monkeypatch.delenv(name)
    yield monkeypatch
    os.environ.clear()
    os.environ.update(saved)


def _reset_global_providers() -> None:
    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None
    metrics._internal._METER_PROVIDER_SET_ONCE = Once()
    metrics._internal._METER_PROVIDER = None
    _logs._internal._LOGGER_PROVIDER_SET_ONCE = Once()
    _logs._internal._LOGGER_PROVIDER = None


@pytest.fixture
def fresh_providers() -> Iterator[None]:
    """No global tracer, meter or logger provider before the test and none after it, and the
    SIGTERM handler restored: ``configure_telemetry`` sets the providers once per process and
    installs its SIGTERM flush, so each test that calls it in process starts from nothing."""
    _reset_global_providers()
    sigterm = signal.getsignal(signal.SIGTERM)
    yield
    _reset_global_providers()
    signal.signal(signal.SIGTERM, sigterm)
