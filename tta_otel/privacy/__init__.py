"""The privacy core: what may leave a TTA process, decided by one policy file.

Usage::

    from tta_otel import privacy

    privacy.redact("contact jane@example.org")      # 'contact [REDACTED:email]'
    privacy.pseudonymize("player-42")               # 'psn_k1_9f86d081884c7d65'

Every exporter that the tta_otel configurator builds passes spans, logs and metrics
through the active redactor before they are serialised. The policy reloads when its
file changes (``set_active_redactor``), and the collector's redaction processor is
generated from the same file.

This package is a leaf: of tta_otel it imports only the names of the environment variables
(``tta_otel.environment_variables``, constants), so any part of the project (the app side or
the tools) may use it.
"""

from __future__ import annotations

import threading
from pathlib import Path

from tta_otel.privacy.policy import DEFAULT_POLICY_PATH, Policy, PolicyError, load_policy
from tta_otel.privacy.pseudonym import Pseudonymizer, PseudonymKey, pseudonymizer_from_environment
from tta_otel.privacy.redactor import UNLISTED, KeyAction, KeyDecision, Mode, Redactor

_lock = threading.Lock()
_active: Redactor | None = None


def build_redactor(
    policy_path: Path | str | None = None, key_file: Path | None = None, mode: Mode = "strict"
) -> Redactor:
    """A redactor for the packaged policy with the custom policy at ``policy_path`` merged in."""
    return Redactor(load_policy(policy_path), pseudonymizer_from_environment(key_file), mode)


def active_redactor() -> Redactor:
    """The redactor in force in this process; the packaged policy until one is set."""
    global _active  # noqa: PLW0603 - one redactor per process, swapped whole on reload
    if _active is None:
        with _lock:
            if _active is None:
                _active = build_redactor()
    return _active


def set_active_redactor(redactor: Redactor) -> None:
    """Make ``redactor`` the one every exporter uses from its next batch on."""
    global _active  # noqa: PLW0603
    with _lock:
        _active = redactor


def redact(text: str) -> str:
    """Replace each finding of the policy's value patterns in ``text`` with ``[REDACTED:<kind>]``."""
    return active_redactor().redact(text)


def pseudonymize(identifier: str) -> str:
    """The keyed pseudonym of an identifier under the current key."""
    return active_redactor().pseudonymizer.pseudonymize(identifier)


__all__ = [
    "DEFAULT_POLICY_PATH",
    "UNLISTED",
    "KeyAction",
    "KeyDecision",
    "Mode",
    "Policy",
    "PolicyError",
    "PseudonymKey",
    "Pseudonymizer",
    "Redactor",
    "active_redactor",
    "build_redactor",
    "load_policy",
    "pseudonymize",
    "pseudonymizer_from_environment",
    "redact",
    "set_active_redactor",
]
