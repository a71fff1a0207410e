"""The ``neo4j`` driver versions this instrumentation supports."""

_instruments = ("neo4j >= 5.0",)
