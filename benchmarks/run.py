"""Runs every benchmark and prints one JSON document (``make bench``)."""

from __future__ import annotations

import json
import os
import platform
import sys

from benchmarks import (
    ai_and_carbon,
    archive,
    collector_down,
    collector_throughput,
    dependency_down,
    freshness,
    gpu_collection,
    long_term,
    neo4j_overhead,
    privacy_corpora,
    redaction,
    redis_overhead,
    service_throughput,
    status_latency,
)


def main() -> int:
    report = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "redaction": redaction.measure(),
        "privacy_corpora": privacy_corpora.measure(),
        "service_throughput": service_throughput.measure(),
        "collector_down": collector_down.measure(),
        "collector_throughput": collector_throughput.measure(),
        "freshness": freshness.measure(),
        "dependency_down": dependency_down.measure(),
        "status_latency": status_latency.measure(),
        "ai_and_carbon": ai_and_carbon.measure(),
        "gpu_collection": gpu_collection.measure(),
        "redis_overhead": redis_overhead.measure(),
        "neo4j_overhead": neo4j_overhead.measure(),
        "long_term": long_term.measure(),
        "archive": archive.measure(),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
