"""Instrumentations that opentelemetry-python-contrib does not provide, in its style.

Each is a ``BaseInstrumentor`` registered under the ``opentelemetry_instrumentor`` entry
point, so ``opentelemetry-instrument`` enables it when its library is installed.
"""
