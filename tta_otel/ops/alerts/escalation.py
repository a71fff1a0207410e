"""The escalation chain: who gets a critical alert that nobody acknowledges, in order.

A YAML file lists the receivers, each a webhook URL and optionally a name::

    receivers:
      - name: secondary-on-call
        url: https://hooks.example.org/oncall/secondary
      - name: engineering-lead
        url: https://hooks.example.org/oncall/lead

Alertmanager's own route notifies the first responder; the chain is what follows when
they do not acknowledge. An escalation is one JSON POST to the step's URL (a PagerDuty,
Opsgenie or chat integration behind it is the receiver's business). Receiver URLs often
hold a token, so only names are logged; a receiver without a name is called
``receiver <n>``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tta_otel.ops.alerts.lifecycle import AlertRecord

_TIMEOUT_S = 10.0


class ChainError(ValueError):
    """A chain file that cannot be used; the message names the file, the key and the reason."""


@dataclass(frozen=True)
class Receiver:
    name: str
    url: str


class _Receiver(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(default=None, min_length=1)
    url: str

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL")
        return url


class _Chain(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    receivers: list[_Receiver] = Field(min_length=1)


def load_chain(path: Path) -> tuple[Receiver, ...]:
    """The receivers of ``path`` in order; raises ChainError."""
    try:
        document = yaml.safe_load(path.read_text())
        chain = _Chain.model_validate(document)
    except OSError as exc:
        raise ChainError(f"{path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ChainError(f"{path}: not YAML: {exc}") from exc
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in error['loc']) or 'file'}: {error['msg']}" for error in exc.errors()]
        raise ChainError(f"{path}: " + "; ".join(problems)) from exc
    return tuple(Receiver(r.name or f"receiver {n}", r.url) for n, r in enumerate(chain.receivers, start=1))


def escalation_message(record: AlertRecord, step: int, chain: tuple[Receiver, ...], now: datetime) -> dict[str, Any]:
    """The JSON body a receiver gets: the alert, how long it has gone unacknowledged, and where in the chain."""
    return {
        "kind": "tta.alert.escalation",
        "receiver": chain[step].name,
        "step": step + 1,
        "steps": len(chain),
        "fingerprint": record.fingerprint,
        "alertname": record.alertname,
        "severity": record.severity,
        "component": record.component,
        "fired_at": record.fired_at.isoformat(),
        "unacknowledged_s": (now - record.fired_at).total_seconds(),
        "labels": dict(record.labels),
        "annotations": dict(record.annotations),
    }


class DeliveryError(RuntimeError):
    """A receiver that did not take an escalation; ``error_type`` is short, for the ``error.type`` attribute."""

    def __init__(self, receiver: Receiver, error_type: str, reason: object) -> None:
        super().__init__(f"{receiver.name} did not take the escalation: {reason}")
        self.error_type = error_type


def send(receiver: Receiver, message: dict[str, Any]) -> None:
    """POST ``message`` to the receiver; raises DeliveryError unless it answers 2xx."""
    request = urllib.request.Request(
        receiver.url,
        data=json.dumps(message).encode(),
        headers={"Content-Type": "application/json", "User-Agent": "tta-otel-alerts"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S):
            return
    except urllib.error.HTTPError as exc:
        raise DeliveryError(receiver, str(exc.code), f"HTTP {exc.code} {exc.reason}") from exc
    except OSError as exc:  # refused, unreachable, timed out (URLError is an OSError)
        raise DeliveryError(receiver, type(exc).__name__, exc) from exc
