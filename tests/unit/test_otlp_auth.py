"""The distro's OTLP token: read from a file, given to the OTLP exporters as a header, never to others."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpanExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.trace.export import ConsoleSpanExporter

from tta_otel.config.schema import MonitoringConfig, OtlpSettings
from tta_otel.otlp_auth import exporter_arguments, pinned_ca_session, read_token, token_file

TOKEN = "a-synthetic-token-for-tests-only-0123456789abc"


@pytest.fixture
def token_path(tmp_path: Path) -> Path:
    path = tmp_path / "otlp-token"
    path.write_text(TOKEN + "\n")
    return path


def test_the_variable_wins_over_the_configuration(token_path: Path, tmp_path: Path) -> None:
    config = MonitoringConfig(otlp=OtlpSettings(token_file=tmp_path / "configured"))

    assert token_file(config, {"TTA_OTLP_TOKEN_FILE": str(token_path)}) == token_path
    assert token_file(config, {}) == tmp_path / "configured"
    assert token_file(MonitoringConfig(), {}) is None


def test_the_token_is_read_without_its_newline(token_path: Path) -> None:
    assert read_token(token_path) == TOKEN


def test_an_unreadable_token_file_is_reported_without_contents(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="tta_otel.otlp_auth"):
        assert read_token(tmp_path / "missing") is None
    assert f"the OTLP token file {tmp_path / 'missing'} cannot be read" in caplog.text


def test_an_empty_token_file_is_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with caplog.at_level(logging.ERROR, logger="tta_otel.otlp_auth"):
        assert read_token(empty) is None
    assert "is empty; exports will be refused" in caplog.text


@pytest.mark.parametrize("exporter", [GrpcSpanExporter, OTLPMetricExporter])
def test_otlp_exporters_get_the_bearer_header(exporter: type) -> None:
    assert exporter_arguments(exporter, "traces", TOKEN, {}) == {"headers": {"authorization": f"Bearer {TOKEN}"}}


def test_other_exporters_never_see_the_token() -> None:
    assert exporter_arguments(ConsoleSpanExporter, "traces", TOKEN, {}) == {}


@pytest.mark.parametrize("variable", ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_METRICS_HEADERS"])
def test_the_operators_headers_win(variable: str) -> None:
    assert exporter_arguments(OTLPMetricExporter, "metrics", TOKEN, {variable: "authorization=Bearer%20x"}) == {}


def test_without_a_token_nothing_is_added() -> None:
    assert exporter_arguments(OTLPMetricExporter, "metrics", None, {}) == {}


def test_an_http_exporter_with_a_ca_gets_a_session_that_keeps_it() -> None:
    arguments = exporter_arguments(OTLPMetricExporter, "metrics", None, {"OTEL_EXPORTER_OTLP_CERTIFICATE": "/ca.crt"})
    assert list(arguments) == ["session"]


def test_a_grpc_exporter_needs_no_session() -> None:
    assert exporter_arguments(GrpcSpanExporter, "traces", None, {"OTEL_EXPORTER_OTLP_CERTIFICATE": "/ca.crt"}) == {}


def test_the_pinned_session_keeps_its_ca_whatever_requests_ca_bundle_says(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    session = pinned_ca_session()
    session.verify = "/secrets/ca.crt"

    settings = session.merge_environment_settings("https://127.0.0.1:4318/v1/traces", {}, None, None, None)

    assert settings["verify"] == "/secrets/ca.crt"


def test_the_ca_file_becomes_the_certificate_default(tmp_path: Path) -> None:
    from tta_otel.config.environment import otel_defaults

    defaults = otel_defaults(MonitoringConfig(otlp=OtlpSettings(ca_file=tmp_path / "ca.crt")))

    assert defaults["OTEL_EXPORTER_OTLP_CERTIFICATE"] == str(tmp_path / "ca.crt")
