"""Request throughput of the example service (FastAPI + Redis): bare, with the stock
``opentelemetry-distro``, and with ``tta_otel``, all in one run.

Each configuration serves the same endpoint (a Redis INCRBY and SET, and one log line)
under the same closed-loop load; rounds are interleaved so that drift on a noisy machine
hits every configuration alike. Both instrumented configurations export over OTLP/HTTP to
the same in-memory receiver, each with its own defaults. The figure that matters is the
ratio ``tta_otel / stock`` (target: at least 0.95). Requests per second swing with whatever
else the machine runs, so each configuration's CPU time per request (the service process's own
user and system time, from ``/proc``) is reported too, with the same ratio taken from it
(``stock / tta_otel``). Every ratio is the median of the rounds' own ratios (``_paired``).
The stock distro's defaults export no Python logs and tta_otel's do, so the stock distro
also runs with its logging handler switched on (``stock_distro_with_logs``): the same three
signals, without the privacy layer.
"""

from __future__ import annotations

import os
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


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (Linux ``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load(url: str, seconds: float, clients: int) -> float:
    """Closed-loop load from ``clients`` threads for ``seconds``; returns requests per second."""
    requests, elapsed = _served(url, seconds, clients)
    return requests / elapsed


def _served(url: str, seconds: float, clients: int) -> tuple[int, float]:
    """Closed-loop load from ``clients`` threads for ``seconds``: (requests served, seconds taken)."""
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
    return sum(counts), time.monotonic() - started


def _paired(rounds: dict[str, list[float]], numerator: str, denominator: str) -> float:
    """The median over rounds of one round's ratio: configurations measured back to back in a
    round share the machine's state, so a slow stretch does not favour either."""
    return round(statistics.median(a / b for a, b in zip(rounds[numerator], rounds[denominator], strict=True)), 3)


def measure(rounds: int = 5, seconds: float = 5.0, warmup: float = 1.5, clients: int = 4) -> dict[str, Any]:
    rates: dict[str, list[float]] = {}
    cpu_ms: dict[str, list[float]] = {}
    with redis_server() as redis_url, OtlpSink() as sink:
        configurations = _configurations(sink, redis_url)
        for _ in range(rounds):
            for name, (env, instrument) in configurations.items():
                with instrumented_service(env, cwd=REPO, instrument=instrument) as service:
                    _load(service.url, warmup, clients)
                    cpu_before = _cpu_seconds(service.process.pid)
                    requests, elapsed = _served(service.url, seconds, clients)
                    cpu_ms.setdefault(name, []).append(
                        (_cpu_seconds(service.process.pid) - cpu_before) * 1e3 / requests
                    )
                    rates.setdefault(name, []).append(requests / elapsed)
    return {
        "ratio_tta_otel_to_stock": _paired(rates, "tta_otel", "stock_distro"),
        "ratio_tta_otel_to_stock_with_logs": _paired(rates, "tta_otel", "stock_distro_with_logs"),
        "ratio_tta_otel_to_bare": _paired(rates, "tta_otel", "bare"),
        "ratio_stock_to_bare": _paired(rates, "stock_distro", "bare"),
        "cpu_ratio_stock_to_tta_otel": _paired(cpu_ms, "stock_distro", "tta_otel"),
        "cpu_ratio_stock_with_logs_to_tta_otel": _paired(cpu_ms, "stock_distro_with_logs", "tta_otel"),
        "requests_per_s_median": {name: round(statistics.median(values), 1) for name, values in rates.items()},
        "requests_per_s_rounds": {name: [round(v, 1) for v in values] for name, values in rates.items()},
        "service_cpu_ms_per_request_median": {
            name: round(statistics.median(values), 3) for name, values in cpu_ms.items()
        },
        "load": {"rounds": rounds, "seconds": seconds, "clients": clients, "endpoint": "/players/{id}/scene"},
        "target": {"ratio_tta_otel_to_stock": 0.95, "ratio_tta_otel_to_stock_with_logs": 0.95},
    }


if __name__ == "__main__":
    import json

    print(json.dumps(measure(), indent=2))
