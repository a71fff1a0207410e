"""The ``tta_otel`` configurator: builds the SDK with redaction in front of every exporter.

``opentelemetry-instrument`` calls it (entry point ``opentelemetry_configurator``) before
it instruments libraries. It reads the same ``OTEL_*`` variables as the SDK's own
configurator - after the distro has filled in the defaults from ``tta_config.yaml`` - and
differs in three ways: every exporter is wrapped by a redacting exporter; new traces are
sampled by a ratio that reloads with the file; a configuration or policy file that is bad
never stops the service.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from opentelemetry import trace
from opentelemetry._logs import set_logger_provider
from opentelemetry.metrics import CallbackOptions, Observation, set_meter_provider
from opentelemetry.sdk._configuration import (
    _BaseConfigurator,
    _get_exporter_names,
    _get_sampler,
    _import_exporters,
    _import_sampler,
)
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import Sampler

from tta_otel import health, instruments, semconv
from tta_otel.backpressure import Backpressure, SheddingLogRecordProcessor
from tta_otel.carbon import EnergyTelemetry, install_energy_telemetry
from tta_otel.config import LoadedConfig, MonitoringConfig, apply_otel_defaults
from tta_otel.config.environment import install_propagators
from tta_otel.errors import ErrorLogProcessor, ErrorTracker, start_error_tracking, stop_error_tracking
from tta_otel.exporters import RedactingLogRecordExporter, RedactingMetricExporter, RedactingSpanExporter
from tta_otel.exporters._shared import DropCounter
from tta_otel.exporters.sdk_hooks import watch_queue_drops
from tta_otel.log_privacy import install_log_privacy, uninstall_log_privacy
from tta_otel.otlp_auth import exporter_arguments, read_token, token_file
from tta_otel.privacy import PolicyError, Redactor, build_redactor, set_active_redactor
from tta_otel.reload import ConfigReloader
from tta_otel.resource import build_resource
from tta_otel.sampling import AdjustableRatioSampler, parent_based
from tta_otel.startup import startup_config
from tta_otel.termination import flush_on_sigterm

_logger = logging.getLogger(__name__)


class _Abandonable(Protocol):
    def abandon(self) -> None: ...


@dataclass
class Telemetry:
    """What ``configure_telemetry`` built, for tests and for an orderly shutdown."""

    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    logger_provider: LoggerProvider
    root_sampler: AdjustableRatioSampler | None
    reloader: ConfigReloader
    energy: EnergyTelemetry | None = None
    exporters: list[_Abandonable] = field(default_factory=list)
    shutdown_timeout_s: float = 5.0

    def _abandon_exports(self) -> None:
        _logger.warning(
            "tta_otel: telemetry could not be exported within %g s of shutdown; what is left is dropped",
            self.shutdown_timeout_s,
        )
        for exporter in self.exporters:
            exporter.abandon()

    def flush(self, timeout_millis: int = 5_000) -> None:
        """Export what is buffered, each provider within ``timeout_millis``."""
        self.tracer_provider.force_flush(timeout_millis)
        self.logger_provider.force_flush(timeout_millis)
        self.meter_provider.force_flush(timeout_millis)

    def shutdown(self) -> None:
        self.reloader.stop()
        health.stop()
        stop_error_tracking()
        uninstall_log_privacy()
        # A dead or refusing collector must not hold a stopping service: past the deadline every
        # exporter drops what is left (counted) and stops retrying.
        watchdog = threading.Timer(self.shutdown_timeout_s, self._abandon_exports)
        watchdog.daemon = True
        watchdog.start()
        try:
            self.tracer_provider.shutdown()
            self.meter_provider.shutdown()
            self.logger_provider.shutdown()
        finally:
            watchdog.cancel()
        if self.energy is not None:
            self.energy.close()


def _redactor_for(config: MonitoringConfig) -> Redactor:
    try:
        return build_redactor(config.privacy.policy_file, config.privacy.pseudonym_key_file, config.privacy.mode)
    except (PolicyError, OSError, ValueError) as exc:
        _logger.error(
            "tta_otel: the privacy settings were rejected (%s); the packaged policy is used, with the "
            "configured pseudonym key if it can be read",
            exc,
        )
    try:
        return build_redactor(None, config.privacy.pseudonym_key_file, config.privacy.mode)
    except (OSError, ValueError) as exc:
        _logger.error("tta_otel: the pseudonym key file was rejected (%s); an ephemeral key is used", exc)
        return build_redactor(mode=config.privacy.mode)


def _sampler(config: MonitoringConfig) -> tuple[Sampler | None, AdjustableRatioSampler | None]:
    """``OTEL_TRACES_SAMPLER`` wins; otherwise a parent-based ratio that reloads with the file, where a
    remote parent's sampled flag counts only with ``sampling.trust_remote_parent``."""
    if _get_sampler():
        return _import_sampler(_get_sampler()), None
    root = AdjustableRatioSampler(config.sampling.ratio)
    return parent_based(root, trust_remote_parent=config.sampling.trust_remote_parent), root


def _metric_readers(
    exporters: dict[str, type[Any]], redacting: list[_Abandonable], drops: list[DropCounter], token: str | None
) -> list[MetricReader]:
    readers: list[MetricReader] = []
    for name, exporter_class in exporters.items():
        if issubclass(exporter_class, MetricReader):
            _logger.error(
                "tta_otel: metric reader %r is not supported: it serves metrics without redaction. "
                "Export over OTLP and let Prometheus ingest them from the collector.",
                name,
            )
            continue
        exporter = RedactingMetricExporter(exporter_class(**exporter_arguments(exporter_class, "metrics", token)))
        redacting.append(exporter)
        drops.append(exporter.drops)
        readers.append(PeriodicExportingMetricReader(exporter))
    return readers


def _observe_drops(meter_provider: MeterProvider, drops: list[DropCounter]) -> None:
    """``tta.telemetry.dropped``: items the exporters dropped, by signal and reason."""

    def observe(options: CallbackOptions) -> Iterable[Observation]:
        for counter in drops:
            for reason, count in counter.counts.items():
                yield Observation(
                    count, {semconv.TTA_TELEMETRY_SIGNAL: counter.signal, semconv.TTA_TELEMETRY_REASON: reason}
                )

    instruments.observe(meter_provider.get_meter("tta_otel"), semconv.TTA_TELEMETRY_DROPPED, [observe])


def _announce(meter_provider: MeterProvider, resource: Resource) -> None:
    """``tta.component.info``: this process exists. Its resource (component, repository,
    environment, instance) becomes the series' labels in Prometheus, so a new component is found
    without configuration, and one that stops reporting is noticed (``TTAComponentAbsent``)."""
    attributes = {semconv.SERVICE_VERSION: str(resource.attributes.get(semconv.SERVICE_VERSION, "unknown"))}

    def observe(options: CallbackOptions) -> Iterable[Observation]:
        yield Observation(1, attributes)

    instruments.observe(meter_provider.get_meter("tta_otel"), semconv.TTA_COMPONENT_INFO, [observe])


def _energy(meter_provider: MeterProvider, config: MonitoringConfig) -> EnergyTelemetry | None:
    """GPU and carbon instruments; a failure here leaves the other telemetry running."""
    try:
        return install_energy_telemetry(meter_provider, config)
    except Exception:
        _logger.exception("tta_otel: GPU and carbon telemetry could not be set up; the rest runs without it")
        return None


def configure_telemetry(loaded: LoadedConfig) -> Telemetry | None:
    """Build and install the tracer, meter and logger providers; None when monitoring is disabled."""
    config = loaded.config
    if not config.enabled:
        _logger.info("tta_otel: monitoring is disabled in %s", loaded.path)
        # Readiness is the service's, not telemetry: /readyz still needs its checks (no metrics exported).
        health.start(config.health.interval_s, config.health.timeout_s)
        return None
    apply_otel_defaults(config)
    install_propagators(config)
    set_active_redactor(_redactor_for(config))
    resource = build_resource(config)
    sampler, root_sampler = _sampler(config)
    span_exporters, metric_exporters, log_exporters = _import_exporters(
        _get_exporter_names("traces"), _get_exporter_names("metrics"), _get_exporter_names("logs")
    )

    token_path = token_file(config)
    token = read_token(token_path) if token_path is not None else None
    drops: list[DropCounter] = []
    redacting: list[_Abandonable] = []
    backpressure = Backpressure(root_sampler)
    tracer_provider = TracerProvider(resource=resource, sampler=sampler)
    for exporter_class in span_exporters.values():
        span_exporter = RedactingSpanExporter(exporter_class(**exporter_arguments(exporter_class, "traces", token)))
        redacting.append(span_exporter)
        drops.append(span_exporter.drops)
        span_exporter.drops.on_export = backpressure.exported
        span_processor = BatchSpanProcessor(span_exporter)
        watch_queue_drops(span_processor, span_exporter.drops.queue_full)
        tracer_provider.add_span_processor(span_processor)
    meter_provider = MeterProvider(
        resource=resource, metric_readers=_metric_readers(metric_exporters, redacting, drops, token)
    )
    logger_provider = LoggerProvider(resource=resource)
    tracker = ErrorTracker(
        config.errors, meter_provider.get_meter("tta_otel.errors"), logger_provider.get_logger("tta_otel.errors")
    )
    logger_provider.add_log_record_processor(ErrorLogProcessor(tracker))  # before export: it adds attributes
    for log_exporter_class in log_exporters.values():
        log_exporter = RedactingLogRecordExporter(
            log_exporter_class(**exporter_arguments(log_exporter_class, "logs", token))
        )
        redacting.append(log_exporter)
        drops.append(log_exporter.drops)
        log_exporter.drops.on_export = backpressure.exported
        log_processor = BatchLogRecordProcessor(log_exporter)
        watch_queue_drops(log_processor, log_exporter.drops.queue_full)
        logger_provider.add_log_record_processor(
            SheddingLogRecordProcessor(log_processor, backpressure, log_exporter.drops.shed)
        )
    _observe_drops(meter_provider, drops)
    _announce(meter_provider, resource)
    energy = _energy(meter_provider, config)
    start_error_tracking(tracker)
    # The logging instrumentation attaches the OTel LoggingHandler after this configurator has run;
    # every instance of it exports only what log_privacy lets through.
    install_log_privacy()
    trace.set_tracer_provider(tracer_provider)
    set_meter_provider(meter_provider)
    set_logger_provider(logger_provider)

    # Dependency checks (tta_otel.health) off the request path; the instrumentations register Redis and Neo4j.
    health.start(config.health.interval_s, config.health.timeout_s, meter_provider)
    reloader = ConfigReloader(loaded.path, config, root_sampler)
    reloader.start()
    telemetry = Telemetry(
        tracer_provider,
        meter_provider,
        logger_provider,
        root_sampler,
        reloader,
        energy,
        redacting,
        config.export.shutdown_timeout_s,
    )
    flush_on_sigterm(telemetry.flush)
    return telemetry


class TTAConfigurator(_BaseConfigurator):
    """Entry point ``opentelemetry_configurator = tta_otel``."""

    def _configure(self, **kwargs: Any) -> None:
        try:
            configure_telemetry(startup_config())
        except Exception:  # telemetry must never stop the service
            _logger.exception("tta_otel: telemetry could not be configured; the service runs without it")


__all__ = ["TTAConfigurator", "Telemetry", "configure_telemetry"]
