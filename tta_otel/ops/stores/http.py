"""One GET against a store's HTTP API, with basic auth and errors that say what to do."""

from __future__ import annotations

from collections.abc import Mapping

import httpx


class StoreError(RuntimeError):
    """A store that cannot be reached or refused the request; the message says which and why."""


def get(
    url: str, params: Mapping[str, str | int], credentials: tuple[str, str] | None, what: str, timeout_s: float
) -> httpx.Response:
    """GET ``url``; ``what`` names the store and its credentials variable for the error messages."""
    try:
        response = httpx.get(url, params=params, auth=credentials, timeout=timeout_s)
    except httpx.HTTPError as error:
        raise StoreError(f"{what} at {url} cannot be reached: {error}") from error
    if response.status_code == 401:
        raise StoreError(f'{what} at {url} asks for credentials: `eval "$(tta-otel stack env)"` gives them')
    if response.status_code >= 400:
        raise StoreError(f"{what} at {url} refused the request ({response.status_code}): {response.text[:300]}")
    return response
