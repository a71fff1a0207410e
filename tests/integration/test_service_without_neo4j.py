"""Specification: a service without the ``neo4j`` driver starts under the distro, without the
Neo4j instrumentor, and ``opentelemetry-instrument`` says why at DEBUG.

The service runs in a child interpreter whose site-packages is this environment's minus
``neo4j`` (a folder of links to every other entry), so the driver is genuinely absent: neither
importable nor in the package metadata.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SERVICE = textwrap.dedent(
    """
    import importlib.util
    import logging
    import sys

    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    from opentelemetry.instrumentation.auto_instrumentation import initialize

    initialize()
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    app = FastAPI()

    @app.get("/scene")
    def scene() -> dict[str, str]:
        return {"scene": "harbour"}

    print("neo4j importable:", importlib.util.find_spec("neo4j") is not None)
    print("GET /scene:", TestClient(app).get("/scene").status_code)
    """
)


def _site_packages_without_neo4j(folder: Path) -> Path:
    folder.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if entry.name == "neo4j" or entry.name.lower().startswith("neo4j-"):
            continue
        (folder / entry.name).symlink_to(entry)
    return folder


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    site = _site_packages_without_neo4j(tmp_path_factory.mktemp("env") / "site-packages")
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("OTEL_", "TTA_"))}
    environment.update(
        {
            # -S: no site processing, so only the filtered folder and the checkout are on the path.
            "PYTHONPATH": os.pathsep.join([str(site), str(REPO)]),
            "OTEL_PYTHON_DISTRO": "tta_otel",
            "OTEL_PYTHON_CONFIGURATOR": "tta_otel",
            "OTEL_TRACES_EXPORTER": "none",
            "OTEL_METRICS_EXPORTER": "none",
            "OTEL_LOGS_EXPORTER": "none",
            "TTA_PSEUDONYM_KEY": "a synthetic key for a test, 32 bytes or more",
            "TTA_CONFIG": str(REPO / "no-such-tta_config.yaml"),
        }
    )
    return subprocess.run(
        [sys.executable, "-S", "-c", SERVICE],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
        cwd=REPO,
    )


def test_the_service_starts_and_serves(run: subprocess.CompletedProcess[str]) -> None:
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.splitlines() == ["neo4j importable: False", "GET /scene: 200"]


def test_the_neo4j_instrumentor_is_skipped_with_the_reason_at_debug(run: subprocess.CompletedProcess[str]) -> None:
    lines = [line for line in run.stderr.splitlines() if "neo4j" in line and "instrument" in line.lower()]
    assert lines == [
        'DEBUG opentelemetry.instrumentation.auto_instrumentation._load: neo4j only instruments "neo4j >= 5.0", '
        "but no installed version was found, so nothing can be instrumented."
    ]


def test_the_other_instrumentors_of_the_distribution_are_loaded(run: subprocess.CompletedProcess[str]) -> None:
    loaded = {
        line.rsplit(" ", 1)[-1]
        for line in run.stderr.splitlines()
        if line.startswith("DEBUG opentelemetry.instrumentation.auto_instrumentation._load: Instrumented ")
    }
    assert {"redis_metrics", "redis_pool", "starlette_websockets", "fastapi"} <= loaded
