"""The ``monitoring:`` section of ``tta_config.yaml``, as a validated schema.

Every field has a default that suits a real-time dashboard, so an empty section (or no
file at all) gives a working setup. Unknown keys are errors: a misspelt key would
otherwise be silently ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Repository = Literal["tta.dev", "tta.prototype", "tta.prod"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OtlpSettings(_Section):
    """Where telemetry goes; ``OTEL_EXPORTER_OTLP_*`` variables win over these."""

    endpoint: str | None = Field(default=None, description="e.g. http://127.0.0.1:4317 (gRPC) or :4318 (HTTP)")
    protocol: Literal["grpc", "http/protobuf"] = "grpc"
    timeout_s: float = Field(
        default=10.0, gt=0, le=60, description="per export; the Python OTLP exporters read seconds, not ms"
    )
    token_file: Path | None = Field(
        default=None,
        description="a file holding the collector's bearer token (`tta-otel secrets init`: otlp-token); "
        "TTA_OTLP_TOKEN_FILE wins, OTEL_EXPORTER_OTLP_HEADERS wins over both",
    )
    ca_file: Path | None = Field(
        default=None,
        description="the CA that signed the collector's certificate (ca.crt); OTEL_EXPORTER_OTLP_CERTIFICATE wins",
    )


class SamplingSettings(_Section):
    """Head sampling of new traces; the ratio reloads when the file changes, the rest needs a restart."""

    ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    trust_remote_parent: bool = Field(
        default=False,
        description="follow an inbound traceparent's sampled flag; false (services facing players): "
        "the trace id is continued but the ratio decides, and the inbound tracestate is dropped",
    )


class PropagationSettings(_Section):
    """Context propagated from inbound requests to outgoing calls; needs a restart.

    Sets the ``OTEL_PROPAGATORS`` default (``tracecontext``); an ``OTEL_PROPAGATORS`` variable wins.
    """

    baggage: bool = Field(
        default=False, description="extract and forward W3C baggage; off: inbound baggage is neither read nor passed on"
    )


class ExportSettings(_Section):
    """Export cadence: a metric every 5 s and 1 s batch delays keep dashboards under 5 s behind."""

    metric_interval_ms: int = Field(default=5_000, ge=100, le=300_000)
    span_batch_delay_ms: int = Field(default=1_000, ge=10, le=60_000)
    log_batch_delay_ms: int = Field(default=1_000, ge=10, le=60_000)
    max_queue_size: int = Field(default=2_048, ge=64, le=1_000_000)
    shutdown_timeout_s: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="at shutdown, what is still queued gets this long to leave; then it is dropped and "
        "counted, so a dead collector never holds a stopping service longer",
    )


class PrivacySettings(_Section):
    """The privacy policy and the pseudonym key; the policy reloads when its file changes."""

    mode: Literal["strict", "standard"] = Field(
        default="strict",
        description="strict: unlisted keys lose their string values; standard (development): they are scanned",
    )
    policy_file: Path | None = Field(
        default=None, description="a custom policy merged into the packaged one (it can only add rules)"
    )
    pseudonym_key_file: Path | None = Field(default=None, description="lines of <key id>:<secret>, current first")


class HardwareSettings(_Section):
    """Hardware telemetry; GPU instruments appear only where NVML (``pip install tta-otel[gpu]``) finds a GPU."""

    gpu: bool = True


class CarbonSettings(_Section):
    """Energy and carbon accounting; every constant is documented in docs/ai-and-carbon.md."""

    enabled: bool = True
    region: str | None = Field(default=None, description="key into intensity_by_region, e.g. eu-north-1")
    intensity_by_region: dict[str, float] = Field(default_factory=dict, description="gCO2e/kWh per region")
    intensity_g_per_kwh: float | None = Field(default=None, gt=0, description="wins over region; default world 480")
    pue: float = Field(default=1.58, ge=1.0, le=3.0, description="power usage effectiveness of the data centre")
    cpu_tdp_w: float = Field(default=85.0, gt=0, description="CPU package power at full load, when RAPL is unreadable")
    memory_w_per_gb: float = Field(default=0.375, ge=0, description="memory power per GB of resident memory")
    rapl_path: Path = Path("/sys/class/powercap")
    daily_budget_g: float | None = Field(default=None, gt=0, description="gCO2e per day; exceeding it alerts")
    model_wh_per_1k_tokens: dict[str, float] = Field(
        default_factory=dict, description="energy estimate for remote models, in Wh per 1,000 tokens"
    )


class ErrorSettings(_Section):
    """Error tracking: which failures stop therapeutic content from reaching a player."""

    critical_routes: list[str] = Field(
        default_factory=list, description="http.route values whose errors are critical, e.g. /players/{player_id}/scene"
    )
    critical_operations: list[str] = Field(
        default_factory=list, description="span names whose errors are critical, e.g. chat narrator-large"
    )
    in_app_modules: list[str] = Field(
        default_factory=list, description="module prefixes counted as in-app frames; default: not third-party"
    )


class EngagementSettings(_Section):
    """Engagement analytics: what may be recorded, and the smallest cohort a report shows.

    Every allow-listed key becomes a metric attribute, so each must be low-cardinality; keys that
    name an identifier (``*.id``, ``*_id``) are refused: identifiers never become metric attributes.
    """

    k_anonymity: int = Field(default=10, ge=2, description="cohorts with fewer sessions are suppressed")
    allowed_attributes: list[str] = Field(
        default_factory=lambda: ["tta.cohort", "tta.scenario", "tta.journey.step"],
        description="attribute keys kept on engagement metrics; every other key is dropped",
    )
    session_timeout_s: float = Field(
        default=1800.0, gt=0, le=86_400, description="a session idle this long is recorded as ended"
    )
    max_sessions: int = Field(
        default=10_000, ge=1, le=1_000_000, description="sessions followed at once; the least recently active ends"
    )

    @field_validator("allowed_attributes")
    @classmethod
    def _no_identifiers(cls, keys: list[str]) -> list[str]:
        identifiers = [key for key in keys if key == "id" or key.endswith((".id", "_id"))]
        if identifiers:
            raise ValueError(f"identifiers are never metric attributes: remove {', '.join(identifiers)}")
        return keys


class HealthSettings(_Section):
    """Dependency health checks (``tta_otel.health``): how often each runs, and how long it may take."""

    interval_s: float = Field(default=15.0, ge=1.0, le=3600, description="seconds between two checks of a dependency")
    timeout_s: float = Field(default=5.0, gt=0, le=60, description="a check not done within it counts as down")

    @model_validator(mode="after")
    def _timeout_within_interval(self) -> HealthSettings:
        if self.timeout_s > self.interval_s:
            raise ValueError(
                f"timeout_s ({self.timeout_s:g}) must not exceed interval_s ({self.interval_s:g}): "
                "a check would still run when the next one is due"
            )
        return self


class MonitoringConfig(_Section):
    """The whole ``monitoring:`` section."""

    enabled: bool = True
    service_name: str | None = Field(default=None, min_length=1)
    service_version: str | None = Field(default=None, min_length=1)
    component: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9-]*$")
    repository: Repository | None = None
    environment: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9-]*$")
    package: str | None = Field(default=None, description="distribution whose version becomes service.version")
    otlp: OtlpSettings = OtlpSettings()
    sampling: SamplingSettings = SamplingSettings()
    propagation: PropagationSettings = PropagationSettings()
    export: ExportSettings = ExportSettings()
    privacy: PrivacySettings = PrivacySettings()
    hardware: HardwareSettings = HardwareSettings()
    carbon: CarbonSettings = CarbonSettings()
    errors: ErrorSettings = ErrorSettings()
    engagement: EngagementSettings = EngagementSettings()
    health: HealthSettings = HealthSettings()
    reload_interval_s: float = Field(default=2.0, ge=0.1, le=3600, description="how often the file is checked")
