"""The ``tta-otel`` command. Never imported by the instrumented service."""
