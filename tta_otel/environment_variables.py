"""Every environment variable tta_otel reads, named once.

The standard ``OTEL_*`` variables keep their meaning and win over ``tta_config.yaml``;
the ``TTA_*`` variables below describe the TTA service itself.
"""

TTA_CONFIG = "TTA_CONFIG"
"""Path of the file whose ``monitoring:`` section configures telemetry (default ``./tta_config.yaml``)."""

TTA_COMPONENT = "TTA_COMPONENT"
"""The TTA component this process runs, e.g. ``narrative-engine`` or ``player-api`` (resource ``tta.component``)."""

TTA_REPOSITORY = "TTA_REPOSITORY"
"""Where the code comes from: ``tta.dev``, ``tta.prototype`` or ``tta.prod`` (resource ``tta.repository``)."""

TTA_ENVIRONMENT = "TTA_ENVIRONMENT"
"""The deployment environment, e.g. ``development`` or ``production`` (resource ``deployment.environment.name``)."""

TTA_SERVICE_VERSION = "TTA_SERVICE_VERSION"
"""The service version when the package metadata cannot tell it (resource ``service.version``)."""
