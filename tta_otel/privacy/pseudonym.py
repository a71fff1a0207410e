"""Keyed pseudonyms for identifiers (player, session and user ids).

A pseudonym is HMAC-SHA256 of the identifier under a secret key, truncated to 64 bits
and tagged with the key's id: the same identifier always gives the same pseudonym under
one key, so telemetry can still be grouped by player, while nobody without the key can
go back to the identifier or test a guess. Rotation: a new current key produces new
pseudonyms; previous keys stay accepted by ``matches`` for the overlap period.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from tta_otel.environment_variables import (
    TTA_PSEUDONYM_KEY,
    TTA_PSEUDONYM_KEY_FILE,
    TTA_PSEUDONYM_KEY_ID,
    TTA_PSEUDONYM_PREVIOUS_KEYS,
)

_logger = logging.getLogger(__name__)
_CACHE_SIZE = 4096
_BLOCK = 64  # SHA-256's block size, in bytes
_INNER_PAD = bytes(byte ^ 0x36 for byte in range(256))
_OUTER_PAD = bytes(byte ^ 0x5C for byte in range(256))


class _KeyedHash:
    """HMAC-SHA256 (RFC 2104) with the key's inner and outer hash states computed once.

    ``hmac.new`` and ``hmac.digest`` key both states again at every call, a few µs each time,
    and a pseudonym is taken for every new identifier on the export thread; copying a keyed
    state costs a fraction of that. The result is the same bytes as ``hmac.digest``.
    """

    def __init__(self, secret: bytes) -> None:
        key = (hashlib.sha256(secret).digest() if len(secret) > _BLOCK else secret).ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(key.translate(_INNER_PAD))
        self._outer = hashlib.sha256(key.translate(_OUTER_PAD))

    def digest(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


@dataclass(frozen=True)
class PseudonymKey:
    """One HMAC key; ``repr`` never shows the secret, so a key can't leak through a log."""

    key_id: str
    secret: bytes = field(repr=False)


class Pseudonymizer:
    """Turns identifiers into stable pseudonyms under the current key."""

    def __init__(self, current: PseudonymKey, previous: tuple[PseudonymKey, ...] = ()) -> None:
        if not current.secret:
            raise ValueError("a pseudonym key must not be empty")
        self._current = current
        self._keys = (current, *previous)
        self._hashes = {key: _KeyedHash(key.secret) for key in self._keys}
        # The same players come back request after request: their pseudonyms are remembered.
        self._known: dict[str, str] = {}

    @property
    def key_id(self) -> str:
        return self._current.key_id

    def _digest(self, key: PseudonymKey, identifier: str) -> str:
        mac = self._hashes[key].digest(identifier.encode("utf-8"))
        return f"psn_{key.key_id}_{mac[:8].hex()}"

    def pseudonymize(self, identifier: str) -> str:
        """The pseudonym of ``identifier`` under the current key."""
        known = self._known.get(identifier)
        if known is None:
            if len(self._known) >= _CACHE_SIZE:
                self._known.clear()
            known = self._known[identifier] = self._digest(self._current, identifier)
        return known

    def clear_cache(self) -> None:
        """Forget every remembered pseudonym (benchmarks measure the hashing itself this way)."""
        self._known.clear()

    def matches(self, identifier: str, pseudonym: str) -> bool:
        """Whether ``pseudonym`` belongs to ``identifier`` under the current or a previous key."""
        return any(hmac.compare_digest(self._digest(key, identifier), pseudonym) for key in self._keys)


MIN_KEY_BYTES = 32
"""A pseudonym key shorter than this is refused: a short key can be guessed, and with it every pseudonym."""


def _checked(key_id: str, secret: bytes, source: str) -> PseudonymKey:
    if len(secret) < MIN_KEY_BYTES:
        raise ValueError(
            f"{source}: key {key_id!r} is {len(secret)} bytes; pseudonym keys need at least {MIN_KEY_BYTES} "
            "(tta-otel secrets init creates one)"
        )
    return PseudonymKey(key_id, secret)


def parse_key_list(text: str, source: str) -> tuple[PseudonymKey, ...]:
    """The keys of ``<key id>:<secret>`` lines (or comma-separated entries), current first."""
    keys = []
    for raw in text.replace(",", "\n").splitlines():
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        key_id, sep, secret = entry.partition(":")
        if not sep or not key_id or not secret:
            raise ValueError(f"{source}: each key must be written as <key id>:<secret>")
        keys.append(_checked(key_id.strip(), secret.strip().encode("utf-8"), source))
    return tuple(keys)


def pseudonymizer_from_environment(key_file: Path | None = None) -> Pseudonymizer:
    """Build the pseudonymizer from a key file or the environment.

    Sources, first found wins: ``key_file`` (or ``TTA_PSEUDONYM_KEY_FILE``), whose lines
    are ``<key id>:<secret>`` with the current key first; then ``TTA_PSEUDONYM_KEY`` with
    ``TTA_PSEUDONYM_KEY_ID`` (default ``k1``) and ``TTA_PSEUDONYM_PREVIOUS_KEYS``
    (``id:secret,id:secret``). With none, an ephemeral random key keeps pseudonyms
    private but unstable across restarts, and a warning says so.
    """
    path = key_file or (Path(os.environ[TTA_PSEUDONYM_KEY_FILE]) if os.environ.get(TTA_PSEUDONYM_KEY_FILE) else None)
    if path is not None:
        keys = parse_key_list(path.read_text(encoding="utf-8"), str(path))
        if not keys:
            raise ValueError(f"{path}: the key file holds no key")
        return Pseudonymizer(keys[0], keys[1:])
    secret = os.environ.get(TTA_PSEUDONYM_KEY)
    if secret:
        previous = parse_key_list(os.environ.get(TTA_PSEUDONYM_PREVIOUS_KEYS, ""), TTA_PSEUDONYM_PREVIOUS_KEYS)
        key_id = os.environ.get(TTA_PSEUDONYM_KEY_ID, "k1")
        return Pseudonymizer(_checked(key_id, secret.encode("utf-8"), TTA_PSEUDONYM_KEY), previous)
    _logger.warning(
        "No pseudonym key configured (%s or %s): using an ephemeral key, so pseudonyms change at every "
        "restart. Set one to group telemetry by player across restarts.",
        TTA_PSEUDONYM_KEY,
        TTA_PSEUDONYM_KEY_FILE,
    )
    return Pseudonymizer(PseudonymKey("ephemeral", secrets.token_bytes(32)))
