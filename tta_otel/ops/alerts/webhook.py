"""Alertmanager's webhook payload (version 4), validated.

Only what the lifecycle needs is read; the other fields (``groupKey``, ``commonLabels``,
...) are ignored. Anything else - not JSON, another version, a missing or mistyped field -
is a ``PayloadError`` whose message names the field, for a 400 answer and a log line.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from tta_otel.ops.alerts.lifecycle import Notification

FINGERPRINT_PATTERN = r"^[0-9a-f]{16}$"
"""Alertmanager's fingerprint: 16 hex digits of a hash of the alert's labels."""

_SHOWN_PROBLEMS = 3


class PayloadError(ValueError):
    """A webhook body that is not an Alertmanager payload; the message says why."""


class _Alert(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: datetime = Field(alias="startsAt")
    ends_at: datetime | None = Field(default=None, alias="endsAt")
    fingerprint: str = Field(pattern=FINGERPRINT_PATTERN)


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    version: Literal["4"]
    alerts: list[_Alert]


def _problem(error: ErrorDetails) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "payload"
    return f"{where}: {error['msg']}"


def parse_webhook(body: bytes) -> list[Notification]:
    """The alerts of one webhook request; raises PayloadError."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"the body is not JSON: {exc}") from exc
    try:
        payload = _Payload.model_validate(document)
    except ValidationError as exc:
        problems = [_problem(error) for error in exc.errors()]
        more = f" (and {len(problems) - _SHOWN_PROBLEMS} more)" if len(problems) > _SHOWN_PROBLEMS else ""
        raise PayloadError(
            "not an Alertmanager webhook payload v4: " + "; ".join(problems[:_SHOWN_PROBLEMS]) + more
        ) from exc
    return [
        Notification(
            alert.fingerprint,
            alert.status == "resolved",
            alert.labels,
            alert.annotations,
            alert.starts_at,
            alert.ends_at if alert.status == "resolved" else None,
        )
        for alert in payload.alerts
    ]
