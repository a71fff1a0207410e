"""Prometheus hands the long-term tier its 5-minute series, and nothing else, over remote write.

VictoriaMetrics and Prometheus are started alone on free ports, each behind its credentials;
Prometheus runs the checkout's configuration as the native stack does (the copy with the secrets
directory put in), with two changes only: its ``remote_write`` URL names this VictoriaMetrics, and
its rule files are one group of this test, evaluated every second instead of every 5 minutes. The
group records one series named as the long-term rules name theirs and one that is not; Prometheus
also has series of its own (``up``, ``prometheus_*``). VictoriaMetrics receives the first, with
the password from the secrets directory, and none of the others (``write_relabel_configs``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from tta_otel.ops import secrets
from tta_otel.ops.stack.native_configs import native_copy
from tta_otel.ops.stack.runner import running_component
from tta_otel.testing.processes import free_port, wait_until

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
LONG_TERM_SERIES = "tta:remote_write_ticks:increase5m"
RAW_SERIES = "tta_remote_write_ticks_raw"
RULES = {
    "groups": [
        {
            "name": "remote-write-test",
            "interval": "1s",
            "rules": [
                {"record": LONG_TERM_SERIES, "expr": "vector(5)"},
                {"record": RAW_SERIES, "expr": "vector(7)"},
            ],
        }
    ]
}


@dataclass(frozen=True)
class LongTerm:
    url: str
    auth: tuple[str, str]

    def names(self) -> list[str]:
        response = httpx.get(f"{self.url}/api/v1/label/__name__/values", auth=self.auth, timeout=10)
        response.raise_for_status()
        return list(response.json()["data"])

    def value(self, name: str) -> float | None:
        response = httpx.get(f"{self.url}/api/v1/query", params={"query": name}, auth=self.auth, timeout=10)
        response.raise_for_status()
        result = response.json()["data"]["result"]
        return float(result[0]["value"][1]) if result else None


def _prometheus_config(folder: Path, secrets_dir: secrets.SecretsDir, long_term: str) -> Path:
    """The native copy of prometheus/prometheus.yml, sending to ``long_term`` and running ``RULES``."""
    config = yaml.safe_load(native_copy(REPO / "prometheus" / "prometheus.yml", folder, secrets_dir.path).read_text())
    config["remote_write"][0]["url"] = f"{long_term}/api/v1/write"
    rules = folder / "remote-write-rules.yml"
    rules.write_text(yaml.safe_dump(RULES))
    config["rule_files"] = [str(rules)]
    path = folder / "prometheus-remote-write.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def long_term(tmp_path_factory: pytest.TempPathFactory, stack_secrets: secrets.SecretsDir) -> Iterator[LongTerm]:
    state = tmp_path_factory.mktemp("remote-write")
    user, _, password = stack_secrets.read(secrets.VICTORIAMETRICS_CREDENTIALS).partition(":")
    with running_component(REPO, "victoriametrics", state / "vm", stack_secrets, port=free_port()) as url:
        config = _prometheus_config(state / "config", stack_secrets, url)
        prometheus = state / "prometheus"
        with running_component(REPO, "prometheus", prometheus, stack_secrets, configs=[config], port=free_port()):
            store = LongTerm(url, (user, password))
            assert wait_until(lambda: store.value(LONG_TERM_SERIES) is not None, timeout=60, interval=1)
            yield store


def test_the_long_term_series_arrives_with_its_value(long_term: LongTerm) -> None:
    assert long_term.value(LONG_TERM_SERIES) == 5.0


def test_no_other_series_is_written_to_the_long_term_tier(long_term: LongTerm) -> None:
    assert long_term.names() == [LONG_TERM_SERIES]
