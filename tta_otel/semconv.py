"""Every name tta_otel's telemetry uses, defined once: the instruments (name, unit, kind,
description, bucket advice), the attribute keys, and the Prometheus names both become.

The code that creates an instrument takes its name, unit and description from here; the
reports, alert rules and dashboards query the Prometheus name derived from the same entry by
``prometheus_name`` (Prometheus's OTLP translation), so what is queried is what the pipeline
produces (``tests/unit/test_semconv.py`` checks every rule and dashboard against this module).

A leaf: standard library only, nothing else of tta_otel, so that the service side (the
instrumentations, the configurator) and the operator side (``tta_otel.ops``) can both import
it without importing each other, and ``import tta_otel.semconv`` stays cheap.

Sections: instrument kinds and the Prometheus translation; attribute keys; instruments, by
area; the collector's own metrics (served by the collector as they are, no OTLP translation).
The GenAI names follow the ``gen_ai`` conventions as published in 2026 (``gen_ai.provider.name``
replaced ``gen_ai.system``); the ``tta.*`` names are TTA's own namespace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

# ---------------------------------------------------------------------------------------------
# Instrument kinds and the Prometheus translation
# ---------------------------------------------------------------------------------------------


class Kind(StrEnum):
    """What an instrument records, as the Prometheus translation sees it; an observable
    instrument has the kind of its synchronous twin (observable counter -> ``COUNTER``)."""

    COUNTER = "counter"
    """A monotonic sum: ``_total`` in Prometheus."""
    UP_DOWN_COUNTER = "up_down_counter"
    """A non-monotonic sum: a Prometheus gauge without ``_total`` or ``_ratio``."""
    HISTOGRAM = "histogram"
    """``_bucket``, ``_count`` and ``_sum`` series in Prometheus."""
    GAUGE = "gauge"
    """The only kind whose unit ``1`` becomes ``_ratio``."""


_UNIT_WORDS: Final = {
    "d": "days",
    "h": "hours",
    "min": "minutes",
    "s": "seconds",
    "ms": "milliseconds",
    "us": "microseconds",
    "ns": "nanoseconds",
    "By": "bytes",
    "KiBy": "kibibytes",
    "MiBy": "mebibytes",
    "GiBy": "gibibytes",
    "TiBy": "tibibytes",
    "KBy": "kilobytes",
    "MBy": "megabytes",
    "GBy": "gigabytes",
    "TBy": "terabytes",
    "m": "meters",
    "V": "volts",
    "A": "amperes",
    "J": "joules",
    "W": "watts",
    "g": "grams",
    "Cel": "celsius",
    "Hz": "hertz",
    "1": "",
    "%": "percent",
}
"""UCUM unit -> the word Prometheus appends; a unit not listed is appended as it is written."""

_PER_UNIT_WORDS: Final = {
    "s": "second",
    "m": "minute",
    "h": "hour",
    "d": "day",
    "w": "week",
    "mo": "month",
    "y": "year",
}
"""The unit after ``/`` -> its singular word (``By/s`` -> ``bytes_per_second``)."""

_NAME_SEPARATORS: Final = re.compile(r"[^a-zA-Z0-9:]+")
_INVALID_LABEL_CHAR: Final = re.compile(r"[^a-zA-Z0-9_]")


def _unit_word(unit: str, words: dict[str, str]) -> str:
    """The word for one side of a unit: nothing for an empty side or an ``{annotation}``."""
    unit = unit.strip()
    if not unit or "{" in unit or "}" in unit:
        return ""
    word = words.get(unit, unit)
    return _NAME_SEPARATORS.sub("_", word).lstrip("_")


def prometheus_name(name: str, unit: str, kind: Kind | str) -> str:
    """The series name Prometheus's OTLP receiver stores an instrument under, with its default
    translation (``UnderscoreEscapingWithSuffixes``, as in prometheus/otlptranslator).

    - The name is split into words at every character other than a letter, a digit or ``:``
      (dots, dashes and underscores alike), and the words are joined with ``_``.
    - The unit adds its word (``s`` -> ``seconds``, ``By`` -> ``bytes``, ``J`` -> ``joules``, ...;
      a unit not in the map as it is; ``1`` and ``{annotation}`` units add nothing), unless the
      name already has that word: ``process.cpu.time`` in ``s`` is ``process_cpu_time_seconds``,
      ``tta.websocket.io`` in ``By`` is ``tta_websocket_io_bytes``. ``a/b`` adds ``a`` and
      ``per_b`` (``g/kWh`` -> ``grams_per_kWh``).
    - A counter (monotonic) ends in ``_total``; a gauge in unit ``1`` ends in ``_ratio``; an
      up-down counter and a histogram get neither (a histogram's series then add ``_bucket``,
      ``_count`` and ``_sum``).
    """
    kind = Kind(kind)
    words = [word for word in _NAME_SEPARATORS.split(name) if word]
    main_unit, _, per_unit = unit.partition("/")
    main = _unit_word(main_unit, _UNIT_WORDS)
    per = _unit_word(per_unit, _PER_UNIT_WORDS)
    per = f"per_{per}".rstrip("_") if per else ""
    if main and main not in words:
        words.append(main.rstrip("_") if per else main)
    if per and per not in words:
        words.append(per)
    if kind is Kind.COUNTER:
        words = [word for word in words if word != "total"] + ["total"]
    if kind is Kind.GAUGE and unit == "1":
        words = [word for word in words if word != "ratio"] + ["ratio"]
    translated = "_".join(words)
    if not translated.strip("_"):
        raise ValueError(f"{name!r} has no Prometheus name")
    return f"_{translated}" if translated[0].isdigit() else translated


def prometheus_label(key: str) -> str:
    """The label an attribute key becomes in Prometheus: every character other than a letter, a
    digit or ``_`` written as ``_`` (``gen_ai.request.model`` -> ``gen_ai_request_model``); a key
    starting with a digit gets ``key_`` in front, one starting with a single ``_`` gets ``key``."""
    label = _INVALID_LABEL_CHAR.sub("_", key)
    if label[:1].isdigit():
        return f"key_{label}"
    if label.startswith("_") and not label.startswith("__"):
        return f"key{label}"
    return label


@dataclass(frozen=True)
class Instrument:
    """One instrument: what ``meter.create_<kind>`` takes, and the names Prometheus stores it under."""

    name: str
    unit: str
    kind: Kind
    description: str
    buckets: tuple[float, ...] = ()
    """The explicit bucket boundaries advice of a histogram; empty: the SDK's default buckets."""

    @property
    def prometheus(self) -> str:
        """The Prometheus name (``tta_energy_joules_total``); a histogram's series add a suffix."""
        return prometheus_name(self.name, self.unit, self.kind)

    @property
    def prometheus_bucket(self) -> str:
        return self._histogram_series("bucket")

    @property
    def prometheus_count(self) -> str:
        return self._histogram_series("count")

    @property
    def prometheus_sum(self) -> str:
        return self._histogram_series("sum")

    @property
    def prometheus_series(self) -> tuple[str, ...]:
        """Every series name Prometheus stores: ``_bucket``, ``_count`` and ``_sum`` of a histogram,
        the Prometheus name itself otherwise."""
        if self.kind is Kind.HISTOGRAM:
            return (self.prometheus_bucket, self.prometheus_count, self.prometheus_sum)
        return (self.prometheus,)

    def _histogram_series(self, suffix: str) -> str:
        if self.kind is not Kind.HISTOGRAM:
            raise ValueError(f"{self.name} is a {self.kind}, it has no _{suffix} series")
        return f"{self.prometheus}_{suffix}"


# ---------------------------------------------------------------------------------------------
# Attribute keys (Prometheus labels: prometheus_label(key))
# ---------------------------------------------------------------------------------------------

# Resource attributes promoted to labels (prometheus/prometheus.yml).
SERVICE_NAME: Final = "service.name"
SERVICE_INSTANCE_ID: Final = "service.instance.id"
DEPLOYMENT_ENVIRONMENT_NAME: Final = "deployment.environment.name"
TTA_COMPONENT: Final = "tta.component"
TTA_REPOSITORY: Final = "tta.repository"
SERVICE_VERSION: Final = "service.version"

# The retention class of a log record (debug, info, warn: retention.yaml's logs.*), which the
# compose collector moves into the resource so that Loki makes it a stream label.
TTA_LOG_RETENTION_CLASS: Final = "tta.log.retention_class"

ERROR_TYPE: Final = "error.type"

# GenAI.
GEN_AI_OPERATION_NAME: Final = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME: Final = "gen_ai.provider.name"
GEN_AI_REQUEST_MODEL: Final = "gen_ai.request.model"
GEN_AI_RESPONSE_MODEL: Final = "gen_ai.response.model"
GEN_AI_RESPONSE_ID: Final = "gen_ai.response.id"
GEN_AI_RESPONSE_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: Final = "gen_ai.response.time_to_first_chunk"
GEN_AI_TOKEN_TYPE: Final = "gen_ai.token.type"
GEN_AI_USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_TOKEN_TYPE_INPUT: Final = "input"
GEN_AI_TOKEN_TYPE_OUTPUT: Final = "output"
"""The values of ``gen_ai.token.type``."""

# Errors.
TTA_ERROR_FINGERPRINT: Final = "tta.error.fingerprint"
TTA_ERROR_CRITICAL: Final = "tta.error.critical"
TTA_ERROR_SEVERITY: Final = "tta.error.severity"

# The telemetry the exporters dropped.
TTA_TELEMETRY_SIGNAL: Final = "tta.telemetry.signal"
TTA_TELEMETRY_REASON: Final = "tta.telemetry.reason"

# Energy and carbon.
TTA_ENERGY_SOURCE: Final = "tta.energy.source"

# Engagement.
TTA_COHORT: Final = "tta.cohort"
TTA_SCENARIO: Final = "tta.scenario"
TTA_JOURNEY_STEP: Final = "tta.journey.step"
TTA_ENGAGEMENT_REASON: Final = "tta.engagement.reason"

# Hardware (GPU).
HW_ID: Final = "hw.id"
HW_TYPE: Final = "hw.type"
HW_NAME: Final = "hw.name"
HW_MODEL: Final = "hw.model"
HW_VENDOR: Final = "hw.vendor"
TTA_GPU_INDEX: Final = "tta.gpu.index"

# Alerts (tta-otel alerts serve): the alert's own labels, as they are, and the receiver.
ALERT_NAME: Final = "alertname"
ALERT_SEVERITY: Final = "severity"
ALERT_COMPONENT: Final = "component"
TTA_ALERT_RECEIVER: Final = "tta.alert.receiver"

# HTTP and network.
HTTP_ROUTE: Final = "http.route"
HTTP_RESPONSE_STATUS_CODE: Final = "http.response.status_code"
NETWORK_IO_DIRECTION: Final = "network.io.direction"
WEBSOCKET_CLOSE_CODE: Final = "websocket.close.code"
TTA_WEBSOCKET_MESSAGES_RECEIVED: Final = "tta.websocket.messages.received"
TTA_WEBSOCKET_MESSAGES_SENT: Final = "tta.websocket.messages.sent"
TTA_WEBSOCKET_BYTES_RECEIVED: Final = "tta.websocket.bytes.received"
TTA_WEBSOCKET_BYTES_SENT: Final = "tta.websocket.bytes.sent"
"""The websocket span's counts, set when it closes."""
SERVER_ADDRESS: Final = "server.address"
SERVER_PORT: Final = "server.port"

# Databases.
DB_SYSTEM_NAME: Final = "db.system.name"
DB_NAMESPACE: Final = "db.namespace"
DB_OPERATION_NAME: Final = "db.operation.name"
DB_QUERY_SUMMARY: Final = "db.query.summary"
DB_QUERY_TEXT: Final = "db.query.text"
DB_RESPONSE_STATUS_CODE: Final = "db.response.status_code"
DB_CLIENT_CONNECTION_STATE: Final = "db.client.connection.state"
DB_CLIENT_CONNECTION_POOL_NAME: Final = "db.client.connection.pool.name"

# Dependency health (tta_otel.health): which dependency a check is about, never its error or credentials.
TTA_DEPENDENCY_NAME: Final = "tta.dependency.name"
TTA_DEPENDENCY_TYPE: Final = "tta.dependency.type"

# ---------------------------------------------------------------------------------------------
# Instruments
# ---------------------------------------------------------------------------------------------

# GenAI client (tta_otel.ai): the conventions' ExplicitBucketBoundaries advice.
GEN_AI_DURATION_BUCKETS: Final = (
    0.01,
    0.02,
    0.04,
    0.08,
    0.16,
    0.32,
    0.64,
    1.28,
    2.56,
    5.12,
    10.24,
    20.48,
    40.96,
    81.92,
)
GEN_AI_TOKEN_BUCKETS: Final = (
    1,
    4,
    16,
    64,
    256,
    1024,
    4096,
    16384,
    65536,
    262144,
    1048576,
    4194304,
    16777216,
    67108864,
)
GEN_AI_CLIENT_OPERATION_DURATION: Final = Instrument(
    "gen_ai.client.operation.duration", "s", Kind.HISTOGRAM, "GenAI operation duration", GEN_AI_DURATION_BUCKETS
)
GEN_AI_CLIENT_TOKEN_USAGE: Final = Instrument(
    "gen_ai.client.token.usage",
    "{token}",
    Kind.HISTOGRAM,
    "Number of input and output tokens used",
    GEN_AI_TOKEN_BUCKETS,
)
GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK: Final = Instrument(
    "gen_ai.client.operation.time_to_first_chunk",
    "s",
    Kind.HISTOGRAM,
    "Time to receive the first chunk of a streamed response",
    GEN_AI_DURATION_BUCKETS,
)

# Energy and carbon (tta_otel.carbon): observable counters and gauges.
TTA_ENERGY: Final = Instrument(
    "tta.energy",
    "J",
    Kind.COUNTER,
    "Energy drawn from the grid for this process (IT energy times PUE), by source and model",
)
TTA_CARBON_EMISSIONS: Final = Instrument(
    "tta.carbon.emissions", "g", Kind.COUNTER, "Grams of CO2e emitted for this process's energy, by source and model"
)
TTA_CARBON_INTENSITY: Final = Instrument(
    "tta.carbon.intensity", "g/kWh", Kind.GAUGE, "Carbon intensity of the electricity used, gCO2e per kWh"
)
TTA_CARBON_BUDGET: Final = Instrument(
    "tta.carbon.budget",
    "g",
    Kind.GAUGE,
    "Daily carbon budget of this component, gCO2e per 24 h; exceeding it alerts",
)

# Hardware (tta_otel.hardware): the GPU instruments of the hardware conventions, all observable.
HW_GPU_UTILIZATION: Final = Instrument(
    "hw.gpu.utilization",
    "1",
    Kind.GAUGE,
    "Fraction of the last NVML sample period (1/6 s to 1 s) during which the GPU ran a kernel.",
)
HW_GPU_MEMORY_USAGE: Final = Instrument(
    "hw.gpu.memory.usage", "By", Kind.UP_DOWN_COUNTER, "GPU memory in use, including the memory the driver reserves."
)
HW_GPU_MEMORY_LIMIT: Final = Instrument("hw.gpu.memory.limit", "By", Kind.UP_DOWN_COUNTER, "Size of the GPU memory.")
HW_POWER: Final = Instrument("hw.power", "W", Kind.GAUGE, "Power drawn by the GPU board, as NVML reports it.")
HW_ENERGY: Final = Instrument(
    "hw.energy",
    "J",
    Kind.COUNTER,
    "Energy consumed by the GPU: NVML's energy counter since the driver loaded (Volta and newer), "
    "otherwise integrated from hw.power since the first reading.",
)
HW_TEMPERATURE: Final = Instrument("hw.temperature", "Cel", Kind.GAUGE, "GPU die temperature.")

# Errors (tta_otel.errors; the time to resolve from ``tta-otel errors --resolve``).
TTA_ERRORS: Final = Instrument(
    "tta.errors",
    "{error}",
    Kind.COUNTER,
    "Errors by type, fingerprint, severity and criticality (component from the resource)",
)
TTA_ERROR_TIME_TO_RESOLVE: Final = Instrument(
    "tta.error.time_to_resolve", "s", Kind.HISTOGRAM, "Time from an error group's first sighting to its resolution"
)

# Counted by the collector from the log records that leave its privacy processors (the count
# connector count/logs, collector-config/otelcol.yaml); the log-based alerts read them.
TTA_LOG_ERROR_RECORDS: Final = Instrument(
    "tta.log.error_records", "1", Kind.COUNTER, "Log records of severity ERROR or above."
)
TTA_LOG_REDACTED_RECORDS: Final = Instrument(
    "tta.log.redacted_records",
    "1",
    Kind.COUNTER,
    "Log records whose body carries a redaction placeholder after the privacy processors.",
)

# The configurator: what the redacting exporters dropped (observable).
TTA_TELEMETRY_DROPPED: Final = Instrument(
    "tta.telemetry.dropped",
    "{item}",
    Kind.COUNTER,
    "Telemetry items dropped before export, by reason: redaction_failed, export_failed, refused, "
    "queue_full, shed, identifier_attribute",
)

# Engagement (tta_otel.engagement).
TTA_ENGAGEMENT_DURATION_BUCKETS: Final = (
    30.0,
    60.0,
    120.0,
    300.0,
    600.0,
    900.0,
    1200.0,
    1800.0,
    2700.0,
    3600.0,
    5400.0,
    7200.0,
)
"""Seconds: half a minute to two hours, finer where most sessions end."""
TTA_ENGAGEMENT_INTERACTION_BUCKETS: Final = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0)
TTA_ENGAGEMENT_PROGRESS_BUCKETS: Final = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
"""Tenths of the way; 0.0 on its own so that "no progress" is a bucket of its own."""
TTA_ENGAGEMENT_SESSIONS_STARTED: Final = Instrument(
    "tta.engagement.sessions.started", "{session}", Kind.COUNTER, "Sessions started"
)
TTA_ENGAGEMENT_SESSIONS_COMPLETED: Final = Instrument(
    "tta.engagement.sessions.completed", "{session}", Kind.COUNTER, "Sessions in which the player completed"
)
TTA_ENGAGEMENT_SESSION_DURATION: Final = Instrument(
    "tta.engagement.session.duration",
    "s",
    Kind.HISTOGRAM,
    "Session duration, from its start to its end or its last event",
    TTA_ENGAGEMENT_DURATION_BUCKETS,
)
TTA_ENGAGEMENT_SESSION_INTERACTIONS: Final = Instrument(
    "tta.engagement.session.interactions",
    "{interaction}",
    Kind.HISTOGRAM,
    "Interactions (choices included) per session",
    TTA_ENGAGEMENT_INTERACTION_BUCKETS,
)
TTA_ENGAGEMENT_JOURNEY_STEPS: Final = Instrument(
    "tta.engagement.journey.steps", "{step}", Kind.COUNTER, "Journey steps reached, by tta.journey.step"
)
TTA_ENGAGEMENT_PROGRESS: Final = Instrument(
    "tta.engagement.progress",
    "1",
    Kind.HISTOGRAM,
    "Progress indicator supplied by TTA at the session's end, from 0 to 1",
    TTA_ENGAGEMENT_PROGRESS_BUCKETS,
)
TTA_ENGAGEMENT_REJECTED: Final = Instrument(
    "tta.engagement.rejected", "{item}", Kind.COUNTER, "Events, attributes and progress values not recorded"
)

# Alerts (tta-otel alerts serve, tta_otel.ops.alerts).
TTA_ALERT_BUCKETS: Final = (30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400)
"""Seconds, from half a minute to a day: acknowledgements take minutes, resolutions up to hours."""
TTA_ALERT_TIME_TO_ACKNOWLEDGE: Final = Instrument(
    "tta.alert.time_to_acknowledge",
    "s",
    Kind.HISTOGRAM,
    "Time from an alert firing to its acknowledgement (a silence or the ack endpoint)",
    TTA_ALERT_BUCKETS,
)
TTA_ALERT_TIME_TO_RESOLVE: Final = Instrument(
    "tta.alert.time_to_resolve", "s", Kind.HISTOGRAM, "Time from an alert firing to its resolution", TTA_ALERT_BUCKETS
)
TTA_ALERT_ESCALATIONS: Final = Instrument(
    "tta.alert.escalations",
    "{escalation}",
    Kind.COUNTER,
    "Escalations of unacknowledged critical alerts to the next receiver of the chain",
)

# WebSockets (tta_otel.instrumentation.websockets).
TTA_WEBSOCKET_DURATION_BUCKETS: Final = (0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400)
TTA_WEBSOCKET_CONNECTION_DURATION: Final = Instrument(
    "tta.websocket.connection.duration",
    "s",
    Kind.HISTOGRAM,
    "Time from a websocket's accept to its close, by close code",
    TTA_WEBSOCKET_DURATION_BUCKETS,
)
TTA_WEBSOCKET_CONNECTIONS_ACTIVE: Final = Instrument(
    "tta.websocket.connections.active",
    "{connection}",
    Kind.UP_DOWN_COUNTER,
    "Websocket connections accepted and not yet closed",
)
TTA_WEBSOCKET_MESSAGES: Final = Instrument(
    "tta.websocket.messages", "{message}", Kind.COUNTER, "Websocket data messages, by direction"
)
TTA_WEBSOCKET_IO: Final = Instrument("tta.websocket.io", "By", Kind.COUNTER, "Websocket payload bytes, by direction")

# Databases (tta_otel.instrumentation.neo4j and .redis): the database client conventions.
DB_CLIENT_DURATION_BUCKETS: Final = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0)
DB_CLIENT_OPERATION_DURATION: Final = Instrument(
    "db.client.operation.duration",
    "s",
    Kind.HISTOGRAM,
    "Duration of database client operations.",
    DB_CLIENT_DURATION_BUCKETS,
)
REDIS_CLIENT_OPERATION_DURATION: Final = Instrument(
    DB_CLIENT_OPERATION_DURATION.name,
    DB_CLIENT_OPERATION_DURATION.unit,
    DB_CLIENT_OPERATION_DURATION.kind,
    "Duration of Redis commands and pipelines",
    DB_CLIENT_DURATION_BUCKETS,
)
"""``db.client.operation.duration`` as the Redis instrumentation describes it: the same series."""
DB_CLIENT_CONNECTION_COUNT: Final = Instrument(
    "db.client.connection.count",
    "{connection}",
    Kind.UP_DOWN_COUNTER,
    "The number of connections that are currently in state described by the state attribute",
)
DB_CLIENT_CONNECTION_MAX: Final = Instrument(
    "db.client.connection.max",
    "{connection}",
    Kind.UP_DOWN_COUNTER,
    "The maximum number of open connections allowed",
)

# Dependency health (tta_otel.health): the periodic checks of Redis, Neo4j and registered dependencies.
TTA_DEPENDENCY_UP: Final = Instrument(
    "tta.dependency.up",
    "{status}",
    Kind.GAUGE,
    "1 when the dependency's last health check succeeded within its timeout, 0 otherwise",
)
"""An annotation unit, not ``1``: a 0/1 state is no ratio, and Prometheus stores it as
``tta_dependency_up`` (like its own ``up``), not ``tta_dependency_up_ratio``."""
TTA_DEPENDENCY_CHECK_DURATION: Final = Instrument(
    "tta.dependency.check.duration",
    "s",
    Kind.HISTOGRAM,
    "Duration of dependency health checks; a check that times out records the timeout",
    DB_CLIENT_DURATION_BUCKETS,
)

# Contrib instrumentations the dashboards and rules read (not created by tta_otel).
HTTP_SERVER_REQUEST_DURATION: Final = Instrument(
    "http.server.request.duration", "s", Kind.HISTOGRAM, "Duration of HTTP server requests."
)
"""opentelemetry-instrumentation-asgi/-fastapi, stable HTTP conventions."""
PROCESS_CPU_TIME: Final = Instrument(
    "process.cpu.time", "s", Kind.COUNTER, "Total CPU seconds broken down by different states."
)
"""opentelemetry-instrumentation-system-metrics."""
PROCESS_MEMORY_USAGE: Final = Instrument(
    "process.memory.usage", "By", Kind.UP_DOWN_COUNTER, "The amount of physical memory in use."
)
"""opentelemetry-instrumentation-system-metrics."""

# The native stack's supervisor (tta_otel.ops.stack.supervisor).
TTA_STACK_COMPONENT: Final = "tta.stack.component"
TTA_STACK_COMPONENT_RESTARTS: Final = Instrument(
    "tta.stack.component.restarts",
    "{restart}",
    Kind.COUNTER,
    "Times the supervisor started a native stack component again after it exited",
)

# Discovery: every process under the distro announces itself (tta_otel.configurator).
TTA_COMPONENT_INFO: Final = Instrument(
    "tta.component.info",
    "{process}",
    Kind.GAUGE,
    "1 for each running process of a TTA component, with its service.version: the heartbeat that "
    "status, the dashboards' variables and TTAComponentAbsent discover components by",
)

INSTRUMENTS: Final[tuple[Instrument, ...]] = tuple(
    value for value in list(globals().values()) if isinstance(value, Instrument)
)
"""Every instrument above, in order."""

# ---------------------------------------------------------------------------------------------
# The collector's own metrics: scraped from its :8888 as the collector serves them, with no OTLP
# translation (v0.159 and v0.161: counters without ``_total``). Queries match ``<name>(_total)?`` so that
# moving the collector's telemetry to OTLP, where Prometheus adds ``_total``, keeps them working.
# ---------------------------------------------------------------------------------------------

OTELCOL_SIGNAL_ITEMS: Final = {"spans": "traces", "metric_points": "metrics", "log_records": "logs"}
"""The suffix of each per-signal collector counter -> the signal it counts."""
OTELCOL_RECEIVER_ACCEPTED: Final = "otelcol_receiver_accepted"
OTELCOL_RECEIVER_REFUSED: Final = "otelcol_receiver_refused"
OTELCOL_EXPORTER_SENT: Final = "otelcol_exporter_sent"
OTELCOL_EXPORTER_SEND_FAILED: Final = "otelcol_exporter_send_failed"
OTELCOL_EXPORTER_ENQUEUE_FAILED: Final = "otelcol_exporter_enqueue_failed"
OTELCOL_PER_SIGNAL_COUNTERS: Final = (
    OTELCOL_RECEIVER_ACCEPTED,
    OTELCOL_RECEIVER_REFUSED,
    OTELCOL_EXPORTER_SENT,
    OTELCOL_EXPORTER_SEND_FAILED,
    OTELCOL_EXPORTER_ENQUEUE_FAILED,
)
"""Prefixes: each is served once per signal, ``<prefix>_<item>`` for every item of OTELCOL_SIGNAL_ITEMS."""
OTELCOL_PROCESSOR_INCOMING_ITEMS: Final = "otelcol_processor_incoming_items"
OTELCOL_PROCESSOR_OUTGOING_ITEMS: Final = "otelcol_processor_outgoing_items"
OTELCOL_EXPORTER_QUEUE_SIZE: Final = "otelcol_exporter_queue_size"
OTELCOL_EXPORTER_QUEUE_CAPACITY: Final = "otelcol_exporter_queue_capacity"
OTELCOL_RPC_SERVER_CALLS: Final = "rpc_server_call_duration_count"
"""The OTLP/gRPC receiver's calls, by ``rpc_response_status_code`` (``UNAUTHENTICATED``: no or a wrong token)."""
OTELCOL_METRICS: Final[frozenset[str]] = frozenset(
    {
        OTELCOL_RPC_SERVER_CALLS,
        *(f"{prefix}_{item}" for prefix in OTELCOL_PER_SIGNAL_COUNTERS for item in OTELCOL_SIGNAL_ITEMS),
        OTELCOL_PROCESSOR_INCOMING_ITEMS,
        OTELCOL_PROCESSOR_OUTGOING_ITEMS,
        OTELCOL_EXPORTER_QUEUE_SIZE,
        OTELCOL_EXPORTER_QUEUE_CAPACITY,
    }
)
"""Every collector metric the rules and dashboards read, as the collector serves it."""
