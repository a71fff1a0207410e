"""Privacy-preserving engagement analytics: how players engage with TTA, as aggregate metrics only.

Usage::

    from tta_otel import engagement

    engagement.track("session_start", session=session_id, cohort="b", scenario="forest")
    engagement.track("interaction", session=session_id)          # each player turn
    engagement.track("choice", session=session_id)               # a branching decision (also an interaction)
    engagement.track("journey_step", session=session_id, journey_step="grounding")
    engagement.track("completion", session=session_id)           # the player completed the scenario
    engagement.track("session_end", session=session_id, progress=0.4)

Events are ``session_start``, ``session_end``, ``interaction``, ``choice``, ``completion`` and
``journey_step`` (also as ``EngagementEvent``). What each records:

- ``tta.engagement.sessions.started`` / ``.completed`` (counters, ``{session}``): completion
  rate is completed / started; a session counts as completed once however often it reports it.
- ``tta.engagement.session.duration`` (histogram, ``s``) and ``tta.engagement.session.interactions``
  (histogram, ``{interaction}``): once per session, when it ends.
- ``tta.engagement.journey.steps`` (counter, ``{step}``, by ``tta.journey.step``).
- ``tta.engagement.progress`` (histogram, ``1``, buckets of tenths): the session's latest
  ``progress``, once per session when it ends.
- ``tta.engagement.rejected`` (counter, ``{item}``, by ``tta.engagement.reason``): what was not
  recorded; each reason is also logged once per process.

Privacy:

- ``session`` is pseudonymised at once (``tta_otel.privacy.pseudonymize``, keyed HMAC) and only
  keys the in-process table of sessions in progress; it is never a metric attribute, and no
  span or log record is emitted. Player ids are not taken at all.
- Attributes are kept only when their key is allow-listed (``monitoring.engagement.allowed_attributes``,
  default ``tta.cohort``, ``tta.scenario``, ``tta.journey.step``) and their value is a string or
  an integer. A keyword names a key without its ``tta.`` prefix, dots written as underscores
  (``journey_step=`` is ``tta.journey.step``); ``**{"tta.cohort": "b"}`` works too. Anything else
  is dropped and counted (``attribute_not_allowed``). The session's attributes are those given to
  ``session_start``; later events only read ``tta.journey.step``.
- ``progress`` must be a number in [0, 1]; any other value is rejected (``invalid_progress``),
  not clamped, so that a bug in TTA's scoring shows up instead of piling values at 0 or 1.

Memory stays bounded: at most ``max_sessions`` sessions are followed (default 10,000; the least
recently active one ends to make room) and a session idle for ``session_timeout_s`` (default
1,800 s) ends; both are recorded as ended at their last event. An event for a session that is
not in progress is rejected (``unknown_session``); a second ``session_start`` too
(``session_already_started``). ``track`` never raises into the game.

``track`` uses the global meter provider; ``EngagementTelemetry(meter_provider, settings)`` is the
same bound to a provider of your own. ``tta-otel report engagement`` reads the metrics back per
cohort, suppressing cohorts under k sessions: docs/engagement.md.
"""

from tta_otel.engagement.tracking import EngagementEvent, EngagementTelemetry, RejectReason, track

__all__ = ["EngagementEvent", "EngagementTelemetry", "RejectReason", "track"]
