"""Alertmanager's webhook payload (version 4), validated.

Only what the lifecycle needs is read; the other fields (``groupKey``, ``commonLabels``,
...) are ignored. Anything else - not JSON, JSON nested deeper than ``MAX_DEPTH``, another
version, a missing or mistyped field, a time without its zone or outside the years the
service can compute with - is a ``PayloadError`` whose message names the field, for a 400
answer and a log line. ``parse_webhook`` raises nothing else, whatever the bytes
(tests/unit/test_alert_webhook_fuzz.py).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from tta_otel.ops.alerts.lifecycle import Notification

FINGERPRINT_PATTERN = r"^[0-9a-f]{16}$"
"""Alertmanager's fingerprint: 16 hex digits of a hash of the alert's labels."""

_SHOWN_PROBLEMS = 3

MAX_DEPTH = 32
"""Nesting of arrays and objects taken; Alertmanager's payload nests 4 deep."""

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
"""A firing alert's ``startsAt`` and a resolved one's ``endsAt`` must fall in between, so that every
sum and difference the lifecycle takes of them stays a datetime (Alertmanager's "no end" is year 1)."""

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _exceeds_depth(body: bytes, limit: int) -> bool:
    """Whether ``body`` nests arrays and objects deeper than ``limit`` (strings skipped; linear, no recursion)."""
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = 0
    for byte in brackets:
        depth += 1 if byte in b"[{" else -1
        if depth > limit:
            return True
    return False


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range in UTC") from None


class PayloadError(ValueError):
    """A webhook body that is not an Alertmanager payload; the message says why."""


class _Alert(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: Annotated[AwareDatetime, AfterValidator(_in_utc)] = Field(alias="startsAt")
    ends_at: Annotated[AwareDatetime, AfterValidator(_in_utc)] | None = Field(default=None, alias="endsAt")
    fingerprint: str = Field(pattern=FINGERPRINT_PATTERN)

    @model_validator(mode="after")
    def _times_in_range(self) -> _Alert:
        if not EARLIEST <= self.starts_at < LATEST:
            raise ValueError(f"startsAt must fall between {EARLIEST.year} and {LATEST.year}")
        if self.status == "resolved" and self.ends_at is not None and not EARLIEST <= self.ends_at < LATEST:
            raise ValueError(f"endsAt of a resolved alert must fall between {EARLIEST.year} and {LATEST.year}")
        return self


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    version: Literal["4"]
    alerts: list[_Alert]


def _problem(error: ErrorDetails) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "payload"
    return f"{where}: {error['msg']}"


def parse_webhook(body: bytes) -> list[Notification]:
    """The alerts of one webhook request; raises PayloadError, and nothing else."""
    if _exceeds_depth(body, MAX_DEPTH):
        raise PayloadError(f"the JSON nests deeper than {MAX_DEPTH} levels")
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, too many digits
        raise PayloadError(f"the body is not JSON: {exc}") from exc
    try:
        payload = _Payload.model_validate(document)
    except (ValidationError, RecursionError) as exc:
        if isinstance(exc, RecursionError):
            raise PayloadError("the payload nests too deep") from exc
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
