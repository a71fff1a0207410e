"""``tta-otel status``: is everything up, what is degrading, and will it run out of something soon.

One snapshot asks Prometheus (components discovered from ``tta_component_info``, their traffic,
errors, latency and error budget, their dependencies, the collector, memory and disk
forecasts), each store's readiness endpoint and Alertmanager's firing alerts, then judges each
part: ``queries`` holds the PromQL, ``collect`` asks, ``stores`` probes, ``model`` classifies
(the exit status), ``render`` draws the rich screen or writes the JSON. docs/status.md is the
operator's page.
"""
