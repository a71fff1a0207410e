"""Specification of resource detection: environment over file over package metadata over defaults."""

from __future__ import annotations

import uuid

import pytest

from tta_otel import __version__
from tta_otel.config import MonitoringConfig
from tta_otel.resource import build_resource, resource_attributes


def test_defaults_without_any_configuration(clean_env: pytest.MonkeyPatch) -> None:
    attributes = resource_attributes(MonitoringConfig())
    assert attributes["service.name"] == "tta-service"
    assert attributes["deployment.environment.name"] == "development"
    assert attributes["telemetry.distro.name"] == "tta_otel"
    assert attributes["telemetry.distro.version"] == __version__
    assert uuid.UUID(attributes["service.instance.id"]).version == 4
    assert "tta.component" not in attributes
    assert "tta.repository" not in attributes


def test_the_file_names_the_service(clean_env: pytest.MonkeyPatch) -> None:
    config = MonitoringConfig(component="narrative-engine", repository="tta.prod", environment="production")
    attributes = resource_attributes(config)
    assert attributes["service.name"] == "tta-narrative-engine"
    assert attributes["tta.component"] == "narrative-engine"
    assert attributes["tta.repository"] == "tta.prod"
    assert attributes["deployment.environment.name"] == "production"


def test_tta_variables_win_over_the_file(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("TTA_COMPONENT", "player-api")
    clean_env.setenv("TTA_REPOSITORY", "tta.dev")
    clean_env.setenv("TTA_ENVIRONMENT", "staging")
    attributes = resource_attributes(MonitoringConfig(component="narrative-engine", repository="tta.prod"))
    assert attributes["tta.component"] == "player-api"
    assert attributes["tta.repository"] == "tta.dev"
    assert attributes["deployment.environment.name"] == "staging"


def test_otel_variables_win_over_everything(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("TTA_COMPONENT", "player-api")
    clean_env.setenv("OTEL_SERVICE_NAME", "edge-gateway")
    clean_env.setenv("OTEL_RESOURCE_ATTRIBUTES", "tta.component=gateway,service.version=9.9.9")
    attributes = resource_attributes(MonitoringConfig(service_name="from-file", service_version="1.0.0"))
    assert attributes["service.name"] == "edge-gateway"
    assert attributes["tta.component"] == "gateway"
    assert attributes["service.version"] == "9.9.9"


def test_service_version_comes_from_package_metadata(clean_env: pytest.MonkeyPatch) -> None:
    attributes = resource_attributes(MonitoringConfig(package="tta-otel"))
    assert attributes["service.version"] == __version__


def test_service_version_from_the_environment_and_the_file(clean_env: pytest.MonkeyPatch) -> None:
    assert resource_attributes(MonitoringConfig(service_version="2.1.0"))["service.version"] == "2.1.0"
    clean_env.setenv("TTA_SERVICE_VERSION", "2.2.0")
    assert resource_attributes(MonitoringConfig(service_version="2.1.0"))["service.version"] == "2.2.0"


def test_an_unknown_package_leaves_the_version_out(clean_env: pytest.MonkeyPatch) -> None:
    assert "service.version" not in resource_attributes(MonitoringConfig(package="no-such-distribution-xyz"))


def test_an_unknown_repository_in_the_environment_is_reported_and_left_out(
    clean_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    clean_env.setenv("TTA_REPOSITORY", "tta.staging")
    assert "tta.repository" not in resource_attributes(MonitoringConfig())
    assert "TTA_REPOSITORY='tta.staging' is not a TTA repository" in caplog.text


def test_each_process_gets_its_own_instance_id(clean_env: pytest.MonkeyPatch) -> None:
    first = resource_attributes(MonitoringConfig())["service.instance.id"]
    assert resource_attributes(MonitoringConfig())["service.instance.id"] != first


def test_the_sdk_resource_keeps_the_sdk_attributes(clean_env: pytest.MonkeyPatch) -> None:
    resource = build_resource(MonitoringConfig(component="player-api"))
    assert resource.attributes["telemetry.sdk.language"] == "python"
    assert resource.attributes["tta.component"] == "player-api"
