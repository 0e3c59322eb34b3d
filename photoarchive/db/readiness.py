"""Whether the database is ready for requests: it answers a trivial query at once, and its
schema is at least the newest migration this code knows. A load balancer asks this (/readyz)
to send requests only to instances that can serve them; liveness (/healthz) never asks it,
as an instance whose database is away should wait for it rather than be restarted."""

from __future__ import annotations

import asyncio
import enum
from functools import cache

from photoarchive.db import pg_migrations, sqlite
from photoarchive.db.engine import AppDatabase
from photoarchive.db.postgres import PostgresDatabase

# How long the trivial query may take: a database slower than this is not fit to serve.
ANSWER_WITHIN = 2.0


class Readiness(enum.Enum):
    READY = "ready"
    UNREACHABLE = "unreachable"
    OUTDATED = "outdated"  # answers, but its schema is older than this code needs


@cache
def newest_migration(postgres: bool) -> int:
    found = pg_migrations.migrations() if postgres else sqlite.migrations()
    return max(version for version, _ in found)


async def readiness(db: AppDatabase, within: float = ANSWER_WITHIN) -> Readiness:
    try:
        version = await asyncio.wait_for(db.schema_version(), within)
    except Exception:  # whatever went wrong (refused, timed out, the file unreadable): not ready
        return Readiness.UNREACHABLE
    # A newer schema is ready too: in a rolling upgrade the first new instance migrates while
    # the old ones go on serving until they are replaced.
    if version < newest_migration(isinstance(db, PostgresDatabase)):
        return Readiness.OUTDATED
    return Readiness.READY
