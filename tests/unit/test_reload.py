"""Specification of hot reload: the sampling ratio and the privacy policy follow the files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from tta_otel.audit_log import AuditLog, digest_of
from tta_otel.config import load_config
from tta_otel.privacy import DEFAULT_POLICY_PATH, Redactor, active_redactor
from tta_otel.reload import ConfigReloader
from tta_otel.sampling import AdjustableRatioSampler
from tta_otel.testing.processes import wait_until


def _touch_later(path: Path) -> None:
    stamp = path.stat().st_mtime + 5
    os.utime(path, (stamp, stamp))


class _Installed:
    def __init__(self) -> None:
        self.redactors: list[Redactor] = []

    def __call__(self, redactor: Redactor) -> None:
        self.redactors.append(redactor)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    policy = tmp_path / "policy.yaml"
    policy.write_text(DEFAULT_POLICY_PATH.read_text())
    config = tmp_path / "tta_config.yaml"
    config.write_text(
        yaml.safe_dump({"monitoring": {"sampling": {"ratio": 1.0}, "privacy": {"policy_file": "policy.yaml"}}})
    )
    return config, policy


def _reloader(config: Path, installed: _Installed) -> tuple[ConfigReloader, AdjustableRatioSampler]:
    sampler = AdjustableRatioSampler(1.0)
    return ConfigReloader(config, load_config(config).config, sampler, installed), sampler


def test_nothing_happens_while_the_files_are_unchanged(files: tuple[Path, Path]) -> None:
    installed = _Installed()
    reloader, _ = _reloader(files[0], installed)
    assert reloader.check() is False
    assert installed.redactors == []


def test_a_new_sampling_ratio_is_applied(files: tuple[Path, Path]) -> None:
    config, _ = files
    installed = _Installed()
    reloader, sampler = _reloader(config, installed)
    config.write_text(config.read_text().replace("ratio: 1.0", "ratio: 0.1"))
    _touch_later(config)
    assert reloader.check() is True
    assert sampler.ratio == 0.1


def test_an_edited_policy_is_installed(files: tuple[Path, Path]) -> None:
    config, policy = files
    installed = _Installed()
    reloader, _ = _reloader(config, installed)
    policy.write_text(policy.read_text().replace("  drop:\n", "  drop:\n    - '^tta\\.mood$'\n", 1))
    _touch_later(policy)
    assert reloader.check() is True
    assert installed.redactors[-1].redact_attributes({"tta.mood": "low", "http.route": "/scene"}) == {
        "http.route": "/scene"
    }


def test_a_policy_edit_keeps_the_pseudonyms(files: tuple[Path, Path]) -> None:
    config, policy = files
    installed = _Installed()
    reloader, _ = _reloader(config, installed)
    before = active_redactor().pseudonymizer.pseudonymize("player-1")
    policy.write_text(policy.read_text().replace("  drop:\n", "  drop:\n    - '^tta\\.mood$'\n", 1))
    _touch_later(policy)
    assert reloader.check() is True
    assert installed.redactors[-1].pseudonymizer.pseudonymize("player-1") == before


def test_a_rejected_policy_leaves_the_sampling_ratio_alone(files: tuple[Path, Path]) -> None:
    config, policy = files
    installed = _Installed()
    reloader, sampler = _reloader(config, installed)
    policy.write_text("version: 2\n")
    config.write_text(config.read_text().replace("ratio: 1.0", "ratio: 0.2"))
    _touch_later(config)
    assert reloader.check() is False
    assert sampler.ratio == 1.0


def test_a_bad_config_edit_keeps_the_previous_settings(
    files: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    config, _ = files
    installed = _Installed()
    reloader, sampler = _reloader(config, installed)
    config.write_text(config.read_text().replace("ratio: 1.0", "ratio: 7"))
    _touch_later(config)
    assert reloader.check() is False
    assert sampler.ratio == 1.0
    assert f"{config}: monitoring.sampling.ratio: Input should be less than or equal to 1" in caplog.text


def test_a_bad_policy_edit_keeps_the_previous_policy(
    files: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    config, policy = files
    installed = _Installed()
    reloader, _ = _reloader(config, installed)
    policy.write_text("version: 2\n")
    _touch_later(policy)
    assert reloader.check() is False
    assert installed.redactors == []
    assert "its privacy settings were rejected" in caplog.text


def test_the_watcher_thread_applies_changes(files: tuple[Path, Path]) -> None:
    config, _ = files
    installed = _Installed()
    config.write_text(config.read_text() + "  reload_interval_s: 0.1\n")
    reloader, sampler = _reloader(config, installed)
    reloader.start()
    try:
        config.write_text(config.read_text().replace("ratio: 1.0", "ratio: 0.5"))
        _touch_later(config)
        applied = wait_until(lambda: sampler.ratio == 0.5, timeout=5.0, interval=0.05)
    finally:
        reloader.stop()
    assert applied


def test_an_edit_that_needs_a_restart_says_so(files: tuple[Path, Path], caplog: pytest.LogCaptureFixture) -> None:
    config, _ = files
    installed = _Installed()
    reloader, _ = _reloader(config, installed)
    config.write_text(config.read_text().replace("ratio: 1.0", "ratio: 1.0\n    trust_remote_parent: true"))
    _touch_later(config)
    assert reloader.check() is True
    assert f"{config}: sampling.trust_remote_parent changed; applied at the next restart" in caplog.text


def test_a_rotated_pseudonym_key_file_is_read_without_a_restart(tmp_path: Path) -> None:
    keys = tmp_path / "pseudonym-keys"
    keys.write_text("k1:first synthetic key of thirty-two bytes\n")
    config = tmp_path / "tta_config.yaml"
    config.write_text(yaml.safe_dump({"monitoring": {"privacy": {"pseudonym_key_file": str(keys)}}}))
    installed = _Installed()
    reloader = ConfigReloader(config, load_config(config).config, None, installed)
    keys.write_text("k2:second synthetic key of thirty-two bytes\nk1:first synthetic key of thirty-two bytes\n")
    _touch_later(keys)
    assert reloader.check() is True
    assert installed.redactors[-1].pseudonymizer.key_id == "k2"


def test_a_policy_reload_is_recorded_in_the_audit_trail_when_one_is_configured(
    files: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, policy = files
    trail = tmp_path / "audit.jsonl"
    monkeypatch.setenv("TTA_AUDIT_LOG", str(trail))
    reloader, _ = _reloader(config, _Installed())
    before = digest_of(policy.read_bytes())
    policy.write_text(policy.read_text().replace("  drop:\n", "  drop:\n    - '^tta\\.mood$'\n", 1))
    _touch_later(policy)
    assert reloader.check() is True
    (record,) = AuditLog(trail).records()
    assert (record.action, record.subject, record.before, record.after) == (
        "policy.reload",
        str(policy),
        before,
        digest_of(policy.read_bytes()),
    )


def test_without_a_configured_trail_a_service_writes_none(
    files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, policy = files
    monkeypatch.delenv("TTA_AUDIT_LOG", raising=False)
    reloader, _ = _reloader(config, _Installed())
    policy.write_text(policy.read_text().replace("  drop:\n", "  drop:\n    - '^tta\\.mood$'\n", 1))
    _touch_later(policy)
    assert reloader.check() is True
    assert [record for record in AuditLog().records() if record.subject == str(policy)] == []
