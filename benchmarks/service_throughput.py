"""Request throughput of the example service (FastAPI + Redis): bare, with the stock
``opentelemetry-distro``, and with ``tta_otel``, all in one run.

Each configuration serves the same endpoint (a Redis INCRBY and SET, and one log line)
under the same closed-loop load; rounds are interleaved so that drift on a noisy machine
hits every configuration alike. Both instrumented configurations export over OTLP/HTTP to
the same in-memory receiver, each with its own defaults. The figure that matters is the
ratio ``tta_otel / stock`` (target: at least 0.95). The stock distro's defaults export no Python
logs and tta_otel's do, so the stock distro also runs with its logging handler switched on
(``stock_distro_with_logs``): the same three signals, without the privacy layer.
"""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tta_otel.testing.otlp_sink import OtlpSink
from tta_otel.testing.processes import instrumented_service, redis_server

REPO = Path(__file__).resolve().parents[1]


def _configurations(sink: OtlpSink, redis_url: str) -> dict[str, tuple[dict[str, str], bool]]:
    common = {
        "TTA_REDIS_URL": redis_url,
        "OTEL_EXPORTER_OTLP_ENDPOINT": sink.endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
    }
    return {
        "bare": ({"TTA_REDIS_URL": redis_url}, False),
        "stock_distro": (
            {
                **common,
                "OTEL_PYTHON_DISTRO": "distro",
                "OTEL_PYTHON_CONFIGURATOR": "configurator",
                "OTEL_SERVICE_NAME": "tta-player-api",
            },
            True,
        ),
        # The stock distro exports no Python logs unless told to; tta_otel does by default. This
        # configuration does the same job as tta_otel (traces, metrics and logs), without privacy.
        "stock_distro_with_logs": (
            {
                **common,
                "OTEL_PYTHON_DISTRO": "distro",
                "OTEL_PYTHON_CONFIGURATOR": "configurator",
                "OTEL_SERVICE_NAME": "tta-player-api",
                "OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED": "true",
            },
            True,
        ),
        "tta_otel": (
            {
                **common,
                "OTEL_PYTHON_DISTRO": "tta_otel",
                "OTEL_PYTHON_CONFIGURATOR": "tta_otel",
                "TTA_COMPONENT": "player-api",
                "TTA_PSEUDONYM_KEY": "a synthetic benchmark key of 32 bytes or more",
                "TTA_CONFIG": "/nonexistent/tta_config.yaml",
            },
            True,
        ),
    }


def _load(url: str, seconds: float, clients: int) -> float:
    """Closed-loop load from ``clients`` threads for ``seconds``; returns requests per second."""
    counts = [0] * clients
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        with httpx.Client(base_url=url, timeout=10) as session:
            while time.monotonic() < stop:
                response = session.get(f"/players/p-{index}/scene", params={"email": f"p{index}@example.org"})
                response.raise_for_status()
                counts[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started)


def measure(rounds: int = 3, seconds: float = 6.0, warmup: float = 1.5, clients: int = 4) -> dict[str, Any]:
    results: dict[str, list[float]] = {}
    with redis_server() as redis_url, OtlpSink() as sink:
        configurations = _configurations(sink, redis_url)
        for _ in range(rounds):
            for name, (env, instrument) in configurations.items():
                with instrumented_service(env, cwd=REPO, instrument=instrument) as service:
                    _load(service.url, warmup, clients)
                    results.setdefault(name, []).append(_load(service.url, seconds, clients))
    median = {name: statistics.median(values) for name, values in results.items()}
    return {
        "requests_per_s_median": {name: round(value, 1) for name, value in median.items()},
        "requests_per_s_rounds": {name: [round(v, 1) for v in values] for name, values in results.items()},
        "ratio_tta_otel_to_stock": round(median["tta_otel"] / median["stock_distro"], 3),
        "ratio_tta_otel_to_stock_with_logs": round(median["tta_otel"] / median["stock_distro_with_logs"], 3),
        "ratio_tta_otel_to_bare": round(median["tta_otel"] / median["bare"], 3),
        "ratio_stock_to_bare": round(median["stock_distro"] / median["bare"], 3),
        "load": {"rounds": rounds, "seconds": seconds, "clients": clients, "endpoint": "/players/{id}/scene"},
        "target": {"ratio_tta_otel_to_stock": 0.95, "ratio_tta_otel_to_stock_with_logs": 0.95},
    }


if __name__ == "__main__":
    import json

    print(json.dumps(measure(), indent=2))
