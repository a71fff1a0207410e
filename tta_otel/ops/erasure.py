"""Erasure on request: find, and where the store can, delete what telemetry holds of one person.

Telemetry never holds a person's identifier: both privacy layers replace it by a pseudonym, the
keyed hash ``psn_<key id>_<hex>`` (``tta_otel.privacy.pseudonym``). So a subject is looked for by
their pseudonyms under every key on record - every line of the services' key file (current and
previous keys) and the collector's key - and, in case a service logged it in free text, by the
identifier itself. Per store:

- **VictoriaLogs** (logs, native): records whose identifier fields (those the policy pseudonymises,
  as the store names them) hold a pseudonym, or whose message holds the identifier, are counted
  and, with ``apply``, deleted (``/delete/run_task``; VictoriaLogs runs with ``-delete.enable``),
  then counted again.
- **Prometheus** (metrics): identifiers never become metric labels, so no series is the subject's;
  every label value is read to prove it (a value found would be reported, and is a bug).
- **Jaeger** (traces, native): it cannot delete single traces; the traces found are reported with
  the retention bound after which they are gone.
- **Loki and Tempo** (compose) are not reached by this command: Loki's compactor deletes by a
  LogQL selector (its delete API), Tempo only by retention; docs/privacy.md says how.

The subject's identifier is never printed, logged or written to the audit trail: the report and
the audit record name the subject by the pseudonym under the current key.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from tta_otel import audit_log
from tta_otel.environment_variables import TTA_COLLECTOR_PSEUDONYM_KEY_ID
from tta_otel.ops.reports.prometheus import PrometheusClient
from tta_otel.ops.secrets import COLLECTOR_PSEUDONYM_KEY, PSEUDONYM_KEYS, SecretsDir
from tta_otel.ops.stores import JaegerClient, VictoriaLogsClient
from tta_otel.ops.stores.victorialogs import logsql_string
from tta_otel.privacy import KeyAction, Pseudonymizer, PseudonymKey, Redactor, load_policy
from tta_otel.privacy.pseudonym import parse_key_list

TRACE_RETENTION = timedelta(days=14)
"""Jaeger's retention when no ``retention.yaml`` says otherwise (its ``traces`` class): the
bound for spans it cannot delete."""
_DELETE_WAIT_S = 60.0
_PARALLEL_SEARCHES = 8
_DEFAULT_COLLECTOR_KEY_ID = "collector"


@dataclass(frozen=True)
class StoreResult:
    store: str
    found: int
    deleted: int = 0
    note: str = ""


@dataclass(frozen=True)
class ErasureReport:
    subject: str  # the pseudonym under the current key, never the identifier
    applied: bool
    stores: list[StoreResult] = field(default_factory=list)

    def as_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def _keys_on_record(secrets: SecretsDir, collector_key_id: str | None) -> list[PseudonymKey]:
    """The services' keys (current first), then the collector's."""
    keys = list(parse_key_list(secrets.read(PSEUDONYM_KEYS), str(secrets.path_of(PSEUDONYM_KEYS))))
    collector_secret = secrets.read(COLLECTOR_PSEUDONYM_KEY).strip().encode()
    key_id = collector_key_id or os.environ.get(TTA_COLLECTOR_PSEUDONYM_KEY_ID) or _DEFAULT_COLLECTOR_KEY_ID
    keys.append(PseudonymKey(key_id, collector_secret))
    return keys


def pseudonyms(identifier: str, secrets: SecretsDir, collector_key_id: str | None = None) -> list[str]:
    """The subject's pseudonym under every key on record: the services' keys, then the collector's."""
    return [Pseudonymizer(key).pseudonymize(identifier) for key in _keys_on_record(secrets, collector_key_id)]


def _identifier_fields(logs: VictoriaLogsClient, redactor: Redactor) -> list[str]:
    """The log store's field names that hold pseudonyms: those the policy pseudonymises."""
    return [name for name in logs.field_names() if redactor.decide(name).action is KeyAction.PSEUDONYMIZE]


def subject_filter(fields: Iterable[str], needles: list[str], identifier: str) -> str:
    """LogsQL selecting the subject's records: a pseudonym in an identifier field, or the
    identifier anywhere in the message (a service that logged it)."""
    terms = [f"{logsql_string(name)}:={logsql_string(needle)}" for name in fields for needle in needles]
    terms.append(f"_msg:{logsql_string(identifier)}")
    return "(" + " OR ".join(terms) + ")"


def _erase_logs(logs: VictoriaLogsClient, logsql: str, apply: bool) -> StoreResult:
    found = logs.count(logsql)
    if not apply or found == 0:
        return StoreResult("victorialogs", found, note="" if apply else "dry run: --apply deletes them")
    task = logs.delete(logsql)
    deadline = time.monotonic() + _DELETE_WAIT_S
    while logs.delete_running(task) and time.monotonic() < deadline:
        time.sleep(0.5)
    left = logs.count(logsql)
    return StoreResult(
        "victorialogs", found, found - left, "" if left == 0 else f"{left} not deleted yet (task {task})"
    )


def _check_metrics(prometheus: PrometheusClient, needles: list[str], identifier: str) -> StoreResult:
    carried = [
        name
        for name, values in prometheus.label_values().items()
        if any(needle in value for value in values for needle in (*needles, identifier))
    ]
    if carried:
        return StoreResult("prometheus", len(carried), note=f"labels {', '.join(carried)} carry the subject: a bug")
    return StoreResult("prometheus", 0, note="no label value carries the subject: metrics hold no per-person series")


def _check_traces(
    jaeger: JaegerClient, fields: list[str], needles: list[str], now: datetime, retention: timedelta
) -> StoreResult:
    """Jaeger searches by service and exact tag: one query per service, field and pseudonym, a few
    at a time (each waits on Jaeger's storage, not on this process), over its whole retention."""
    lookback = f"{max(1, int(retention.total_seconds() // 3600))}h"
    searches = [(service, {name: needle}) for service in jaeger.services() for name in fields for needle in needles]
    with ThreadPoolExecutor(max_workers=_PARALLEL_SEARCHES) as pool:
        answers = pool.map(lambda search: jaeger.find(search[0], search[1], lookback, 1000), searches)
        found = {str(trace["traceID"]) for traces in answers for trace in traces}
    gone_by = (now + retention).date().isoformat()
    return StoreResult(
        "jaeger", len(found), note=f"Jaeger cannot delete traces: they are gone by {gone_by} (retention)"
    )


def erase(
    identifier: str,
    secrets: SecretsDir,
    logs: VictoriaLogsClient,
    prometheus: PrometheusClient,
    jaeger: JaegerClient,
    *,
    apply: bool = False,
    collector_key_id: str | None = None,
    trace_retention: timedelta = TRACE_RETENTION,
) -> ErasureReport:
    """Find (and with ``apply``, delete) the subject's telemetry in every native store.
    ``trace_retention``: how long Jaeger keeps spans (the ``traces`` class of ``retention.yaml``)."""
    keys = _keys_on_record(secrets, collector_key_id)
    needles = [Pseudonymizer(key).pseudonymize(identifier) for key in keys]
    fields = _identifier_fields(logs, Redactor(load_policy(), Pseudonymizer(keys[0])))
    report = ErasureReport(
        needles[0],
        apply,
        [
            _erase_logs(logs, subject_filter(fields, needles, identifier), apply),
            _check_metrics(prometheus, needles, identifier),
            _check_traces(jaeger, fields, needles, datetime.now(UTC), trace_retention),
        ],
    )
    if apply:
        deleted = sum(store.deleted for store in report.stores)
        audit_log.record("erasure", report.subject, after=audit_log.digest_of(f"deleted={deleted}"))
    return report


__all__ = ["TRACE_RETENTION", "ErasureReport", "StoreResult", "erase", "pseudonyms", "subject_filter"]
