"""Flushes telemetry when the service is terminated with SIGTERM.

Python's default SIGTERM disposition ends the process at once, without ``atexit``, so
the last second of spans and logs - often the most interesting ones, around a deploy or
a crash loop - would never be exported. uvicorn, for one, restores the handler it found
at start-up and re-raises SIGTERM after its graceful shutdown. tta_otel therefore
installs a handler, only where none is set, that flushes the providers for at most
``FLUSH_TIMEOUT_S`` (an exporter retrying against a collector that is down must not
hold a deploy) and then terminates the process exactly as the default disposition would.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType

_logger = logging.getLogger(__name__)

FLUSH_TIMEOUT_S = 5.0


def _flush_within(flush: Callable[[], object], timeout_s: float) -> None:
    def run() -> None:
        try:
            flush()
        except Exception:
            _logger.exception("tta_otel: flushing telemetry at SIGTERM failed")

    worker = threading.Thread(target=run, name="tta-otel-sigterm-flush", daemon=True)
    worker.start()
    worker.join(timeout_s)


def flush_on_sigterm(flush: Callable[[], object], timeout_s: float = FLUSH_TIMEOUT_S) -> bool:
    """Install the handler if SIGTERM has its default disposition; returns whether it did."""
    if threading.current_thread() is not threading.main_thread():
        return False
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return False

    def _handler(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the process at once
        try:
            _flush_within(flush, timeout_s)
        except Exception:  # not even starting the flush thread may keep the process alive
            _logger.exception("tta_otel: flushing telemetry at SIGTERM failed")
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, _handler)
    return True
