"""Tools for developing and demonstrating tta_otel; never imported by an instrumented service."""
