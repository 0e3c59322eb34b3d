"""A PostgreSQL pool with every connection in use for its whole timeout is load, not an outage:
503 "too busy" with Retry-After, logged as load, and the next request served at once, even when
the server itself takes no new connection just then (its connection limit reached)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from photoarchive.db import PostgresDatabase
from photoarchive.db import postgres as backend
from photoarchive.db.pg_outage import BUSY
from photoarchive.errors import Unavailable
from tests.postgres import PostgresServer


def test_a_full_pool_on_a_server_at_its_connection_limit_is_busy_not_down(
    postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(backend, "POOL_TIMEOUT", 0.5)
    url = postgres.new_database()
    name = url.rsplit("/", 1)[1]
    with postgres.admin() as admin:  # the pool's one connection is all the server allows it
        admin.execute(f'ALTER DATABASE "{name}" CONNECTION LIMIT 1')

    async def scenario() -> None:
        db = PostgresDatabase(url, 1)
        await db.open()
        try:
            async with db.transaction() as tx:  # holds the pool's one connection
                await tx.fetchval("SELECT 1")
                with pytest.raises(Unavailable) as refused:
                    await db.fetchval("SELECT 2")
            assert refused.value.message == BUSY
            assert refused.value.retry_after is not None and refused.value.retry_after > 0
            assert await db.fetchval("SELECT 3") == 3  # at once: nothing was taken for gone
        finally:
            await db.close()

    with caplog.at_level(logging.INFO, logger="photoarchive"):
        asyncio.run(asyncio.wait_for(scenario(), 60))
    said = [record.getMessage() for record in caplog.records if record.name == "photoarchive"]
    assert not any("cannot be reached" in line for line in said), said
    assert any("busy" in line for line in said), said
