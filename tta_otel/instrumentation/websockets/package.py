"""The ``starlette`` versions this instrumentation supports."""

_instruments = ("starlette >= 0.27",)
