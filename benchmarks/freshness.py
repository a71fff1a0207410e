"""Freshness: how long after a span ends, a log call returns or a counter moves in a TTA
service the data is queryable in its store, through the real native stack.

The service side is tta_otel's own configuration (the same code ``opentelemetry-instrument``
runs) with its defaults: 1 s batch delays, a metric export every 5 s. Stores: Prometheus
(a PromQL query) for metrics; for spans and logs, the collector's files, because Loki and
Tempo cannot run here (see docs/stack.md). Also measures ``tta-otel stack up`` with
cached binaries. Target: p95 under 5 s. Each sample starts at a random moment of the
metric export cycle, as real updates do.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_s": round(statistics.median(ordered), 2),
        "p95_s": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 2),
        "max_s": round(ordered[-1], 2),
    }


def _wait_for(check: Any, timeout: float = 30.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic()
        time.sleep(0.05)
    return float("inf")


def measure(samples: int = 10) -> dict[str, Any]:
    from opentelemetry import metrics, trace

    from tta_otel.config import load_config
    from tta_otel.configurator import configure_telemetry
    from tta_otel.ops.client_credentials import prometheus_auth
    from tta_otel.ops.secrets import SecretsDir
    from tta_otel.ops.stack.runner import URLS, Stack, client_environment

    with tempfile.TemporaryDirectory() as state:
        secrets = SecretsDir(Path(state) / "secrets")
        secrets.init()
        stack = Stack(REPO, Path(state), secrets)
        started = time.monotonic()
        stack.up()
        stack_up_s = time.monotonic() - started
        os.environ.update(
            {
                **client_environment(secrets),  # the token file and the CA, as `tta-otel stack env` gives them
                "OTEL_EXPORTER_OTLP_ENDPOINT": URLS["TTA_OTLP_GRPC_ENDPOINT"],
                "TTA_PSEUDONYM_KEY": "a synthetic benchmark key of 32 bytes or more",
            }
        )
        config = Path(state) / "tta_config.yaml"
        config.write_text("monitoring:\n  component: freshness-probe\n")
        telemetry = configure_telemetry(load_config(config))
        assert telemetry is not None
        import logging

        from opentelemetry.instrumentation.logging.handler import LoggingHandler

        logger = logging.getLogger("freshness")
        logger.addHandler(LoggingHandler(logger_provider=telemetry.logger_provider))
        logger.propagate = False
        tracer = trace.get_tracer("freshness")
        counter = metrics.get_meter("freshness").create_counter("tta.freshness.probe")
        results: dict[str, list[float]] = {"span_to_store": [], "log_to_store": [], "metric_to_prometheus": []}
        files = Path(state) / "otel-collector"
        try:
            jitter = random.Random(5)
            for _ in range(samples):
                # Updates happen at any moment of the 5 s export cycle, not just after an export.
                time.sleep(jitter.uniform(0, 5))
                marker = uuid.uuid4().hex
                with tracer.start_as_current_span(f"probe-{marker}"):
                    pass
                span_ended = time.monotonic()
                logger.warning("probe %s", marker)
                logged = time.monotonic()
                counter.add(1, {"probe": marker})
                counted = time.monotonic()

                def in_file(name: str, marker: str = marker) -> bool:
                    path = files / name
                    return path.exists() and marker in path.read_text()

                def in_prometheus(marker: str = marker) -> bool:
                    response = httpx.get(
                        f"{URLS['TTA_PROMETHEUS_URL']}/api/v1/query",
                        auth=prometheus_auth(),
                        params={"query": f'tta_freshness_probe_total{{probe="{marker}"}}'},
                        timeout=5,
                    )
                    return bool(response.json()["data"]["result"])

                results["span_to_store"].append(_wait_for(lambda: in_file("traces.jsonl")) - span_ended)
                results["log_to_store"].append(_wait_for(lambda: in_file("logs.jsonl")) - logged)
                results["metric_to_prometheus"].append(_wait_for(in_prometheus) - counted)
        finally:
            telemetry.shutdown()
            stack.down()
    return {
        **{name: _percentiles(values) for name, values in results.items()},
        "stack_up_with_cached_binaries_s": round(stack_up_s, 2),
        "samples": samples,
        "target": {"p95_s": 5.0},
    }


if __name__ == "__main__":
    import json

    print(json.dumps(measure(), indent=2))
