"""Loki's log-based alert rules follow the same conventions as Prometheus's (Loki itself cannot run
here to check them - docs/stack.md - so their structure is checked, and their LogQL is reviewed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
RULES = sorted((REPO / "loki" / "rules").glob("*.yml"))
ALERTS = [rule for path in RULES for group in yaml.safe_load(path.read_text())["groups"] for rule in group["rules"]]


def test_there_are_log_based_alerts() -> None:
    assert [alert["alert"] for alert in ALERTS] == ["TTAErrorLogBurst", "TTARedactionPlaceholdersInLogs"]


@pytest.mark.parametrize("alert", ALERTS, ids=lambda alert: alert["alert"])
def test_each_alert_is_named_labelled_and_annotated_like_the_prometheus_ones(alert: dict[str, object]) -> None:
    assert re.fullmatch(r"TTA[A-Z][A-Za-z0-9]+", str(alert["alert"]))
    labels = alert["labels"]
    annotations = alert["annotations"]
    assert isinstance(labels, dict) and isinstance(annotations, dict)
    assert labels["severity"] in {"critical", "warning", "info"}
    assert set(annotations) == {"summary", "description", "runbook_url"}
    runbook = str(annotations["runbook_url"]).rsplit("/blob/main/", 1)[1]
    assert (REPO / runbook).is_file()
