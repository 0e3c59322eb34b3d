"""The database seam's promises, on the SQLite backend: engine-neutral integrity errors and
named locks that hold within a process and across processes."""

from __future__ import annotations

import asyncio
import fcntl
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from photoarchive.db import (
    Database,
    ForeignKeyViolation,
    IntegrityError,
    UniqueViolation,
    locks,
)

HANG = 60  # seconds before a stuck scenario fails instead of stalling the run


def run(path: Path, body: Callable[[Database], Awaitable[None]]) -> None:
    async def scenario() -> None:
        db = Database(path, readers=1)
        await db.open()
        try:
            await asyncio.wait_for(body(db), HANG)
        finally:
            await db.close()

    asyncio.run(scenario())


def test_constraint_failures_come_as_the_seams_own_errors(tmp_path: Path) -> None:
    async def body(db: Database) -> None:
        async with db.transaction() as tx:
            await tx.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT UNIQUE)")
            await tx.execute(
                "CREATE TABLE child (parent_id INTEGER NOT NULL REFERENCES parent (id))"
            )
        assert await db.execute("INSERT INTO parent (name) VALUES ('a')") == 1
        with pytest.raises(UniqueViolation):
            await db.execute("INSERT INTO parent (name) VALUES ('a')")
        with pytest.raises(ForeignKeyViolation):
            await db.execute("INSERT INTO child (parent_id) VALUES (42)")
        with pytest.raises(IntegrityError) as refused:
            await db.execute("INSERT INTO child (parent_id) VALUES (NULL)")
        assert type(refused.value) is IntegrityError  # neither of the two kinds above
        async with db.transaction() as tx:  # and RETURNING gives the new id
            new = await tx.fetchval("INSERT INTO parent (name) VALUES ('b') RETURNING id")
        assert new == await db.fetchval("SELECT id FROM parent WHERE name = 'b'")

    run(tmp_path / "db.sqlite3", body)


def test_a_named_lock_has_one_holder_whichever_database_object_asks(tmp_path: Path) -> None:
    async def body(db: Database) -> None:
        other = Database(db.path, readers=1)  # a second object on the same file
        await other.open()
        try:
            order: list[str] = []
            async with db.lock("blobs:x"):
                waiting = asyncio.create_task(_hold(other, "blobs:x", order))
                async with other.lock("blobs:y"):  # another name is free meanwhile
                    order.append("y")
                for _ in range(5):  # give the waiting task every chance to run
                    await asyncio.sleep(0)
                assert not waiting.done()
                order.append("first released")
            await waiting
            assert order == ["y", "first released", "second held"]
        finally:
            await other.close()

    run(tmp_path / "db.sqlite3", body)


async def _hold(db: Database, name: str, order: list[str]) -> None:
    async with db.lock(name):
        order.append("second held")


HOLDER = """
import asyncio, sys
from pathlib import Path
from photoarchive.db import Database

async def main():
    db = Database(Path(sys.argv[1]), readers=1)
    await db.open()
    async with db.lock(sys.argv[2]):
        print("held", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
    await db.close()

asyncio.run(main())
"""


def test_a_named_lock_excludes_another_process(tmp_path: Path) -> None:
    """`photoarchive verify --repair` runs beside the server: the lock must hold across them."""
    path = tmp_path / "db.sqlite3"
    run(path, lambda db: asyncio.sleep(0))  # create the database
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), "blobs:abc"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline() == "held\n"
        lock_file = path.with_name(path.name + "-locks")
        fd = os.open(lock_file, os.O_RDWR)
        try:
            with pytest.raises(OSError):  # the other process holds the name's byte
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, locks.slot_of("blobs:abc"))
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, locks.slot_of("blobs:other"))
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, locks.slot_of("blobs:other"))
        finally:
            os.close(fd)

        async def body(db: Database) -> None:
            # Asked for while the other process holds it; cancelled while waiting; then asked
            # for again once the other lets go: the cancelled wait must not keep it.
            cancelled = asyncio.create_task(_hold(db, "blobs:abc", []))
            await asyncio.sleep(0)
            cancelled.cancel()
            with pytest.raises(asyncio.CancelledError):
                await cancelled
            holder.stdin.write("\n")  # type: ignore[union-attr]
            holder.stdin.flush()  # type: ignore[union-attr]
            order: list[str] = []
            await _hold(db, "blobs:abc", order)
            assert order == ["second held"]

        run(path, body)
        assert holder.wait(timeout=HANG) == 0
    finally:
        holder.kill()
        holder.wait()


COUNT_TO = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < ?)"
SLOW = COUNT_TO + " SELECT count(*) FROM c"


def test_a_key_lookup_is_answered_without_waiting_for_a_reader(tmp_path: Path) -> None:
    async def body(db: Database) -> None:
        await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
        await db.execute("INSERT INTO t (id, name) VALUES (1, 'one')")
        # The only reader thread is busy with a long count...
        busy = asyncio.create_task(db.fetchval(SLOW, (3_000_000,)))
        await asyncio.sleep(0.05)
        assert not busy.done()
        # ... and the lookup is answered while it still is: no trip to that thread.
        row = await db.fetch_by_key("SELECT name FROM t WHERE id = ?", (1,))
        assert row is not None and row["name"] == "one"
        assert not busy.done()
        assert await db.fetch_by_key("SELECT name FROM t WHERE id = ?", (2,)) is None
        await db.execute("INSERT INTO t (id, name) VALUES (2, 'two'), (3, 'three')")
        page = await db.fetch_indexed("SELECT id FROM t WHERE id > ? ORDER BY id LIMIT 2", (1,))
        assert [row["id"] for row in page] == [2, 3]
        assert not busy.done()
        # A write is seen by the very next lookup: the connection keeps no old snapshot.
        await db.execute("UPDATE t SET name = 'uno' WHERE id = 1")
        row = await db.fetch_by_key("SELECT name FROM t WHERE id = ?", (1,))
        assert row is not None and row["name"] == "uno"
        assert await busy == 3_000_000

    run(tmp_path / "a.db", body)


def test_a_lookup_that_turns_out_slow_goes_to_a_reader_and_still_answers(tmp_path: Path) -> None:
    async def body(db: Database) -> None:
        busy = asyncio.create_task(db.fetchval(SLOW, (3_000_000,)))
        await asyncio.sleep(0.05)
        # Past its step budget the query gives up on this thread and queues for the reader,
        # so it can only be answered once the long count is done.
        row = await db.fetch_by_key(SLOW, (200_000,))
        assert busy.done()
        assert row is not None and row[0] == 200_000
        await busy

    run(tmp_path / "a.db", body)
