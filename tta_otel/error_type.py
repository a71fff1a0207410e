"""``error.type`` for an exception, as the semantic conventions ask: its fully-qualified class
name (``neo4j.exceptions.ServiceUnavailable``), builtins by their short name (``TimeoutError``).

One definition for every instrumentation and the error tracker, so that the span attribute, the
metric attribute and the error groups agree. A leaf: imports nothing of tta_otel.
"""

from __future__ import annotations


def error_type(exception: BaseException) -> str:
    cls = type(exception)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
