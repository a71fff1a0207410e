"""``tta-otel report capacity`` against the stack's real Prometheus: its own storage is a row, with
its use against its size retention and a recommendation rule; JSON and CSV say the same."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tta_otel.ops.cli.main import main
from tta_otel.ops.reports.capacity import RULES
from tta_otel.ops.stack.runner import URLS, Stack
from tta_otel.testing.processes import wait_until

pytestmark = pytest.mark.integration


def _report(fmt: str, path: Path) -> str:
    arguments = ["--since", "1h", "--prometheus", URLS["TTA_PROMETHEUS_URL"], "--format", fmt, "--output", str(path)]
    assert main(["report", "capacity", *arguments]) == 0
    return path.read_text()


def _storage_rows(path: Path) -> list[dict[str, object]]:
    return [row for row in json.loads(_report("json", path))["rows"] if row["subject"] == "prometheus storage"]


def test_prometheus_storage_is_reported_against_its_size_retention(stack: Stack, tmp_path: Path) -> None:
    # Prometheus reports its storage once it has scraped itself (every 15 s).
    assert wait_until(lambda: bool(_storage_rows(tmp_path / "capacity.json")), timeout=60, interval=2)
    (storage,) = _storage_rows(tmp_path / "capacity.json")
    assert storage["limit_bytes"] == 10 * 1024**3  # --storage.tsdb.retention.size=10GB (Prometheus: GiB)
    assert storage["used_ratio"] < 0.8
    assert storage["rule"] in RULES


def test_the_csv_has_one_line_per_row_of_the_json(stack: Stack, tmp_path: Path) -> None:
    rows = json.loads(_report("json", tmp_path / "capacity.json"))["rows"]
    lines = list(csv.DictReader(io.StringIO(_report("csv", tmp_path / "capacity.csv"))))
    assert [(line["resource"], line["subject"], line["rule"]) for line in lines] == [
        (row["resource"], row["subject"], row["rule"]) for row in rows
    ]
