"""Uploaded files on disk whose row may never commit: pending markers and the sweep.

An upload reaches its content-addressed name (``<sha256>.<kind>``) before the transaction that
records its row commits, because small inputs are classified inside that transaction. A worker
killed in between, or a request rolled back after the file was placed, would leave a file that
no row refers to. So every transaction that places or reuses a file holds a *pending marker*
for it, an empty ``.pending-<pid>-<nonce>-<name>`` in the same directory, from before the file
is placed until the end of the transaction: the commit deletes the marker; a rollback renames
it ``.abandoned-<nonce>-<name>``; a killed worker leaves it with a dead pid.

:func:`sweep` deletes a file that has no row and no live marker (plus its markers and the
``.incoming-<pid>-*`` temporaries of dead writers). It runs when the app starts (so a new
worker cleans up after the one that was killed) and before each upload. Placing a file and
sweeping take an exclusive ``flock`` on the directory, so a sweep never deletes a file another
request has just decided to reuse.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import logging
import os
import secrets
import socket
import tempfile
import time
from collections.abc import Iterator
from typing import IO, Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from ..errors import ValidationError
from ..models import GenotypingFile

log = logging.getLogger("biobank.uploads")

PENDING = ".pending-"
ABANDONED = ".abandoned-"
INCOMING = ".incoming-"
#: A marker of a live process older than this is treated as stale: no upload transaction
#: runs for an hour, and a recycled pid must not keep a file forever.
STALE_AFTER_SECONDS = 3600.0
_SESSION_KEY = "biobank.upload_markers"


def incoming_prefix() -> str:
    """Prefix for a temporary upload file: the writer's pid lets the sweep spot a dead one."""
    return f"{INCOMING}{_OWNER}-"


class Incoming(io.FileIO):
    """An upload as it arrives: written straight to a temporary file in the store's directory
    (same filesystem as its final name, so placing it is a rename) while its SHA-256, size and
    first bytes are taken, so the body is read once and never held in memory. Closing it
    deletes the temporary file unless it was placed."""

    HEAD = 32

    def __init__(self, directory: str, max_bytes: int) -> None:
        fd, self.path = tempfile.mkstemp(dir=directory, prefix=incoming_prefix())
        super().__init__(fd, "r+b", closefd=True)
        self.directory = directory
        self.max_bytes = max_bytes
        self.digest = hashlib.sha256()
        self.size = 0
        self.head = b""

    def write(self, data: Any) -> int:
        n = len(data)
        self.size += n
        if self.size > self.max_bytes:
            self.close()  # the request fails here: nothing of it stays on disk
            raise too_large(self.max_bytes)
        if len(self.head) < self.HEAD:
            self.head += bytes(data[: self.HEAD - len(self.head)])
        self.digest.update(data)
        view = memoryview(data)
        while view:  # FileIO.write may write less than asked
            done = super().write(view)
            view = view[done or 0:]
        return n

    @classmethod
    def copy_of(cls, stream: IO[bytes], directory: str, max_bytes: int) -> Incoming:
        """The same for a stream that did not arrive through a request (CLI, tests)."""
        incoming = cls(directory, max_bytes)
        try:
            while chunk := stream.read(CHUNK):
                incoming.write(chunk)
        except BaseException:
            incoming.close()
            raise
        return incoming

    def close(self) -> None:
        super().close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


CHUNK = 1 << 20


def too_large(max_bytes: int) -> ValidationError:
    return ValidationError("the file is larger than %(mib)s MiB", mib=max_bytes // (1 << 20),
                           code="too_large")


@contextlib.contextmanager
def _locked(directory: str) -> Iterator[None]:
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def place(session: Session, tmp: str, final: str) -> None:
    """Move ``tmp`` to ``final`` unless that content is already there, holding a pending marker
    for ``final`` until ``session``'s transaction ends."""
    directory, name = os.path.split(final)
    marker = os.path.join(directory, f"{PENDING}{_OWNER}-{secrets.token_hex(6)}-{name}")
    if not session.in_transaction():
        session.begin()  # so that its end, commit or not, releases the marker below
    with _locked(directory):
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        session.info.setdefault(_SESSION_KEY, []).append(marker)
        if not os.path.exists(final):
            os.replace(tmp, final)


@event.listens_for(Session, "after_commit")
def _release(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the row is not durable yet
    for marker in session.info.pop(_SESSION_KEY, ()):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(marker)


@event.listens_for(Session, "after_transaction_end")
def _abandon(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None or transaction.nested:
        return
    # The root transaction ended without the commit above: the file may have no row.
    for marker in session.info.pop(_SESSION_KEY, ()):
        directory, name = os.path.split(marker)
        nonce_and_final = name[len(PENDING):].split("-", 1)[1]
        with contextlib.suppress(FileNotFoundError):
            os.replace(marker, os.path.join(directory, ABANDONED + nonce_and_final))


def _owner(pid: int) -> str:
    """Who writes a temporary or holds a marker: ``<pid>@<host tag>``. The upload directory
    may be shared by several machines (docs/DEPLOY.md): a pid means something only on the
    machine that wrote it, so another machine's markers count as live until they are stale."""
    host = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
    return f"{pid}@{host}"


_OWNER = _owner(os.getpid())


def _owner_alive(token: str) -> bool:
    pid_text, _at, host = token.partition("@")
    pid = _int(pid_text)
    if pid is None:
        return False
    if host and f"{pid}@{host}" != _owner(pid):
        return True  # another machine's writer: only its age can retire it
    return _pid_alive(pid)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _age(path: str, now: float) -> float:
    try:
        return now - os.stat(path).st_mtime
    except FileNotFoundError:
        return 0.0


def needs_sweep(directory: str) -> bool:
    """Whether ``directory`` holds any marker or temporary: the cheap test before a sweep."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return False
    return any(n.startswith((PENDING, ABANDONED, INCOMING)) for n in names)


def sweep(session: Session, directory: str, *,
          stale_after: float = STALE_AFTER_SECONDS) -> list[str]:
    """Delete the files of ``directory`` that no committed row names and no live transaction
    holds; return the names deleted (markers and temporaries included)."""
    if not needs_sweep(directory):
        return []
    removed: list[str] = []
    now = time.time()
    with _locked(directory):
        live: set[str] = set()
        stale: dict[str, list[str]] = {}
        for name in os.listdir(directory):
            path = os.path.join(directory, name)
            if name.startswith(PENDING):
                owner, _nonce, final = _split_pending(name)
                if _owner_alive(owner) and _age(path, now) < stale_after:
                    live.add(final)
                else:
                    stale.setdefault(final, []).append(name)
            elif name.startswith(ABANDONED):
                stale.setdefault(name[len(ABANDONED):].split("-", 1)[-1], []).append(name)
            elif name.startswith(INCOMING):
                owner = name[len(INCOMING):].split("-", 1)[0]
                if not _owner_alive(owner) or _age(path, now) >= stale_after:
                    removed += _unlink(directory, [name])
        candidates = sorted(set(stale) - live)
        if candidates:
            kept = set(session.execute(
                select(GenotypingFile.stored_name)
                .where(GenotypingFile.stored_name.in_(candidates))).scalars())
            for final in candidates:
                names = stale[final] if final in kept else [final, *stale[final]]
                removed += _unlink(directory, names)
    if removed:
        log.warning("upload sweep removed %d unreferenced file(s) from %s",
                    len(removed), directory)
    return removed


def _split_pending(name: str) -> tuple[str, str, str]:
    parts = name[len(PENDING):].split("-", 2)
    if len(parts) != 3:
        return "", "", parts[-1]
    return parts[0], parts[1], parts[2]


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _unlink(directory: str, names: list[str]) -> list[str]:
    done = []
    for name in names:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(directory, name))
            done.append(name)
    return done


def sweep_at_start(db: Any, directory: str) -> None:
    """The start-up sweep: a new worker cleans up after a killed one. A database that is not
    migrated yet (``flask db upgrade`` builds the app too) or unreachable is only logged."""
    if not needs_sweep(directory):
        return
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with db.transaction() as session:
            sweep(session, directory)
    except (SQLAlchemyError, OSError) as exc:
        log.warning("upload sweep skipped: %s", exc.__class__.__name__)
