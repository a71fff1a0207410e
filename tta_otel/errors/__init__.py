"""Error tracking: stable fingerprints, the ``tta.errors`` counter, and a log record per error."""

from tta_otel.errors.fingerprint import fingerprint, parse_traceback
from tta_otel.errors.tracking import (
    CRITICAL,
    FINGERPRINT,
    ErrorLogProcessor,
    ErrorTracker,
    start_error_tracking,
    stop_error_tracking,
)

__all__ = [
    "CRITICAL",
    "FINGERPRINT",
    "ErrorLogProcessor",
    "ErrorTracker",
    "fingerprint",
    "parse_traceback",
    "start_error_tracking",
    "stop_error_tracking",
]
