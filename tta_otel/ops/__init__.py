"""The operator's side of tta-otel: what runs around the TTA services, never inside them.

The ``tta-otel`` command (``cli``), the native stack and its builds (``stack``), reports read
from the backends (``reports``), dashboards as code (``dashboards``) and the alert escalation
service (``alerts``). Nothing under ``tta_otel`` outside this package imports it, so a TTA
service never loads it; ``tests/unit/test_import_boundary.py`` keeps it so.
"""
