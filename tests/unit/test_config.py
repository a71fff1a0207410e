"""Specification of tta_config.yaml: schema, errors that name file, key and reason, and precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from tta_otel.config import (
    ConfigError,
    MonitoringConfig,
    apply_otel_defaults,
    config_path,
    load_config,
    otel_defaults,
    parse_config,
)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tta_config.yaml"
    path.write_text(text)
    return path


def test_a_missing_file_gives_the_defaults(tmp_path: Path) -> None:
    loaded = load_config(tmp_path / "tta_config.yaml")
    assert loaded.config == MonitoringConfig()
    assert loaded.error is None


def test_an_empty_file_or_section_gives_the_defaults(tmp_path: Path) -> None:
    assert parse_config(_write(tmp_path, "")) == MonitoringConfig()
    assert parse_config(_write(tmp_path, "app:\n  debug: true\n")) == MonitoringConfig()


def test_defaults_suit_a_real_time_dashboard() -> None:
    config = MonitoringConfig()
    assert config.export.metric_interval_ms == 5000
    assert config.export.span_batch_delay_ms == 1000
    assert config.export.log_batch_delay_ms == 1000
    assert config.sampling.ratio == 1.0


def test_a_full_section_is_read(tmp_path: Path) -> None:
    config = parse_config(
        _write(
            tmp_path,
            """
monitoring:
  service_name: tta-narrative-engine
  component: narrative-engine
  repository: tta.prototype
  environment: staging
  otlp: {endpoint: "http://collector:4318", protocol: http/protobuf}
  sampling: {ratio: 0.25}
  privacy: {policy_file: policy.yaml}
""",
        )
    )
    assert config.service_name == "tta-narrative-engine"
    assert config.repository == "tta.prototype"
    assert config.otlp.protocol == "http/protobuf"
    assert config.sampling.ratio == 0.25
    assert config.privacy.policy_file == tmp_path / "policy.yaml"


def test_an_out_of_range_value_names_file_key_and_reason(tmp_path: Path) -> None:
    path = _write(tmp_path, "monitoring:\n  sampling:\n    ratio: 1.5\n")
    with pytest.raises(ConfigError) as caught:
        parse_config(path)
    assert str(caught.value) == f"{path}: monitoring.sampling.ratio: Input should be less than or equal to 1 (got 1.5)"


def test_an_unknown_key_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "monitoring:\n  samplng:\n    ratio: 0.5\n")
    with pytest.raises(ConfigError) as caught:
        parse_config(path)
    assert caught.value.problems[0].key == "monitoring.samplng"
    assert caught.value.problems[0].reason.startswith("Extra inputs are not permitted")


def test_an_unknown_repository_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "monitoring:\n  repository: tta.staging\n")
    with pytest.raises(ConfigError, match=r"monitoring\.repository: Input should be 'tta\.dev'"):
        parse_config(path)


def test_every_problem_is_reported(tmp_path: Path) -> None:
    path = _write(tmp_path, "monitoring:\n  component: Player API\n  export:\n    metric_interval_ms: 0\n")
    with pytest.raises(ConfigError) as caught:
        parse_config(path)
    assert [p.key for p in caught.value.problems] == ["monitoring.component", "monitoring.export.metric_interval_ms"]


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "monitoring:\n  sampling: [\n")
    with pytest.raises(ConfigError, match=r"line 3, column 1: invalid YAML"):
        parse_config(path)


def test_a_section_that_is_not_a_mapping_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="monitoring: must be a mapping"):
        parse_config(_write(tmp_path, "monitoring: yes\n"))
    with pytest.raises(ConfigError, match=r"\(document\): the file must be a mapping"):
        parse_config(_write(tmp_path, "- monitoring\n"))


def test_an_unreadable_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        parse_config(tmp_path)


def test_a_bad_file_loads_as_defaults_with_the_error(tmp_path: Path) -> None:
    loaded = load_config(_write(tmp_path, "monitoring:\n  sampling:\n    ratio: -1\n"))
    assert loaded.config == MonitoringConfig()
    assert loaded.error is not None
    assert loaded.error.problems[0].key == "monitoring.sampling.ratio"


def test_the_file_comes_from_tta_config(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert config_path() == Path("tta_config.yaml")
    clean_env.setenv("TTA_CONFIG", str(tmp_path / "other.yaml"))
    assert config_path() == tmp_path / "other.yaml"


def test_the_file_overrides_the_defaults() -> None:
    config = MonitoringConfig.model_validate(
        {"otlp": {"endpoint": "http://c:4317"}, "export": {"metric_interval_ms": 1000}}
    )
    defaults = otel_defaults(config)
    assert defaults["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://c:4317"
    assert defaults["OTEL_METRIC_EXPORT_INTERVAL"] == "1000"
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" not in otel_defaults(MonitoringConfig())


def test_otel_environment_wins_over_the_file() -> None:
    environ = {"OTEL_METRIC_EXPORT_INTERVAL": "60000", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}
    config = MonitoringConfig.model_validate({"otlp": {"protocol": "grpc"}, "export": {"metric_interval_ms": 1000}})
    apply_otel_defaults(config, environ)
    assert environ["OTEL_METRIC_EXPORT_INTERVAL"] == "60000"
    assert environ["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"
    assert environ["OTEL_BSP_SCHEDULE_DELAY"] == "1000"
    assert environ["OTEL_TRACES_EXPORTER"] == "otlp"


def test_health_checks_default_to_every_15_s_with_a_5_s_timeout() -> None:
    assert (MonitoringConfig().health.interval_s, MonitoringConfig().health.timeout_s) == (15.0, 5.0)


def test_health_settings_are_read(tmp_path: Path) -> None:
    config = parse_config(_write(tmp_path, "monitoring:\n  health:\n    interval_s: 30\n    timeout_s: 2\n"))
    assert (config.health.interval_s, config.health.timeout_s) == (30.0, 2.0)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("interval_s: 0.5", "monitoring.health.interval_s: Input should be greater than or equal to 1 (got 0.5)"),
        ("timeout_s: 0", "monitoring.health.timeout_s: Input should be greater than 0 (got 0)"),
        (
            "{interval_s: 10, timeout_s: 20}",
            "monitoring.health: Value error, timeout_s (20) must not exceed interval_s (10)",
        ),
    ],
)
def test_a_bad_health_setting_names_file_key_and_reason(tmp_path: Path, section: str, message: str) -> None:
    text = (
        f"monitoring:\n  health: {section}\n" if section.startswith("{") else f"monitoring:\n  health:\n    {section}\n"
    )
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        parse_config(path)
    assert f"{path}: {message}" in str(raised.value)


def test_the_health_endpoints_are_excluded_from_fastapi_tracing_by_default() -> None:
    environ: dict[str, str] = {}
    apply_otel_defaults(MonitoringConfig(), environ)
    assert environ["OTEL_PYTHON_FASTAPI_EXCLUDED_URLS"] == "/healthz$,/readyz$"


def test_an_operators_fastapi_excluded_urls_win() -> None:
    environ = {"OTEL_PYTHON_FASTAPI_EXCLUDED_URLS": "/metrics"}
    apply_otel_defaults(MonitoringConfig(), environ)
    assert environ["OTEL_PYTHON_FASTAPI_EXCLUDED_URLS"] == "/metrics"


def test_an_operators_generic_excluded_urls_are_not_overridden_by_the_fastapi_default() -> None:
    environ = {"OTEL_PYTHON_EXCLUDED_URLS": "/metrics"}
    apply_otel_defaults(MonitoringConfig(), environ)
    assert "OTEL_PYTHON_FASTAPI_EXCLUDED_URLS" not in environ
