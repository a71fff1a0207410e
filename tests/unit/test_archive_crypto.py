"""Specification of archive encryption: what goes in comes out, and any change is refused."""

from __future__ import annotations

import io
import os

import pytest

from tta_otel.ops.archive_crypto import CHUNK, MAGIC, ArchiveTamperedError, decrypt, encrypt

KEY = bytes(range(32))


def _sealed(plain: bytes, key: bytes = KEY) -> bytes:
    target = io.BytesIO()
    encrypt(io.BytesIO(plain), target, key)
    return target.getvalue()


def _opened(sealed: bytes, key: bytes = KEY) -> bytes:
    target = io.BytesIO()
    decrypt(io.BytesIO(sealed), target, key)
    return target.getvalue()


@pytest.mark.parametrize("size", [0, 1, CHUNK, 2 * CHUNK + 17])
def test_what_is_encrypted_decrypts_to_the_same_bytes(size: int) -> None:
    plain = os.urandom(size)
    assert _opened(_sealed(plain)) == plain


def test_the_archive_holds_no_plain_text() -> None:
    plain = b"tta_component_info player-api " * 1000
    assert b"player-api" not in _sealed(plain)


def test_a_flipped_byte_is_refused() -> None:
    sealed = bytearray(_sealed(os.urandom(3 * 1024)))
    sealed[len(MAGIC) + 12 + 4 + 100] ^= 1
    with pytest.raises(ArchiveTamperedError, match="chunk 0 is not authentic"):
        _opened(bytes(sealed))


def test_an_archive_cut_after_a_chunk_is_refused() -> None:
    sealed = _sealed(os.urandom(2 * CHUNK + 1))
    first_chunk_end = len(MAGIC) + 12 + 4 + CHUNK + 16
    with pytest.raises(ArchiveTamperedError, match="ends before its last chunk"):
        _opened(sealed[:first_chunk_end])


def test_another_key_is_refused() -> None:
    with pytest.raises(ArchiveTamperedError, match="not authentic"):
        _opened(_sealed(b"blocks"), key=bytes(32))


def test_a_file_that_is_not_an_archive_is_refused() -> None:
    with pytest.raises(ArchiveTamperedError, match="header is wrong"):
        _opened(b"PK\x03\x04 a zip file")
