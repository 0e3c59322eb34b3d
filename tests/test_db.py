"""The database door keeps working when a writer is cancelled or fails half-way, on either
engine; and SQLite's own open, which must close what it opened when a migration fails."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from photoarchive.db import AppDatabase, Database, UniqueViolation, build_database
from tests.support import make_settings, sqlite_only

# A writer cancelled or failed on a pooled PostgreSQL connection, as on SQLite's: both engines.
pytestmark = pytest.mark.usefixtures("engine")


async def _open(tmp_path: Path) -> AppDatabase:
    (tmp_path / "data").mkdir()
    db = build_database(make_settings(tmp_path / "data"), readers=1)
    await db.open()
    return db


def test_cancelled_writer_leaves_no_open_transaction(tmp_path: Path) -> None:
    async def scenario() -> list[int]:
        db = await _open(tmp_path)
        try:
            # Cancel writers at every point: before BEGIN ran, inside the block, around COMMIT.
            for delay in (0, 0, 0.0005, 0.001, 0.002):

                async def write() -> None:
                    async with db.transaction() as tx:
                        await tx.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER)")
                        await tx.execute("INSERT INTO t VALUES (1)")
                        await asyncio.sleep(0.01)

                task = asyncio.create_task(write())
                await asyncio.sleep(delay)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
            async with db.transaction() as tx:
                await tx.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER)")
                await tx.execute("INSERT INTO t VALUES (2)")
            return [row[0] for row in await db.fetchall("SELECT n FROM t")]
        finally:
            await db.close()

    assert asyncio.run(scenario()) == [2]


def test_failed_statement_rolls_back_and_the_next_write_works(tmp_path: Path) -> None:
    async def scenario() -> int:
        db = await _open(tmp_path)
        try:
            await db.execute("CREATE TABLE t (n INTEGER UNIQUE)")
            with pytest.raises(UniqueViolation):  # the seam's error, not sqlite3's
                async with db.transaction() as tx:
                    await tx.execute("INSERT INTO t VALUES (1)")
                    await tx.execute("INSERT INTO t VALUES (1)")
            await db.execute("INSERT INTO t VALUES (3)")
            return await db.fetchval("SELECT COUNT(*) FROM t")
        finally:
            await db.close()

    assert asyncio.run(scenario()) == 1


@sqlite_only
def test_a_failed_open_leaves_no_connection_behind(tmp_path: Path) -> None:
    """Each connection has a thread of its own that keeps the process alive until closed; an
    open that fails must close what it opened, not leave that to the garbage collector (a
    caller that keeps the error, as a test report does, would otherwise hang at exit)."""
    path = tmp_path / "archive.sqlite3"

    async def open_and_close() -> None:
        db = Database(path, readers=2)
        await db.open()
        await db.close()

    asyncio.run(open_and_close())
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 4")  # migration 0005 adds a column that is there
    db = Database(path, readers=2)
    before = set(threading.enumerate())
    with pytest.raises(sqlite3.OperationalError, match="duplicate column name"):
        asyncio.run(db.open())
    # A closed connection's thread ends a moment after close() returns, so wait for the
    # threads the open started; one left open would never end (60 s bounds that failure).
    started = [thread for thread in threading.enumerate() if thread not in before]
    for thread in started:
        thread.join(timeout=60)
    assert [t for t in started if t.is_alive()] == []  # while `db` and the error are still held
    with sqlite3.connect(path) as conn:  # and the half-run migration was rolled back
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
