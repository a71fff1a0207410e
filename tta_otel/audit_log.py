"""An append-only, hash-chained trail of privacy-relevant operations.

Who changed the privacy policy, rotated a key, exported a report or made the secrets, and when:
each operation appends one JSON line - its sequence number, time, actor (the operating-system
user and host), action, subject (a file or secret *name*, never its content) and the SHA-256
digests of what it was before and after - with the digest of the previous record and its own
digest over all of that. Editing a record breaks its digest; removing or reordering records
breaks the chain; cutting records off the end is caught by the head file beside the log
(``<log>.head``: the last sequence number and digest), which every append rewrites. The trail
holds no personal data: subjects are names, contents appear only as digests.

A leaf (standard library only) so that both sides use it: the operator's tools, and a service
that reloads its policy when ``TTA_AUDIT_LOG`` names a trail for it. Appends take an exclusive
lock on the log, so processes that share it keep one chain.
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import os
import socket
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from tta_otel.environment_variables import TTA_AUDIT_LOG, state_dir

GENESIS = "0" * 64
"""The ``previous`` digest of the first record."""


def digest_of(data: bytes | str) -> str:
    """SHA-256 (hex) of ``data``: how a record names a content without holding it."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def default_path() -> Path:
    """``$TTA_AUDIT_LOG``, else ``$TTA_OTEL_STATE/audit.jsonl``."""
    return Path(os.environ.get(TTA_AUDIT_LOG) or state_dir() / "audit.jsonl")


@dataclass(frozen=True)
class AuditRecord:
    sequence: int
    time: str
    actor: str
    action: str
    subject: str
    before: str | None
    after: str | None
    previous: str
    digest: str

    def expected_digest(self) -> str:
        return _digest_of_fields({key: value for key, value in asdict(self).items() if key != "digest"})


def _digest_of_fields(fields: dict[str, object]) -> str:
    return digest_of(json.dumps(fields, sort_keys=True, separators=(",", ":")))


def _actor() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


def _open_private(path: Path, flags: int) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    return os.open(path, flags | os.O_CREAT, 0o600)


class AuditLog:
    """The trail in ``path`` (created 0600 on the first append)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else default_path()
        self.head = self.path.with_name(self.path.name + ".head")

    def append(self, action: str, subject: str, *, before: str | None = None, after: str | None = None) -> AuditRecord:
        """Append one record (``before``/``after``: digests, see ``digest_of``) and return it."""
        descriptor = _open_private(self.path, os.O_RDWR | os.O_APPEND)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            last = self._last()
            fields: dict[str, object] = {
                "sequence": 0 if last is None else last.sequence + 1,
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "actor": _actor(),
                "action": action,
                "subject": subject,
                "before": before,
                "after": after,
                "previous": GENESIS if last is None else last.digest,
            }
            record = AuditRecord(**fields, digest=_digest_of_fields(fields))  # type: ignore[arg-type]
            os.write(descriptor, (json.dumps(asdict(record), sort_keys=True) + "\n").encode())
            os.fsync(descriptor)
            self._write_head(record)
        finally:
            os.close(descriptor)  # releases the lock
        return record

    def _write_head(self, record: AuditRecord) -> None:
        staging = self.head.with_name(self.head.name + ".new")
        descriptor = _open_private(staging, os.O_WRONLY | os.O_TRUNC)
        with os.fdopen(descriptor, "w") as output:
            json.dump({"sequence": record.sequence, "digest": record.digest}, output)
        staging.replace(self.head)

    def _last(self) -> AuditRecord | None:
        last = deque(self.records(), maxlen=1)
        return last[0] if last else None

    def records(self) -> Iterator[AuditRecord]:
        """Every record, in file order; a line that is not a record raises ``ValueError`` naming it."""
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                try:
                    yield AuditRecord(**json.loads(line))
                except (json.JSONDecodeError, TypeError) as exc:
                    raise ValueError(f"{self.path}:{number}: not an audit record ({exc})") from exc

    def verify(self) -> list[str]:
        """What is wrong with the trail, one line per problem; empty when it is intact."""
        problems: list[str] = []
        previous, expected_sequence = GENESIS, 0
        last: AuditRecord | None = None
        try:
            for record in self.records():
                where = f"record {record.sequence}"
                if record.digest != record.expected_digest():
                    problems.append(f"{where}: edited (its digest does not match its content)")
                if record.sequence != expected_sequence:
                    problems.append(f"{where}: out of order or after a removed record (expected {expected_sequence})")
                if record.previous != previous:
                    problems.append(f"{where}: the chain is broken before it (a record removed, reordered or edited)")
                previous, expected_sequence, last = record.digest, record.sequence + 1, record
        except ValueError as exc:
            return [str(exc)]
        problems.extend(self._check_head(last))
        return problems

    def _check_head(self, last: AuditRecord | None) -> list[str]:
        try:
            head = json.loads(self.head.read_text())
        except FileNotFoundError:
            return [] if last is None else [f"{self.head} is missing: records may have been cut off the end"]
        except (OSError, json.JSONDecodeError) as exc:
            return [f"{self.head} cannot be read: {exc}"]
        if last is None or head != {"sequence": last.sequence, "digest": last.digest}:
            return [f"the trail ends before record {head.get('sequence')} that {self.head} names: records were cut off"]
        return []


def record(action: str, subject: str, *, before: str | None = None, after: str | None = None) -> None:
    """Append to the default trail; an operation never fails because its audit record could not be
    written, but says so on standard error."""
    try:
        AuditLog().append(action, subject, before=before, after=after)
    except OSError as exc:
        print(
            f"tta-otel: the audit record of {action} {subject} could not be written: {exc}",
            file=sys.stderr,
        )


__all__ = ["GENESIS", "AuditLog", "AuditRecord", "default_path", "digest_of", "record"]
