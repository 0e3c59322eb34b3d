"""PostgreSQL's migrations: the numbered files of `migrations_pg/`, each applied once, in its own
transaction, by whichever instance starts first (the others wait on an advisory lock, then find
nothing left to do). The versions applied are rows of `schema_migrations`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import psycopg

from photoarchive.db.migration_files import numbered
from photoarchive.db.pg_sql import lock_key

_LOCK = "photoarchive: migrations"


def migrations() -> Iterable[tuple[int, str]]:
    """Numbered SQL files in `photoarchive/db/migrations_pg`, in order."""
    return numbered("migrations_pg")


async def migrate(conn: psycopg.AsyncConnection[Any]) -> None:
    """Bring the schema up to date; `conn` is in autocommit mode and left as it was found."""
    key = lock_key(_LOCK)
    await conn.execute("SELECT pg_advisory_lock(%s)", (key,))
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at"
            " TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        # Each file not recorded, whatever the numbers recorded after it: one taken back by
        # hand (a repair that must run again) is applied again alone.
        cursor = await conn.execute("SELECT version FROM schema_migrations")
        applied = {row[0] for row in await cursor.fetchall()}
        for version, sql in migrations():
            if version in applied:
                continue
            async with conn.transaction():
                await conn.execute(sql.encode())  # as written: no parameters, `%` is itself
                await conn.execute(
                    "INSERT INTO schema_migrations (version) VALUES (%s)", (version,)
                )
    finally:
        await conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
