"""Applies edits of ``tta_config.yaml`` and of the privacy policy while the service runs.

A daemon thread polls the files' modification times (no extra dependency, no inotify
limits in containers). On a change it re-reads them; a bad edit is logged once with the
file, key and reason, and the previous settings stay in force. Only the sampling ratio
and the privacy policy are reloaded: exporters and endpoints need a restart. When
``TTA_AUDIT_LOG`` names an audit trail, each policy or pseudonym-key reload that takes effect is
recorded there (``tta_otel.audit_log``: the file's name and digests, never its content).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from tta_otel import audit_log
from tta_otel.config import MonitoringConfig, load_config
from tta_otel.environment_variables import TTA_AUDIT_LOG, TTA_PSEUDONYM_KEY_FILE
from tta_otel.privacy import (
    PolicyError,
    Redactor,
    active_redactor,
    build_redactor,
    load_policy,
    set_active_redactor,
)
from tta_otel.sampling import AdjustableRatioSampler

_logger = logging.getLogger(__name__)


def _digest(path: Path | None) -> str | None:
    try:
        return audit_log.digest_of(path.read_bytes()) if path is not None else None
    except OSError:
        return None


def _mtime(path: Path | None) -> float | None:
    if path is None:
        return None
    try:
        return path.stat().st_mtime_ns / 1e9
    except OSError:
        return None


class ConfigReloader:
    """Watches the configuration and policy files and applies their reloadable settings."""

    def __init__(
        self,
        config_file: Path,
        config: MonitoringConfig,
        sampler: AdjustableRatioSampler | None,
        install_redactor: Callable[[Redactor], None] = set_active_redactor,
    ) -> None:
        self.config_file = config_file
        self.config = config
        self.sampler = sampler
        self._install_redactor = install_redactor
        self._stamps = self._current_stamps()
        self._digests = self._current_digests()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _key_file(self) -> Path | None:
        configured = self.config.privacy.pseudonym_key_file
        from_environment = os.environ.get(TTA_PSEUDONYM_KEY_FILE)
        return configured or (Path(from_environment) if from_environment else None)

    def _current_stamps(self) -> tuple[float | None, float | None, float | None]:
        """When the configuration, the policy and the pseudonym key file last changed."""
        return _mtime(self.config_file), _mtime(self.config.privacy.policy_file), _mtime(self._key_file())

    def _current_digests(self) -> tuple[str | None, str | None]:
        return _digest(self.config.privacy.policy_file), _digest(self._key_file())

    def _audit(self) -> None:
        """Record the policy and key reloads that just took effect, when a trail is configured."""
        before, self._digests = self._digests, self._current_digests()
        if not os.environ.get(TTA_AUDIT_LOG):
            return
        for action, subject, old, new in (
            ("policy.reload", self.config.privacy.policy_file, before[0], self._digests[0]),
            ("pseudonym_key.reload", self._key_file(), before[1], self._digests[1]),
        ):
            if old != new:
                audit_log.record(action, str(subject or "(packaged)"), before=old, after=new)

    def check(self) -> bool:
        """Reload if a file changed since the last check; returns whether anything was applied."""
        stamps = self._current_stamps()
        if stamps == self._stamps:
            return False
        key_rotated = stamps[2] != self._stamps[2]
        self._stamps = stamps
        loaded = load_config(self.config_file)
        if loaded.error is not None:
            _logger.error("Ignoring the edited configuration; the previous one stays in force:\n%s", loaded.error)
            return False
        new = loaded.config
        try:
            redactor = self._redactor_for(new, key_rotated)
        except (PolicyError, OSError, ValueError) as exc:
            _logger.error("Ignoring the edited configuration; its privacy settings were rejected: %s", exc)
            return False
        if self.sampler is not None and new.sampling.ratio != self.sampler.ratio:
            self.sampler.set_ratio(new.sampling.ratio)
            _logger.info("Trace sampling ratio is now %s", new.sampling.ratio)
        self._warn_about_restart(new)
        self._install_redactor(redactor)
        self.config = new
        self._stamps = self._current_stamps()
        self._audit()
        return True

    def _warn_about_restart(self, new: MonitoringConfig) -> None:
        """Settings read once at start-up: an edit is said to wait for a restart, never silently ignored."""
        waiting = [
            name
            for name, before, after in (
                (
                    "sampling.trust_remote_parent",
                    self.config.sampling.trust_remote_parent,
                    new.sampling.trust_remote_parent,
                ),
                ("propagation", self.config.propagation, new.propagation),
            )
            if before != after
        ]
        if waiting:
            _logger.warning("%s: %s changed; applied at the next restart", self.config_file, ", ".join(waiting))

    def _redactor_for(self, new: MonitoringConfig, key_rotated: bool = False) -> Redactor:
        """The new policy with the pseudonymizer in force, unless the key file setting changed or
        the key file itself was rotated (then its keys are read again, without a restart).

        Rebuilding the pseudonymizer on every edit would change every pseudonym mid-process
        whenever the key is ephemeral.
        """
        if new.privacy.pseudonym_key_file == self.config.privacy.pseudonym_key_file and not key_rotated:
            return Redactor(load_policy(new.privacy.policy_file), active_redactor().pseudonymizer, new.privacy.mode)
        return build_redactor(new.privacy.policy_file, new.privacy.pseudonym_key_file, new.privacy.mode)

    def _run(self) -> None:
        while not self._stop.wait(self.config.reload_interval_s):
            try:
                self.check()
            except Exception:  # the watcher must never die or disturb the service
                _logger.exception("Configuration reload failed")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="tta-otel-config-reload", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
