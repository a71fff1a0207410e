"""The configuration a process starts with, read and reported once.

The distro and the configurator both need it at start-up; reading it here once means a
bad file is reported by exactly one log record.
"""

from __future__ import annotations

import functools
import logging

from tta_otel.config import LoadedConfig, load_config

_logger = logging.getLogger("tta_otel")


@functools.cache
def startup_config() -> LoadedConfig:
    """The loaded configuration; when the file is bad, the safe defaults and one error log."""
    loaded = load_config()
    if loaded.error is not None:
        _logger.error(
            "tta_otel: the configuration file was rejected; telemetry starts with safe defaults.\n%s",
            loaded.error,
        )
    return loaded
