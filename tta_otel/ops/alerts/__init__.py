"""Alert lifecycle for TTA's on-call: ``tta-otel alerts serve``.

Alertmanager notifies the service (a ``webhook_configs`` receiver to
``http://127.0.0.1:9095/alerts``); the service keeps each alert's lifecycle by fingerprint
- fired, every notification, acknowledged, escalated, resolved - in SQLite under its
state directory, so a restart loses nothing. Every endpoint wants the bearer token of
``--token-file``. ``POST /alerts/<fingerprint>/ack`` acknowledges an alert, and so does a
silence in Alertmanager while the silence check is authenticated (docs/security.md); a critical alert (label
``severity="critical"``) that nobody acknowledges within ``--escalate-after`` goes to the
next receiver of the escalation chain, one step per interval. The time to acknowledge and
the time to resolve are exported as the histograms ``tta.alert.time_to_acknowledge`` and
``tta.alert.time_to_resolve``, escalations as the counter ``tta.alert.escalations``.

Modules: ``lifecycle`` (the pure state machine), ``webhook`` (Alertmanager's payload),
``store`` (SQLite), ``alertmanager`` (its API: alerts and silences), ``escalation`` (the
chain file and the POST to a receiver), ``metrics``, ``service`` (the core that ties them),
``server`` (HTTP and the process), ``logs`` (escaped log lines). See docs/alerting-escalation.md
and docs/security.md.
"""
