"""A stable fingerprint of an error, computed as an error tracker does.

Two occurrences of the same bug must group together even when they carry different values,
run at different line numbers after an edit, or are deployed at different paths; two
different bugs must not. So the fingerprint hashes, for every exception of a chain
(``raise ... from``, or an exception raised while handling another), its type and the
module and function of each in-app frame - never the message, line numbers or paths.

It works on the formatted traceback (``exception.stacktrace``), which is what both spans and
log records carry, so one function serves both and the result is the same in either.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import sysconfig
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

_FRAME = re.compile(r'File "(?P<path>[^"]+)", line \d+, in (?P<function>.+?)\s*$')
_GROUP_PREFIX = re.compile(r"^[\s|+\-]*")
_NOT_EXCEPTION_LINES = ("Traceback ", "During handling of ", "The above exception ", "Exception Group Traceback")
_THIRD_PARTY_DIRS = ("site-packages", "dist-packages")
FINGERPRINT_LENGTH = 16


@dataclass(frozen=True)
class Frame:
    module: str
    function: str
    in_app: bool


@dataclass
class ChainedException:
    """One exception of a formatted traceback: its type and the frames that led to it."""

    type: str = ""
    frames: list[Frame] = field(default_factory=list)


def _library_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    return tuple(sorted((os.path.normpath(root) + os.sep for root in roots), key=len, reverse=True))


_LIBRARY_ROOTS = _library_roots()


def module_of(path: str) -> str:
    """The dotted module a source path belongs to, from the longest ``sys.path`` entry that holds it."""
    normalized = os.path.normpath(path)
    for entry in sorted((os.path.normpath(p or os.getcwd()) for p in sys.path), key=len, reverse=True):
        if normalized.startswith(entry + os.sep):
            relative = PurePath(normalized[len(entry) + 1 :])
            return ".".join(relative.with_suffix("").parts)
    return PurePath(path).stem


def _is_in_app(path: str, module: str, in_app_modules: Sequence[str]) -> bool:
    if path.startswith("<") or any(part in _THIRD_PARTY_DIRS for part in PurePath(path).parts):
        return False
    if os.path.normpath(path).startswith(_LIBRARY_ROOTS):
        return False
    if in_app_modules:
        return any(module == prefix or module.startswith(prefix + ".") for prefix in in_app_modules)
    return True


def parse_traceback(stacktrace: str, in_app_modules: Sequence[str] = ()) -> list[ChainedException]:
    """The exceptions of a formatted traceback, innermost cause first, as ``traceback`` prints them."""
    chain: list[ChainedException] = []
    current = ChainedException()
    expecting_type = False
    for raw in stacktrace.splitlines():
        line = _GROUP_PREFIX.sub("", raw) if raw.lstrip().startswith(("|", "+")) else raw
        if match := _FRAME.search(line):
            path, function = match.group("path"), match.group("function")
            module = module_of(path)
            current.frames.append(Frame(module, function, _is_in_app(path, module, in_app_modules)))
            expecting_type = True
        elif expecting_type and line and not line[0].isspace() and not line.startswith(_NOT_EXCEPTION_LINES):
            current.type = line.split(":", 1)[0].strip()
            chain.append(current)
            current = ChainedException()
            expecting_type = False
    return chain


def fingerprint(exception_type: str, stacktrace: str, in_app_modules: Sequence[str] = ()) -> str:
    """16 hex digits that identify the error group of this traceback.

    ``exception_type`` (the outermost exception's type) is used when the traceback cannot be
    parsed, so every error still gets a fingerprint.
    """
    parts = []
    for exception in parse_traceback(stacktrace, in_app_modules) or [ChainedException(exception_type)]:
        frames = [frame for frame in exception.frames if frame.in_app] or exception.frames
        parts.append(exception.type + "|" + ";".join(f"{frame.module}:{frame.function}" for frame in frames))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:FINGERPRINT_LENGTH]
