"""The demo: a TTA service under ``opentelemetry-instrument``, synthetic players, and what
the service exports.

It starts a throw-away redis-server, an OTLP receiver on loopback, and the example
service with the tta_otel distro; plays a few synthetic players whose requests carry
planted personal data (Faker); then prints what was exported - spans, log records,
metrics, the redactions made - and checks that no planted value left the process.

    python -m examples.demo            # or: make demo
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import tempfile
from pathlib import Path

from faker import Faker

from examples.tta_service.traffic import PlantedData, play
from tta_otel.devtools.otlp_sink import OtlpSink, Received, attributes
from tta_otel.devtools.processes import instrumented_service, redis_server, wait_until

REPO = Path(__file__).resolve().parents[1]
_PLACEHOLDER = re.compile(r"\[REDACTED:([a-z0-9_]+)\]")


def _summary(received: Received, planted: list[PlantedData]) -> dict[str, object]:
    text = received.as_text()
    leaked = sorted({name for player in planted for name, value in player.secrets().items() if value in text})
    log_bodies = [record.body.string_value for _, record in received.log_records()]
    return {
        "spans": sum(1 for _ in received.spans()),
        "redis_spans": sum(
            1 for _, span in received.spans() if attributes(span.attributes).get("db.system.name") == "redis"
        ),
        "log_records": len(log_bodies),
        "metrics": sorted(received.metric_names()),
        "redactions": dict(collections.Counter(_PLACEHOLDER.findall(text)).most_common()),
        "planted_values": sum(len(player.secrets()) for player in planted),
        "leaked": leaked,
        "example_log_lines": [body for body in log_bodies if "REDACTED" in body][:3],
    }


def _print(summary: dict[str, object]) -> None:
    print("\nWhat the service exported (after tta_otel's redaction):")
    print(f"  spans:        {summary['spans']} ({summary['redis_spans']} of them Redis commands)")
    print(f"  log records:  {summary['log_records']}")
    print(f"  metrics:      {len(summary['metrics'])} ({', '.join(summary['metrics'][:6])}, ...)")  # type: ignore[index, arg-type]
    print("  redactions:   " + ", ".join(f"{k} x{v}" for k, v in summary["redactions"].items()))  # type: ignore[attr-defined]
    print("  example log lines as exported:")
    for line in summary["example_log_lines"]:  # type: ignore[attr-defined]
        print(f"    {line}")
    verdict = "none" if not summary["leaked"] else ", ".join(summary["leaked"])  # type: ignore[arg-type]
    print(f"  planted personal values: {summary['planted_values']}, found in the telemetry: {verdict}")
    print("\nNext: `make test` runs the tests; README.md explains the configuration.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--players", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    fake = Faker()
    planted = [PlantedData.generate(fake) for _ in range(args.players)]
    with tempfile.TemporaryDirectory() as workdir, redis_server() as redis_url, OtlpSink() as sink:
        config = Path(workdir) / "tta_config.yaml"
        config.write_text("monitoring:\n  component: player-api\n  repository: tta.dev\n  environment: demo\n")
        env = {
            "OTEL_PYTHON_DISTRO": "tta_otel",
            "OTEL_PYTHON_CONFIGURATOR": "tta_otel",
            "OTEL_EXPORTER_OTLP_ENDPOINT": sink.endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST": ".*",
            "TTA_CONFIG": str(config),
            "TTA_REDIS_URL": redis_url,
            "TTA_PSEUDONYM_KEY": "demo-only synthetic key",
        }
        print(f"Starting the example service under opentelemetry-instrument (OTLP to {sink.endpoint}) ...")
        with instrumented_service(env, cwd=REPO) as service:
            for player in planted:
                play(service.url, player)
            print(f"Played {len(planted)} synthetic players against {service.url}; waiting for metrics ...")
            wait_until(lambda: "http.server.request.duration" in sink.received.metric_names(), timeout=15)
            service.stop()
        summary = _summary(sink.received, planted)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        _print(summary)
    return 1 if summary["leaked"] else 0


if __name__ == "__main__":
    sys.exit(main())
