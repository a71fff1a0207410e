"""Archives are encrypted before they leave the machine, and a tampered one is refused.

AES-256-GCM over 1 MiB chunks, so that an archive of any size streams through a bounded buffer:
the file is a header (magic and a random 96-bit base nonce), then each chunk as its ciphertext
length and ciphertext with its tag. Chunk *i* is sealed with the base nonce XOR *i* and with *i*
and whether it is the last chunk as associated data, so a chunk cannot be altered, reordered,
dropped or the archive cut short without decryption failing. The key is the secrets directory's
``archive-key`` (``tta-otel secrets init``), 32 random bytes.
"""

from __future__ import annotations

import os
import struct
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"TTAARC1\n"
CHUNK = 1 << 20
_NONCE = 12
_LENGTH = struct.Struct(">I")


class ArchiveTamperedError(ValueError):
    """The archive is not what was written: altered, reordered, cut short, or another key's."""


def _nonce(base: bytes, index: int) -> bytes:
    return (int.from_bytes(base, "big") ^ index).to_bytes(_NONCE, "big")


def _associated(index: int, last: bool) -> bytes:
    return struct.pack(">Q?", index, last)


def encrypt(source: BinaryIO, target: BinaryIO, key: bytes) -> None:
    """Write ``source`` to ``target`` encrypted and authenticated under ``key``."""
    cipher = AESGCM(key)
    base = os.urandom(_NONCE)
    target.write(MAGIC + base)
    index, current = 0, source.read(CHUNK)
    while True:
        following = source.read(CHUNK)
        last = not following
        sealed = cipher.encrypt(_nonce(base, index), current, _associated(index, last))
        target.write(_LENGTH.pack(len(sealed)) + sealed)
        if last:
            return
        index, current = index + 1, following


def decrypt(source: BinaryIO, target: BinaryIO, key: bytes) -> None:
    """Write the plain archive to ``target``; ``ArchiveTamperedError`` unless every chunk is authentic
    and the last one was reached."""
    header = source.read(len(MAGIC) + _NONCE)
    if len(header) != len(MAGIC) + _NONCE or not header.startswith(MAGIC):
        raise ArchiveTamperedError("not a tta-otel archive (its header is wrong)")
    cipher, base = AESGCM(key), header[len(MAGIC) :]
    index = 0
    while True:
        length = source.read(_LENGTH.size)
        if len(length) != _LENGTH.size:
            raise ArchiveTamperedError(f"the archive ends before its last chunk (after chunk {index - 1})")
        sealed = source.read(_LENGTH.unpack(length)[0])
        for last in (False, True):
            try:
                target.write(cipher.decrypt(_nonce(base, index), sealed, _associated(index, last)))
            except InvalidTag:
                continue
            if last:
                if source.read(1):
                    raise ArchiveTamperedError("the archive goes on after its last chunk")
                return
            break
        else:
            raise ArchiveTamperedError(f"chunk {index} is not authentic (altered, moved, or another key's)")
        index += 1


__all__ = ["CHUNK", "MAGIC", "ArchiveTamperedError", "decrypt", "encrypt"]
