"""A service under tta_otel while its collector is down, against the same service with the
collector up, in one run.

The example service (FastAPI + Redis) is loaded for ``seconds`` (60 by default, as long as the
outage the reliability tests use) in each configuration, rounds interleaved: "up" exports to an
in-memory OTLP receiver, "down" to a port where nothing listens. Reported: requests per second,
the ratio down/up (target: at least 0.95), and the service's resident memory sampled every second
(peak and the slope over the second half of the run, bytes per second: bounded memory shows as a
slope near zero once the SDK's queues are full and drop, counted as ``queue_full``).
"""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.service_throughput import _load
from tta_otel.testing.otlp_sink import OtlpSink
from tta_otel.testing.processes import free_port, instrumented_service, redis_server

REPO = Path(__file__).resolve().parents[1]


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _slope(samples: list[tuple[float, int]]) -> float:
    """Least-squares slope of (time, bytes), bytes per second."""
    times, sizes = [t for t, _ in samples], [s for _, s in samples]
    mean_t, mean_s = statistics.fmean(times), statistics.fmean(sizes)
    spread = sum((t - mean_t) ** 2 for t in times)
    return sum((t - mean_t) * (s - mean_s) for t, s in samples) / spread if spread else 0.0


def _run(env: dict[str, str], seconds: float, clients: int) -> dict[str, float]:
    with instrumented_service(env, cwd=REPO) as service:
        _load(service.url, 2.0, clients)
        samples: list[tuple[float, int]] = []
        done = threading.Event()

        def sample() -> None:
            started = time.monotonic()
            while not done.wait(1.0):
                samples.append((time.monotonic() - started, _rss_bytes(service.process.pid)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        rate = _load(service.url, seconds, clients)
        done.set()
        sampler.join()
    second_half = samples[len(samples) // 2 :]
    return {
        "requests_per_s": rate,
        "rss_peak_mib": max(s for _, s in samples) / 2**20,
        "rss_slope_kib_per_s_second_half": _slope(second_half) / 1024 if len(second_half) > 1 else 0.0,
    }


def measure(rounds: int = 2, seconds: float = 60.0, clients: int = 4) -> dict[str, Any]:
    results: dict[str, list[dict[str, float]]] = {"up": [], "down": []}
    with redis_server() as redis_url, OtlpSink() as sink:
        common = {
            "TTA_REDIS_URL": redis_url,
            "OTEL_PYTHON_DISTRO": "tta_otel",
            "OTEL_PYTHON_CONFIGURATOR": "tta_otel",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "TTA_COMPONENT": "player-api",
            "TTA_PSEUDONYM_KEY": "a synthetic benchmark key of 32 bytes or more",
            "TTA_CONFIG": "/nonexistent/tta_config.yaml",
        }
        endpoints = {"up": sink.endpoint, "down": f"http://127.0.0.1:{free_port()}"}
        for _ in range(rounds):
            for name, endpoint in endpoints.items():
                results[name].append(_run({**common, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}, seconds, clients))
    median = {
        name: {key: round(statistics.median(run[key] for run in runs), 2) for key in runs[0]}
        for name, runs in results.items()
    }
    return {
        "median": median,
        "ratio_down_to_up_requests_per_s": round(median["down"]["requests_per_s"] / median["up"]["requests_per_s"], 3),
        "load": {"rounds": rounds, "seconds": seconds, "clients": clients},
        "target": {"ratio_down_to_up_requests_per_s": 0.95, "rss": "bounded: a slope near zero in the second half"},
    }


if __name__ == "__main__":
    import json
    import sys

    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    print(json.dumps(measure(seconds=seconds), indent=2))
