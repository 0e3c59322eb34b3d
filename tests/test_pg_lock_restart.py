"""A named lock held on PostgreSQL (a session advisory lock) across a server restart: the
restart ends the session and with it the lock, so its holder is stopped at once (LockLost,
a 503 to a request) rather than going on with work the lock no longer guards; taking the lock
again then works. A cluster of this module's own, as it is restarted."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from photoarchive.db import LockLost, PostgresDatabase
from photoarchive.errors import Unavailable
from tests.postgres import PostgresServer, _start

BOUND = 60.0  # bounds a hang (a holder never told); passing takes no waiting for time


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresServer]:
    with tempfile.TemporaryDirectory(prefix="photoarchive-pg-lock-") as root:
        yield from _start(Path(root))


async def _until_taken(db: PostgresDatabase, name: str) -> None:
    """Take and give back `name` once the server answers again (503s until then)."""
    while True:
        try:
            async with db.lock(name):
                return
        except Unavailable:
            await asyncio.sleep(0.1)


def test_a_lock_holder_is_stopped_when_a_restart_takes_its_lock(
    cluster: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = cluster.new_database()

    async def scenario() -> None:
        db, other = PostgresDatabase(url, 2), PostgresDatabase(url, 2)
        await db.open()
        await other.open()
        held, go_on = asyncio.Event(), asyncio.Event()
        steps_after_restart: list[int] = []

        async def job() -> None:
            async with db.lock("nightly job"):
                held.set()
                await go_on.wait()  # the work the lock guards, step by step
                steps_after_restart.append(1)

        try:
            holder = asyncio.create_task(job())
            await held.wait()
            await asyncio.to_thread(cluster.stop)
            await asyncio.to_thread(cluster.start)
            # The holder has been told before anyone else may take the lock.
            with pytest.raises(LockLost) as lost:
                await asyncio.wait_for(holder, BOUND)
            assert isinstance(lost.value, Unavailable) and lost.value.retry_after
            # Said to a person as an outage; the lock's name is the log's.
            assert "cannot be reached" in lost.value.message
            assert any("nightly job" in r.getMessage() for r in caplog.records)
            go_on.set()
            assert steps_after_restart == []
            # Another instance takes it once the server is back; so does the first, afresh.
            await asyncio.wait_for(_until_taken(other, "nightly job"), BOUND)
            await asyncio.wait_for(_until_taken(db, "nightly job"), BOUND)
        finally:
            await db.close()
            await other.close()

    asyncio.run(asyncio.wait_for(scenario(), 4 * BOUND))
