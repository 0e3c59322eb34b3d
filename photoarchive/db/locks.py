"""Named locks for the SQLite backend, held across awaits and honoured by every process.

A name maps to one of `SLOTS` slots. Inside a process, one asyncio lock per busy slot; across
processes (the server and `photoarchive verify --repair`, say), an exclusive POSIX lock on the
slot's byte of a file beside the database. Two names may share a slot: they then wait for each
other, which is harmless, as each is held only while the work it guards runs.

POSIX locks belong to a process, not to a file handle, and closing any handle of the file drops
them all: so one handle per file per process, shared by every Database object on that file, and
closed only when no slot of it is held.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

SLOTS = 1 << 20


@dataclass
class _LockFile:
    fd: int
    slots: dict[int, asyncio.Lock] = field(default_factory=dict)
    users: dict[int, int] = field(default_factory=dict)  # slot -> holders and waiters here


_files: dict[str, _LockFile] = {}


def slot_of(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest()) % SLOTS


def _open(path: Path) -> _LockFile:
    key = str(path.resolve())
    if key not in _files:
        _files[key] = _LockFile(os.open(key, os.O_RDWR | os.O_CREAT, 0o600))
    return _files[key]


def _leave(path: Path, file: _LockFile, slot: int) -> None:
    file.users[slot] -= 1
    if not file.users[slot]:
        del file.users[slot], file.slots[slot]
    if not file.users:
        os.close(file.fd)
        del _files[str(path.resolve())]


@asynccontextmanager
async def named_lock(path: Path, name: str) -> AsyncIterator[None]:
    """Hold `name` among everyone who locks names with the lock file at `path`."""
    slot = slot_of(name)
    file = _open(path)
    file.users[slot] = file.users.get(slot, 0) + 1
    local = file.slots.setdefault(slot, asyncio.Lock())
    try:
        await local.acquire()
    except BaseException:
        _leave(path, file, slot)
        raise
    handed_on = False
    try:
        try:
            fcntl.lockf(file.fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, slot)
        except OSError:  # another process holds it: wait in a thread, not on the event loop
            waiting = asyncio.get_running_loop().run_in_executor(
                None, fcntl.lockf, file.fd, fcntl.LOCK_EX, 1, slot
            )
            try:
                await asyncio.shield(waiting)
            except asyncio.CancelledError:
                # The thread goes on waiting: what it gets is given back when it gets it.
                def give_back(done: asyncio.Future[None]) -> None:
                    if not done.cancelled() and done.exception() is None:
                        fcntl.lockf(file.fd, fcntl.LOCK_UN, 1, slot)
                    local.release()
                    _leave(path, file, slot)

                waiting.add_done_callback(give_back)
                handed_on = True
                raise
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                fcntl.lockf(file.fd, fcntl.LOCK_UN, 1, slot)
    finally:
        if not handed_on:
            local.release()
            _leave(path, file, slot)
