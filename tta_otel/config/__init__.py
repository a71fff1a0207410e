"""Configuration of telemetry from the ``monitoring:`` section of ``tta_config.yaml``."""

from tta_otel.config.environment import apply_otel_defaults, otel_defaults
from tta_otel.config.loader import ConfigError, ConfigProblem, LoadedConfig, config_path, load_config, parse_config
from tta_otel.config.schema import MonitoringConfig

__all__ = [
    "ConfigError",
    "ConfigProblem",
    "LoadedConfig",
    "MonitoringConfig",
    "apply_otel_defaults",
    "config_path",
    "load_config",
    "otel_defaults",
    "parse_config",
]
