"""Error tracking: stable fingerprints, the ``tta.errors`` counter, and a log record per error."""

from tta_otel.errors.fingerprint import OTHER, FingerprintLimit, exception_chain, fingerprint, type_fingerprint
from tta_otel.errors.tracking import (
    CRITICAL,
    FINGERPRINT,
    ErrorLogProcessor,
    ErrorTracker,
    logging_exception,
    start_error_tracking,
    stop_error_tracking,
)

__all__ = [
    "CRITICAL",
    "FINGERPRINT",
    "OTHER",
    "ErrorLogProcessor",
    "ErrorTracker",
    "FingerprintLimit",
    "exception_chain",
    "fingerprint",
    "logging_exception",
    "start_error_tracking",
    "stop_error_tracking",
    "type_fingerprint",
]
