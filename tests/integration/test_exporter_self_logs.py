"""No feedback loop: what telemetry logs while it exports is never exported.

A service under ``opentelemetry-instrument`` with its root logger at DEBUG exports over OTLP/HTTP
to an in-memory receiver. The HTTP client of the exporter logs each ``POST /v1/logs`` at DEBUG;
were those records exported, each export would cause the next, forever.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.integration.conftest import REPO
from tta_otel.testing.otlp_sink import OtlpSink
from tta_otel.testing.processes import BIN, distro_environment

pytestmark = pytest.mark.integration

LINE = "the lantern by the river is lit"
SERVICE = f"""
import logging
import sys
import time

logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
logging.getLogger("tta.player_api").info({LINE!r})
time.sleep(2.0)  # idle through several export intervals
"""


def _run(sink: OtlpSink, tmp_path: Path) -> str:
    """Run the service to its end (its providers flush at exit); returns what it printed."""
    (tmp_path / "service.py").write_text(SERVICE)
    config = tmp_path / "tta_config.yaml"
    config.write_text("monitoring:\n  component: player-api\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("OTEL_", "TTA_"))}
    env.update(
        distro_environment(
            sink.endpoint,
            config,
            "redis://127.0.0.1:1/0",
            OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
            OTEL_BLRP_SCHEDULE_DELAY="100",
            OTEL_BSP_SCHEDULE_DELAY="100",
            OTEL_METRIC_EXPORT_INTERVAL="200",
            OTEL_METRICS_EXPORTER="none",
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        )
    )
    completed = subprocess.run(
        [str(BIN / "opentelemetry-instrument"), str(BIN / "python"), "service.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return completed.stdout + completed.stderr


def test_the_exporters_own_logs_are_never_exported(sink: OtlpSink, tmp_path: Path) -> None:
    output = _run(sink, tmp_path)

    bodies = [record.body.string_value for _, record in sink.received.log_records()]
    assert bodies == [LINE], output
    assert "POST /v1/logs" in output  # the console still sees them
    assert "recursive logging" not in output
