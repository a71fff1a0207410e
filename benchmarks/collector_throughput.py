"""Collector throughput: spans/s and log records/s on one core through the full processor
chain (memory_limiter, the three privacy processors, batch) against the same collector
with only ``batch``, driven by telemetrygen; and the collector's peak RSS.

The collector runs with GOMAXPROCS=1 pinned to one core, telemetrygen on the other; both
variants run in the same invocation, alternately, on ports of their own (so a running
stack is not disturbed). Throughput is read from the collector's own
``otelcol_receiver_accepted_*`` counters.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

from tta_otel.ops.secrets import CA_CERT, OTLP_TOKEN, SecretsDir
from tta_otel.ops.stack.components import components
from tta_otel.testing.processes import wait_until

REPO = Path(__file__).resolve().parents[1]
_PORTS = {"grpc": 24317, "http": 24318, "health": 23133, "metrics": 28888, "pprof": 21777, "zpages": 25679}
# Values that the privacy processors have to look at, as a real client would send.
_ATTRIBUTES = [
    'http.route="/players/{player_id}/scene"',
    'user_agent.original="Mozilla/5.0 (X11; Linux x86_64)"',
    'contact="write to jane.roe@example.org"',
    'player.id="2c1f6a1e-8d7e-4c55-9a43-0b7e1d7f6a10"',
]


def _accepted(kind: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{_PORTS['metrics']}/metrics", timeout=5) as response:
        text = response.read().decode()
    return sum(
        float(v) for v in re.findall(rf"^otelcol_receiver_accepted_{kind}(?:_total)?\{{[^}}]*\}} (\S+)$", text, re.M)
    )


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _run_variant(
    configs: list[Path], signal: str, seconds: float, state: Path, secrets: SecretsDir
) -> dict[str, float]:
    tools = components(REPO)
    env = {
        **os.environ,
        "GOMAXPROCS": "1",
        "TTA_COLLECTOR_OTLP_GRPC_ENDPOINT": f"127.0.0.1:{_PORTS['grpc']}",
        "TTA_COLLECTOR_OTLP_HTTP_ENDPOINT": f"127.0.0.1:{_PORTS['http']}",
        "TTA_COLLECTOR_HEALTH_ENDPOINT": f"127.0.0.1:{_PORTS['health']}",
        "TTA_COLLECTOR_METRICS_PORT": str(_PORTS["metrics"]),
        "TTA_COLLECTOR_PPROF_ENDPOINT": f"127.0.0.1:{_PORTS['pprof']}",
        "TTA_COLLECTOR_ZPAGES_ENDPOINT": f"127.0.0.1:{_PORTS['zpages']}",
        "TTA_COLLECTOR_STORAGE_DIR": str(state / "queues"),
        "TTA_SECRETS_DIR": str(secrets.path),
    }
    arguments = [arg for config in configs for arg in ("--config", str(config))]
    collector = subprocess.Popen(
        ["taskset", "-c", "1", str(tools["otelcol"].binary()), *arguments],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        if not wait_until(_health_ok, timeout=30):
            raise RuntimeError("the collector did not start")
        kind = "spans" if signal == "traces" else "log_records"
        before = _accepted(kind)
        started = time.monotonic()
        subprocess.run(
            [
                "taskset",
                "-c",
                "0",
                str(tools["telemetrygen"].binary()),
                signal,
                "--otlp-endpoint",
                f"127.0.0.1:{_PORTS['grpc']}",
                # TLS and the token as every client (the same cost in both variants)
                "--ca-cert",
                str(secrets.path / CA_CERT),
                "--otlp-header",
                f'authorization="Bearer {secrets.read(OTLP_TOKEN)}"',
                "--rate",
                "0",
                "--workers",
                "2",
                "--duration",
                f"{seconds}s",
                *[arg for attribute in _ATTRIBUTES for arg in ("--telemetry-attributes", attribute)],
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        elapsed = time.monotonic() - started
        time.sleep(1.5)
        return {"per_s": (_accepted(kind) - before) / elapsed, "peak_rss_mib": _peak_rss_mib(collector.pid)}
    finally:
        collector.terminate()
        collector.wait(timeout=30)


def _health_ok() -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{_PORTS['health']}/", timeout=1) as response:
            return int(response.status) == 200
    except OSError:
        return False


def measure(seconds: float = 8.0, rounds: int = 2) -> dict[str, Any]:
    import tempfile

    base = [REPO / "collector-config" / "otelcol.yaml", REPO / "collector-config" / "privacy.yaml"]
    overlay = REPO / "benchmarks" / "collector-overlay.yaml"
    variants = {
        "full_chain": [*base, overlay],
        "batch_only": [*base, overlay, REPO / "benchmarks" / "collector-batch-only.yaml"],
    }
    results: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as state:
        secrets = SecretsDir(Path(state) / "secrets")
        secrets.init()
        for signal in ("traces", "logs"):
            for _ in range(rounds):
                for name, configs in variants.items():
                    run = _run_variant(configs, signal, seconds, Path(state), secrets)
                    entry = results.setdefault(f"{signal}/{name}", {"per_s": [], "peak_rss_mib": []})
                    entry["per_s"].append(run["per_s"])
                    entry["peak_rss_mib"].append(run["peak_rss_mib"])
    summary = {
        key: {
            "per_s_median": round(statistics.median(v["per_s"]), 1),
            "peak_rss_mib_max": round(max(v["peak_rss_mib"]), 1),
        }
        for key, v in results.items()
    }
    return {
        "collector": summary,
        "ratio_full_chain_to_batch_only": {
            signal: round(
                summary[f"{signal}/full_chain"]["per_s_median"] / summary[f"{signal}/batch_only"]["per_s_median"], 3
            )
            for signal in ("traces", "logs")
        },
        "setup": {
            "collector_cores": 1,
            "generator": "telemetrygen, 2 workers, unthrottled",
            "seconds": seconds,
            "rounds": rounds,
        },
    }


if __name__ == "__main__":
    import json

    print(json.dumps(measure(), indent=2))
