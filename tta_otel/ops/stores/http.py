"""The HTTP side of the store clients: a GET with basic auth (and a store's own headers, such as
Loki's tenant), and errors that say what to do."""

from __future__ import annotations

from collections.abc import Mapping

import httpx


class StoreError(RuntimeError):
    """A store that cannot be reached or refused the request; the message says which and why."""


class StoreClient:
    """A store's HTTP API at ``url``; ``WHAT`` names the store and its variables in errors."""

    WHAT = "a store"

    def __init__(self, url: str, credentials: tuple[str, str] | None = None, timeout_s: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._credentials = credentials
        self._timeout_s = timeout_s

    def _fetch(
        self, path: str, params: Mapping[str, str | int], headers: Mapping[str, str] | None = None
    ) -> tuple[str, httpx.Response]:
        url = f"{self.url}{path}"
        try:
            response = httpx.get(url, params=params, headers=headers, auth=self._credentials, timeout=self._timeout_s)
        except httpx.HTTPError as error:
            raise StoreError(f"{self.WHAT} at {url} cannot be reached: {error}") from error
        return url, response

    def answers(self, path: str) -> int:
        """The HTTP status ``path`` (a readiness or health endpoint) answers with; StoreError when
        nothing answers. A 401 or 503 is an answer: the store is reachable but not ready for us."""
        return self._fetch(path, {})[1].status_code

    def _checked(self, url: str, response: httpx.Response) -> httpx.Response:
        if response.status_code == 401:
            raise StoreError(f'{self.WHAT} at {url} asks for credentials: `eval "$(tta-otel stack env)"` gives them')
        if response.status_code >= 400:
            raise StoreError(
                f"{self.WHAT} at {url} refused the request ({response.status_code}): {response.text[:300]}"
            )
        return response

    def _get(
        self, path: str, params: Mapping[str, str | int], headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        return self._checked(*self._fetch(path, params, headers))

    def _get_if_found(self, path: str, params: Mapping[str, str | int]) -> httpx.Response | None:
        """As ``_get``, but None where the store answers 404: what was asked for is not there (yet)."""
        url, response = self._fetch(path, params)
        return None if response.status_code == 404 else self._checked(url, response)
