"""The ``redis`` (redis-py) versions the Redis instrumentors support."""

_instruments = ("redis >= 4.2",)
