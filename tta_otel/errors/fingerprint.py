"""A stable fingerprint of an error, computed as an error tracker does.

Two occurrences of the same bug must group together even when they carry different values,
run at different line numbers after an edit, or are deployed at different paths; two
different bugs must not. So the fingerprint hashes, for every exception of a chain
(``raise ... from``, an exception raised while handling another, the members of an exception
group), its type and the module and function of each in-app frame - never the message, line
numbers or paths.

It reads the exception object and its traceback objects, never the formatted text: a message
is data, and a message that contains ``File "...", line 1, in forged`` must not change the
group. Where only text is left (a log record whose exception object is gone) the fingerprint
is that of the type alone (``type_fingerprint``), which message text cannot forge either.

Input must not create unbounded error groups (each one a series of ``tta.errors`` and
possibly a page), so ``FingerprintLimit`` caps the distinct fingerprints of a process: past
the cap every new one is ``other``.
"""

from __future__ import annotations

import hashlib
import os
import sysconfig
import threading
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

from tta_otel.error_type import error_type

_THIRD_PARTY_DIRS = ("site-packages", "dist-packages")
FINGERPRINT_LENGTH = 16
OTHER = "other"
"""The fingerprint of every error group past the per-process cap."""
DEFAULT_LIMIT = 1000
_MAX_EXCEPTIONS = 64
"""Exceptions of one chain that count; a longer chain (or a cycle) stops there."""


@dataclass(frozen=True)
class Frame:
    module: str
    function: str
    in_app: bool


@dataclass
class ChainedException:
    """One exception of a chain: its type (as ``error.type`` writes it) and the frames that raised it."""

    type: str = ""
    frames: list[Frame] = field(default_factory=list)


def _library_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    return tuple(sorted((os.path.normpath(root) + os.sep for root in roots), key=len, reverse=True))


_LIBRARY_ROOTS = _library_roots()


def _is_in_app(path: str, module: str, in_app_modules: Sequence[str]) -> bool:
    if path.startswith("<") or any(part in _THIRD_PARTY_DIRS for part in PurePath(path).parts):
        return False
    if os.path.normpath(path).startswith(_LIBRARY_ROOTS):
        return False
    if in_app_modules:
        return any(module == prefix or module.startswith(prefix + ".") for prefix in in_app_modules)
    return True


def _exceptions(exception: BaseException) -> Iterator[BaseException]:
    """The exceptions of a chain in the order ``traceback`` prints them: the cause (or the
    exception being handled) first, then the exception, then the members of a group."""
    seen: set[int] = set()

    def walk(current: BaseException) -> Iterator[BaseException]:
        if id(current) in seen or len(seen) >= _MAX_EXCEPTIONS:
            return
        seen.add(id(current))
        if current.__cause__ is not None:
            yield from walk(current.__cause__)
        elif current.__context__ is not None and not current.__suppress_context__:
            yield from walk(current.__context__)
        yield current
        if isinstance(current, BaseExceptionGroup):
            for member in current.exceptions:
                yield from walk(member)

    yield from walk(exception)


def exception_chain(exception: BaseException, in_app_modules: Sequence[str] = ()) -> list[ChainedException]:
    """Each exception of the chain with its frames, read from the traceback objects."""
    chain = []
    for current in _exceptions(exception):
        frames = []
        for frame, _ in traceback.walk_tb(current.__traceback__):
            code = frame.f_code
            module = str(frame.f_globals.get("__name__", "")) or PurePath(code.co_filename).stem
            frames.append(Frame(module, code.co_qualname, _is_in_app(code.co_filename, module, in_app_modules)))
        chain.append(ChainedException(error_type(current), frames))
    return chain


def _digest(parts: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:FINGERPRINT_LENGTH]


def fingerprint(exception: BaseException, in_app_modules: Sequence[str] = ()) -> str:
    """16 hex digits that identify the error group of this exception (uncapped)."""
    parts = []
    for chained in exception_chain(exception, in_app_modules):
        frames = [frame for frame in chained.frames if frame.in_app] or chained.frames
        parts.append(chained.type + "|" + ";".join(f"{frame.module}:{frame.function}" for frame in frames))
    return _digest(parts)


def type_fingerprint(exception_type: str) -> str:
    """The fingerprint of an error known only by its type name and its text: the type alone."""
    return _digest([f"{exception_type}|"])


class FingerprintLimit:
    """At most ``limit`` distinct fingerprints per process; every later new one becomes ``other``."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, error_fingerprint: str) -> str:
        with self._lock:
            if error_fingerprint in self._seen:
                return error_fingerprint
            if len(self._seen) >= self.limit:
                return OTHER
            self._seen.add(error_fingerprint)
            return error_fingerprint


__all__ = [
    "DEFAULT_LIMIT",
    "FINGERPRINT_LENGTH",
    "OTHER",
    "ChainedException",
    "FingerprintLimit",
    "Frame",
    "exception_chain",
    "fingerprint",
    "type_fingerprint",
]
