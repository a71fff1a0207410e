"""Specification of backpressure: failed exports lower trace sampling and shed low-severity logs;
successful exports restore both."""

from __future__ import annotations

import logging

import pytest
from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor

from tta_otel.backpressure import MIN_FACTOR, Backpressure, SheddingLogRecordProcessor
from tta_otel.sampling import AdjustableRatioSampler

_HALF = 1 << 63


def test_a_failed_export_halves_the_sampling_factor() -> None:
    backpressure = Backpressure(AdjustableRatioSampler(1.0))
    backpressure.exported(False)
    assert backpressure.factor == 0.5


def test_failures_never_lower_the_factor_below_its_floor() -> None:
    backpressure = Backpressure(AdjustableRatioSampler(1.0))
    for _ in range(20):
        backpressure.exported(False)
    assert backpressure.factor == MIN_FACTOR


def test_successes_restore_the_configured_ratio_step_by_step() -> None:
    backpressure = Backpressure(AdjustableRatioSampler(1.0))
    for _ in range(3):
        backpressure.exported(False)
    factors = []
    for _ in range(4):
        backpressure.exported(True)
        factors.append(backpressure.factor)
    assert factors == [0.25, 0.5, 1.0, 1.0]


def test_the_sampler_admits_the_scaled_share_of_new_traces() -> None:
    sampler = AdjustableRatioSampler(1.0)
    Backpressure(sampler).exported(False)
    assert (sampler.admits(_HALF - 1), sampler.admits(_HALF)) == (True, False)


def test_a_reloaded_ratio_keeps_the_backpressure_factor() -> None:
    sampler = AdjustableRatioSampler(1.0)
    Backpressure(sampler).exported(False)
    sampler.set_ratio(0.5)
    assert (sampler.ratio, sampler.admits(_HALF // 2 - 1), sampler.admits(_HALF // 2)) == (0.5, True, False)


def test_a_factor_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="sampling factor"):
        AdjustableRatioSampler(1.0).set_factor(0.0)


def test_lowering_is_logged_as_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="tta_otel.backpressure"):
        Backpressure(None).exported(False)
    assert [record.levelname for record in caplog.records] == ["WARNING"]


def _emit_all(backpressure: Backpressure) -> tuple[list[str], list[int]]:
    exported = InMemoryLogRecordExporter()
    shed: list[int] = []
    provider = LoggerProvider()
    provider.add_log_record_processor(
        SheddingLogRecordProcessor(SimpleLogRecordProcessor(exported), backpressure, shed.append)
    )
    logger = provider.get_logger("test")
    for severity in (SeverityNumber.DEBUG, SeverityNumber.INFO, SeverityNumber.WARN, SeverityNumber.ERROR):
        logger.emit(body=severity.name, severity_number=severity)
    provider.shutdown()
    return [record.log_record.body for record in exported.get_finished_logs()], shed


def test_under_backpressure_records_below_warning_are_shed_and_counted() -> None:
    backpressure = Backpressure(None)
    backpressure.exported(False)
    assert _emit_all(backpressure) == (["WARN", "ERROR"], [1, 1])


def test_without_backpressure_every_record_is_kept() -> None:
    assert _emit_all(Backpressure(None)) == (["DEBUG", "INFO", "WARN", "ERROR"], [])
