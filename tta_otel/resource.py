"""The resource that identifies a TTA process in every signal.

Sources, strongest first: ``OTEL_RESOURCE_ATTRIBUTES`` and ``OTEL_SERVICE_NAME``; the
``TTA_*`` variables; ``tta_config.yaml``; the service's package metadata; defaults.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Mapping
from importlib import metadata

from opentelemetry.sdk.resources import OTELResourceDetector, Resource
from pydantic import TypeAdapter, ValidationError

from tta_otel import __version__
from tta_otel.config.schema import MonitoringConfig, Repository
from tta_otel.environment_variables import TTA_COMPONENT, TTA_ENVIRONMENT, TTA_REPOSITORY, TTA_SERVICE_VERSION

_logger = logging.getLogger(__name__)
_REPOSITORY = TypeAdapter(Repository)
DEFAULT_ENVIRONMENT = "development"


def _package_version(*names: str | None) -> str | None:
    for name in names:
        if not name:
            continue
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def _repository(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return _REPOSITORY.validate_python(value)
    except ValidationError:
        _logger.error(
            "%s=%r is not a TTA repository (tta.dev, tta.prototype or tta.prod); tta.repository is left out",
            TTA_REPOSITORY,
            value,
        )
        return None


def resource_attributes(config: MonitoringConfig, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The resource attributes for this process, before the SDK adds its own."""
    component = environ.get(TTA_COMPONENT) or config.component
    service_name = config.service_name or (f"tta-{component}" if component else "tta-service")
    attributes: dict[str, str] = {
        "service.name": service_name,
        "service.instance.id": str(uuid.uuid4()),
        "deployment.environment.name": environ.get(TTA_ENVIRONMENT) or config.environment or DEFAULT_ENVIRONMENT,
        "telemetry.distro.name": "tta_otel",
        "telemetry.distro.version": __version__,
    }
    version = (
        environ.get(TTA_SERVICE_VERSION) or config.service_version or _package_version(config.package, service_name)
    )
    if version:
        attributes["service.version"] = version
    if component:
        attributes["tta.component"] = component
    repository = _repository(environ.get(TTA_REPOSITORY)) or config.repository
    if repository:
        attributes["tta.repository"] = repository
    standard = OTELResourceDetector().detect().attributes
    attributes.update({key: str(value) for key, value in standard.items()})
    return attributes


def build_resource(config: MonitoringConfig) -> Resource:
    """The SDK resource: our attributes over the SDK's defaults (telemetry.sdk.*)."""
    return Resource.create(resource_attributes(config))
