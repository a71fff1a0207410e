"""tta_otel: OpenTelemetry for TTA services, with privacy built in.

Install it next to a TTA service and start the service with
``opentelemetry-instrument``; the ``tta_otel`` distro and configurator then export
traces, metrics and logs over OTLP, redacted by the privacy policy before they leave.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tta-otel")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
