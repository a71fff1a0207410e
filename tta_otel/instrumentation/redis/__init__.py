"""Redis telemetry beyond the contrib ``redis`` instrumentation, in one package.

The contrib ``opentelemetry-instrumentation-redis`` makes the spans; this package adds what it
lacks, one module a concern:

- ``query``: the request hook the distro gives the contrib instrumentation, so that span
  query texts keep the kind of each key (``RPUSH choices:? ?``) and never a value;
- ``metrics``: ``RedisMetricsInstrumentor`` (entry point ``redis_metrics``), the
  ``db.client.operation.duration`` histogram for every command and pipeline;
- ``pool``: ``RedisPoolInstrumentor`` (entry point ``redis_pool``), connection-pool usage
  as ``db.client.connection.count`` and ``db.client.connection.max``;
- ``util``: the server attributes both read from a client's connection settings;
- ``package``: the redis-py versions supported.

Nothing here imports ``redis`` until an instrumentor module is loaded, so the distro can use
``query`` in a service without redis-py.
"""
