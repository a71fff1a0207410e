"""What the service asks Alertmanager's API v2: which alerts it holds, and which silences mute them.

A silence is how the on-call acknowledges an alert (``amtool silence add``, Grafana, the
Alertmanager UI). Alertmanager tells a webhook neither that an alert was silenced nor
that a silenced alert resolved, so the service asks.

A silence counts as an acknowledgement only when the silence check is authenticated: the
client holds Alertmanager's basic-auth credentials (``user:password``, the file
``tta-otel secrets init`` writes) and Alertmanager refuses a request without them
(``refuses_anonymous``). Otherwise anyone who reaches Alertmanager's API could stop an
escalation with a silence.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from tta_otel.ops.client_credentials import basic_authorization

DEFAULT_URL = "http://127.0.0.1:9093"
T = TypeVar("T")


class AlertmanagerError(RuntimeError):
    """Alertmanager did not answer, or not as API v2 does."""


@dataclass(frozen=True)
class Silence:
    id: str
    created_by: str
    starts_at: datetime


class AlertmanagerClient:
    def __init__(self, url: str, timeout_s: float = 5.0, credentials: str | None = None) -> None:
        """``credentials``: ``user:password`` for Alertmanager's basic auth, or None to ask without."""
        self.url = url.rstrip("/")
        self._timeout_s = timeout_s
        user, _, password = (credentials or "").partition(":")
        self._authorization = None if credentials is None else basic_authorization(user, password)

    @property
    def authenticated(self) -> bool:
        return self._authorization is not None

    def _get(self, path: str, read: Callable[[Any], T]) -> T:
        """``read`` of the JSON answer; any failure on the way is an AlertmanagerError."""
        request = urllib.request.Request(f"{self.url}{path}")
        if self._authorization is not None:
            request.add_header("Authorization", self._authorization)
        try:
            with urllib.request.urlopen(request, timeout=self._timeout_s) as response:
                return read(json.loads(response.read()))
        except (OSError, ValueError, KeyError, TypeError) as exc:  # URLError is an OSError; bad JSON a ValueError
            raise AlertmanagerError(f"GET {self.url}{path}: {exc!r}") from exc

    def refuses_anonymous(self) -> bool:
        """Whether Alertmanager answers 401 to a request without credentials (its API is guarded)."""
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/status", timeout=self._timeout_s):
                return False
        except urllib.error.HTTPError as error:
            return error.code == 401
        except OSError as exc:
            raise AlertmanagerError(f"GET {self.url}/api/v2/status: {exc!r}") from exc

    def alerts(self) -> dict[str, tuple[str, ...]]:
        """Fingerprint -> ids of the silences that mute it, for every alert Alertmanager holds unresolved."""
        return self._get(
            "/api/v2/alerts", lambda answer: {a["fingerprint"]: tuple(a["status"]["silencedBy"]) for a in answer}
        )

    def firing(self) -> list[dict[str, Any]]:
        """Every active alert neither silenced nor inhibited, as API v2 gives it (``labels``,
        ``annotations``, ``startsAt``): what the on-call still has to act on (``tta-otel status``)."""
        return self._get("/api/v2/alerts?active=true&silenced=false&inhibited=false", list)

    def silence(self, silence_id: str) -> Silence:
        return self._get(
            f"/api/v2/silence/{urllib.parse.quote(silence_id)}",
            lambda answer: Silence(silence_id, answer["createdBy"], datetime.fromisoformat(answer["startsAt"])),
        )
