"""The native stack's copies of the committed Prometheus and Alertmanager files: only the compose
paths of secrets, the compose name of the alerts service and relative file lists change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tta_otel.ops.stack.native_configs import native_copy

REPO = Path(__file__).resolve().parents[2]


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _copy(tmp_path: Path, relative: str) -> tuple[Any, Any]:
    source = REPO / relative
    return _load(source), _load(native_copy(source, tmp_path / "config", tmp_path / "secrets"))


def test_prometheus_reads_its_passwords_from_the_secrets_dir(tmp_path: Path) -> None:
    _, copy = _copy(tmp_path, "prometheus/prometheus.yml")

    passwords = [job["basic_auth"]["password_file"] for job in copy["scrape_configs"] if "basic_auth" in job]
    alerting = copy["alerting"]["alertmanagers"][0]["basic_auth"]["password_file"]

    assert passwords == [str(tmp_path / "secrets/prometheus-password"), str(tmp_path / "secrets/alertmanager-password")]
    assert alerting == str(tmp_path / "secrets/alertmanager-password")


def test_prometheus_writes_the_long_term_series_to_the_loopback_victoriametrics(tmp_path: Path) -> None:
    _, copy = _copy(tmp_path, "prometheus/prometheus.yml")

    (target,) = copy["remote_write"]

    assert target["url"] == "http://127.0.0.1:8428/api/v1/write"
    assert target["basic_auth"] == {
        "username": "tta-otel",
        "password_file": str(tmp_path / "secrets/victoriametrics-password"),
    }


def test_prometheus_file_lists_become_absolute_paths_into_the_checkout(tmp_path: Path) -> None:
    _, copy = _copy(tmp_path, "prometheus/prometheus.yml")

    assert copy["rule_files"] == [str(REPO / "prometheus/rules/*.yml")]
    assert copy["scrape_configs"][0]["file_sd_configs"] == [
        {"files": [str(REPO / "prometheus/targets/otel-collector.yml")]}
    ]


def test_nothing_else_of_prometheus_changes(tmp_path: Path) -> None:
    original, copy = _copy(tmp_path, "prometheus/prometheus.yml")

    for document in (original, copy):
        document.pop("rule_files")
        for target in document["remote_write"]:
            target.pop("url")
            target["basic_auth"].pop("password_file")
        for job in (*document["scrape_configs"], *document["alerting"]["alertmanagers"]):
            job.pop("file_sd_configs")
            job.get("basic_auth", {}).pop("password_file", None)

    assert copy == original


def test_alertmanager_sends_webhooks_to_the_loopback_service_with_the_token_file(tmp_path: Path) -> None:
    _, copy = _copy(tmp_path, "alertmanager/alertmanager.yml")

    (receiver,) = [r for r in copy["receivers"] if r["name"] == "tta-otel-alerts"]
    (webhook,) = receiver["webhook_configs"]

    assert webhook["url"] == "http://127.0.0.1:9095/alerts"
    assert webhook["http_config"]["authorization"] == {
        "type": "Bearer",
        "credentials_file": str(tmp_path / "secrets/alerts-webhook-token"),
    }


def test_the_copy_is_made_again_from_the_committed_file(tmp_path: Path) -> None:
    source = tmp_path / "prometheus.yml"
    source.write_text("global: {scrape_interval: 15s}\n")
    target = native_copy(source, tmp_path / "config", tmp_path / "secrets")
    source.write_text("global: {scrape_interval: 5s}\n")

    assert native_copy(source, tmp_path / "config", tmp_path / "secrets") == target
    assert _load(target) == {"global": {"scrape_interval": "5s"}}
