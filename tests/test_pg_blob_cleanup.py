"""An upload whose digest lock went with its PostgreSQL session (a restart, a broken
connection) is stopped, and its clean-up never deletes the files under a lock that another
instance holds by then, reusing those very files: it takes the lock again first, and keeps
what a photo came to use meanwhile."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from photoarchive.db import LockLost
from photoarchive.db.pg_sql import lock_key
from photoarchive.library import blobs, ingest
from photoarchive.library.ingest import IncomingFile
from tests.postgres import PostgresServer
from tests.support import PHOTOS, make_settings, services
from tests.test_neighbours import person

BOUND = 60.0  # bounds a hang; every wait below is for an event
SOURCE = sorted((PHOTOS / "cameras").glob("*.jpg"))[0]


def lock_requests(postgres: PostgresServer, dbname: str, name: str) -> tuple[int, int]:
    """(granted, waiting) session advisory lock requests for the named lock."""
    key = lock_key(name)
    with postgres.admin(dbname) as admin:
        rows = admin.execute(
            "SELECT granted, COUNT(*) FROM pg_locks WHERE locktype = 'advisory'"
            " AND ((classid::bigint << 32) | objid::bigint) = %s::bigint"
            " GROUP BY granted",
            (key,),  # the shift wraps to the signed key, as PostgreSQL took it
        ).fetchall()
    counts = dict(rows)
    return counts.get(True, 0), counts.get(False, 0)


async def until(condition: Callable[[], bool]) -> None:
    """Poll what the database server says of its locks (no event tells of it), within BOUND."""
    deadline = time.monotonic() + BOUND
    while not condition():
        assert time.monotonic() < deadline, "still not so"
        await asyncio.sleep(0.02)


def test_an_upload_that_lost_its_lock_cleans_up_only_under_the_lock_again(
    postgres: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = postgres.new_database()
    dbname = url.rsplit("/", 1)[1]
    settings = make_settings(tmp_path / "data", database_url=url)
    data = SOURCE.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    name = blobs.lock_name(digest)
    copy = tmp_path / "incoming.jpg"
    shutil.copyfile(SOURCE, copy)

    stored = asyncio.Event()

    async def held_after_storing(*args: object, **kwargs: object) -> int | None:
        stored.set()
        await asyncio.Event().wait()  # until the lock is lost: cancelled here
        raise AssertionError("not reached")

    monkeypatch.setattr(ingest, "_insert", held_after_storing)

    async def scenario() -> None:
        async with services(settings) as one, services(settings) as two:
            settings.tmp_dir.mkdir(parents=True, exist_ok=True)
            owner = await person(one, "alice")
            incoming = IncomingFile(copy, SOURCE.name, digest, len(data))
            upload = asyncio.create_task(ingest.add(one, owner, incoming, "", quota=False))
            await asyncio.wait_for(stored.wait(), BOUND)
            assert all([await one.store.stat(key) for key in blobs.keys(digest)])

            # The other instance asks for the lock; the first one's session then ends, and the
            # server hands the lock over at once.
            reused = asyncio.Event()
            let_go = asyncio.Event()

            async def other_instance() -> None:
                async with two.db.lock(name):
                    async with two.db.transaction() as tx:  # reusing the files it found
                        await tx.execute(
                            "INSERT INTO photos (owner_id, sha256, bytes, content_type, width,"
                            " height, preview_width, created_at) VALUES (?, ?, ?, 'image/jpeg',"
                            " 640, 480, 640, '2024-05-01T10:00:00Z')",
                            (owner.id, digest, len(data)),
                        )
                    reused.set()
                    await let_go.wait()

            other = asyncio.create_task(other_instance())
            await until(lambda: lock_requests(postgres, dbname, name) == (1, 1))
            with postgres.admin(dbname) as admin:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                    " AND granted AND database = (SELECT oid FROM pg_database"
                    " WHERE datname = current_database())"
                )
            await asyncio.wait_for(reused.wait(), BOUND)
            # The first instance, stopped, now waits for the lock to clean up (it used not to:
            # it deleted the files while the other held the lock).
            await until(lambda: upload.done() or lock_requests(postgres, dbname, name)[1] == 1)
            assert not upload.done()
            assert all([await two.store.stat(key) for key in blobs.keys(digest)])
            let_go.set()
            await asyncio.wait_for(other, BOUND)
            with pytest.raises(LockLost):
                await asyncio.wait_for(upload, BOUND)
            # Its clean-up found the files in use: they stay.
            assert all([await two.store.stat(key) for key in blobs.keys(digest)])
        assert not copy.exists()  # the temp file is consumed either way

    asyncio.run(asyncio.wait_for(scenario(), 4 * BOUND))
