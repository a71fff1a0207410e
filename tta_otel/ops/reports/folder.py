"""The stack's folder of exported reports, and their retention.

Reports hold aggregates only (rates, ratios, forecasts; never an identifier), yet they are still
telemetry about players' sessions, so they are kept no longer than retention.yaml's ``reports``
class: ``state/reports/`` of the checkout is where the stack keeps them (``tta-otel report ...
--output state/reports/NAME``), and ``prune`` removes the files there older than the class, by
their modification time: ``tta-otel stack up`` does at start and the supervisor every hour.
Each removal is recorded in the audit trail (``report.prune``, with the digest of what was
removed), as each export is (``report.export``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tta_otel import audit_log

_logger = logging.getLogger(__name__)

FOLDER = "reports"
"""The folder's name in the stack's state directory."""


def prune(folder: Path, keep: timedelta, now: datetime | None = None) -> list[Path]:
    """Remove the files directly in ``folder`` last written longer than ``keep`` ago; returns them,
    oldest first. Links and folders are left alone (a link may lead out of the folder)."""
    if not folder.is_dir():
        return []
    cutoff = ((now or datetime.now(UTC)) - keep).timestamp()
    files = [path for path in folder.iterdir() if path.is_file() and not path.is_symlink()]
    written = {path: path.stat().st_mtime for path in files}
    removed = []
    for path in sorted((path for path in files if written[path] < cutoff), key=written.__getitem__):
        try:
            digest = audit_log.digest_of(path.read_bytes())
            path.unlink()
        except OSError as error:  # one file that cannot be read or removed stops no other
            _logger.warning("report file %s past the reports retention could not be removed: %s", path, error)
            continue
        audit_log.record("report.prune", path.name, before=digest)
        removed.append(path)
    return removed


__all__ = ["FOLDER", "prune"]
