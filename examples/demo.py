"""The demo: the stack, a TTA service under ``opentelemetry-instrument``, synthetic players,
and what reached each backend.

It makes the stack's secrets if they are missing (``tta-otel secrets init``: nothing is
overwritten), starts the native stack (collector, Prometheus, Alertmanager, Jaeger,
VictoriaLogs; see docs/stack.md), a throw-away redis-server and the example service with the
tta_otel distro exporting to the collector; plays a few synthetic players whose requests
carry planted personal data (Faker); then prints what each store received (metrics in
Prometheus, spans in Jaeger, log records in VictoriaLogs) and checks that no planted value
got there. The stack keeps running afterwards so that you can look; stop it with
``tta-otel stack down``.

    python -m examples.demo            # or: make demo
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
from faker import Faker

from examples.tta_service.traffic import PlantedData, play_instrumented
from tta_otel.ops.client_credentials import jaeger_auth, prometheus_auth, victorialogs_auth
from tta_otel.ops.secrets import Action, SecretsDir
from tta_otel.ops.stack.runner import URLS, Stack, client_environment
from tta_otel.ops.stores import JaegerClient, VictoriaLogsClient
from tta_otel.testing.neo4j_server import neo4j_server
from tta_otel.testing.processes import wait_until
from tta_otel.testing.stored import log_records_of_service, planted_in, spans_of_service, stored_text

REPO = Path(__file__).resolve().parents[1]
SERVICE = "tta-player-api"
_PLACEHOLDER = re.compile(r"\[REDACTED:([a-z0-9_]+)\]")


def _prometheus_series(instance: str) -> list[dict[str, str]]:
    """Every series this run's service instance produced."""
    selector = f'{{service_instance_id="{instance}"}}'
    response = httpx.get(
        f"{URLS['TTA_PROMETHEUS_URL']}/api/v1/series", auth=prometheus_auth(), params={"match[]": selector}, timeout=10
    )
    return list(response.json()["data"])


def _slowest_request(instance: str, jaeger: JaegerClient, logs: VictoriaLogsClient) -> dict[str, str] | None:
    """The slowest request of this run in Jaeger, with the pages that show it: its trace (Jaeger's
    API) and its log lines (VictoriaLogs's web UI)."""
    traces = jaeger.find(SERVICE, {"service.instance.id": instance}, limit=50)
    if not traces:
        return None
    slowest = max(traces, key=lambda trace: max(span["duration"] for span in trace["spans"]))
    trace_id = str(slowest["traceID"]).zfill(32)
    return {
        "trace_id": trace_id,
        "milliseconds": f"{max(span['duration'] for span in slowest['spans']) / 1000:.1f}",
        "trace": jaeger.trace_url(trace_id),
        "log_lines": logs.ui_url(f'trace_id:="{trace_id}"'),
    }


def _summary(
    instance: str, planted: list[PlantedData], jaeger: JaegerClient, logs: VictoriaLogsClient
) -> dict[str, Any]:
    spans = spans_of_service(jaeger, SERVICE, instance)
    records = log_records_of_service(logs, SERVICE, instance)
    series = _prometheus_series(instance)
    stored = stored_text([spans, records, series])
    leaked = sorted({name for player in planted for name in planted_in(stored, player.secrets())})
    return {
        "prometheus": {"series": len(series), "metrics": sorted({s["__name__"] for s in series})[:8]},
        "jaeger": {"spans": len(spans), "traces": len({span["traceID"] for span in spans})},
        "victorialogs": {"log_records": len(records)},
        "redactions": dict(collections.Counter(_PLACEHOLDER.findall(stored)).most_common()),
        "planted_values": sum(len(player.secrets()) for player in planted),
        "slowest_request": _slowest_request(instance, jaeger, logs),
        "leaked": leaked,
        "where_to_look": {
            "prometheus": f"{URLS['TTA_PROMETHEUS_URL']}/api/v1/query?query=http_server_request_duration_seconds_count",
            "alertmanager": URLS["TTA_ALERTMANAGER_URL"],
            "jaeger": URLS["TTA_JAEGER_URL"] + "/api/services",
            "victorialogs": URLS["TTA_VICTORIALOGS_URL"] + "/select/vmui/",
            "credentials": 'eval "$(tta-otel stack env)" (the endpoints, token, CA and password files)',
            "stop": "tta-otel stack down",
        },
    }


def _print(summary: dict[str, Any]) -> None:
    print("\nWhat reached the backends (after tta_otel's redaction and the collector's):")
    prometheus = summary["prometheus"]
    print(f"  Prometheus:   {prometheus['series']} series ({', '.join(prometheus['metrics'])}, ...)")
    print(f"  Jaeger:       {summary['jaeger']['spans']} spans in {summary['jaeger']['traces']} traces")
    print(f"  VictoriaLogs: {summary['victorialogs']['log_records']} log records")
    print("  redactions:   " + ", ".join(f"{kind} x{count}" for kind, count in summary["redactions"].items()))
    verdict = ", ".join(summary["leaked"]) or "none"
    print(f"  planted personal values: {summary['planted_values']}, found in any backend: {verdict}")
    slowest = summary["slowest_request"]
    if slowest:
        print(f"\nThe slowest request ({slowest['milliseconds']} ms), trace {slowest['trace_id']}:")
        print(f"  its trace (Jaeger):           {slowest['trace']}")
        print(f"  its log lines (VictoriaLogs): {slowest['log_lines']}")
    print("\nWhere to look:")
    for name, where in summary["where_to_look"].items():
        print(f"  {name}: {where}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--players", type=int, default=5)
    parser.add_argument("--state-dir", type=Path, default=REPO / "state")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    fake = Faker()
    planted = [PlantedData.generate(fake) for _ in range(args.players)]
    secrets = SecretsDir()
    if any(outcome.action is Action.CREATED for outcome in secrets.init()):
        print(f"Made the stack's secrets in {secrets.path} (as `tta-otel secrets init` does)")
    os.environ.update(client_environment(secrets))  # what `eval "$(tta-otel stack env)"` sets
    stack = Stack(REPO, args.state_dir, secrets)
    instance = str(uuid.uuid4())
    print(f"Starting the stack in {stack.state_dir} ...")
    stack.up()
    print("Starting Neo4j, then the example service under opentelemetry-instrument, and playing ...")
    with neo4j_server() as graph:
        play_instrumented(
            planted,
            URLS["TTA_OTLP_GRPC_ENDPOINT"],
            instance,
            "demo",
            neo4j_uri=graph.uri,
            OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST=".*",
        )
    print(f"Played {len(planted)} synthetic players; waiting for the backends ...")
    jaeger = JaegerClient(URLS["TTA_JAEGER_URL"], jaeger_auth())
    logs = VictoriaLogsClient(URLS["TTA_VICTORIALOGS_URL"], victorialogs_auth())
    wait_until(lambda: bool(_prometheus_series(instance)), timeout=30)
    wait_until(lambda: bool(log_records_of_service(logs, SERVICE, instance)), timeout=30)
    wait_until(lambda: bool(spans_of_service(jaeger, SERVICE, instance)), timeout=30)
    summary = _summary(instance, planted, jaeger, logs)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        _print(summary)
    return 1 if summary["leaked"] else 0


if __name__ == "__main__":
    sys.exit(main())
