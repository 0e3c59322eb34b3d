"""A session advisory lock's connection, watched while the lock is held.

PostgreSQL keeps a session lock only as long as its session: a restart, or a connection that
breaks, gives the lock up without a word to its holder, and another instance may take it while
the holder goes on with work it guards. So while the lock is held the connection's socket is
watched (it carries nothing else meanwhile); once it says the session is over, the holding task
is cancelled at its next await, and leaves the lock's block with `LockLost`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import pq


class LockWatch:
    """Watches `conn` from the moment the lock is taken until `stop`; `lost` says whether,
    and why, the session ended meanwhile (the holding task has then been cancelled)."""

    def __init__(
        self, conn: psycopg.AsyncConnection[Any], on_lost: Callable[[BaseException], None]
    ) -> None:
        self._conn = conn
        self._on_lost = on_lost
        self._holder = asyncio.current_task()
        self._loop = asyncio.get_running_loop()
        self._fd: int | None = conn.pgconn.socket
        self.lost: BaseException | None = None
        self._loop.add_reader(self._fd, self._readable)

    def _readable(self) -> None:
        pgconn = self._conn.pgconn
        try:
            pgconn.consume_input()  # a notice, say, is read and kept for later
        except psycopg.OperationalError as exc:
            self._end(exc)
            return
        if pgconn.status != pq.ConnStatus.OK:
            self._end(psycopg.OperationalError("the lock's connection was closed"))

    def _end(self, exc: BaseException) -> None:
        self.stop()
        self.lost = exc
        self._on_lost(exc)
        if self._holder is not None:
            self._holder.cancel()

    def stop(self) -> None:
        """Stop watching: before the connection is used again (to give the lock back)."""
        if self._fd is not None:
            self._loop.remove_reader(self._fd)
            self._fd = None

    def settle(self) -> None:
        """Take back the cancellation this watch asked for, once the holder has left its
        block: the task goes on (to raise LockLost), cancelled by nobody else."""
        if self.lost is not None and self._holder is not None:
            self._holder.uncancel()
