"""A photo's upload time on the archive's clock: where a photo without a date taken is placed.

A date taken is the wall clock where the photo was taken; a photo without one goes by when it
was uploaded, read on the wall clock of the archive's zone (PHOTOARCHIVE_TIMEZONE, else the
server's), so that a photo uploaded at 00:30 on 1 August in Paris is in August there, not on
31 July as UTC has it. Each photo keeps that reading, `created_local` (migration 0027): the
timeline's order and month counts, and search's days and date filters, read
COALESCE(taken_at, created_local, created_at) in SQL, which cannot read the tz database.

Ingest writes it with the upload (`local`). At start, `align` works it out again for every
photo when the archive's zone is not the one the stored readings were made in (archive_clock
says which), and for any photo written without one. No HTTP here.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from photoarchive import clock
from photoarchive.db import Backend

log = logging.getLogger("photoarchive.upload_clock")

# Photos read and rewritten per transaction while the zone changes.
BATCH = 500
# Instances starting together align once (the second finds the zone stored).
LOCK = "upload clock"

# Only photos without a date taken are placed by their upload time (see the module): a dated
# photo's reading would be work for nothing, and every photo written fires the triggers of
# the month counts and the search index.
_UNSET = (
    "SELECT id, created_at, created_local FROM photos"
    " WHERE id > ? AND taken_at IS NULL AND created_local IS NULL ORDER BY id LIMIT ?"
)
_EVERY = (
    "SELECT id, created_at, created_local FROM photos"
    " WHERE id > ? AND taken_at IS NULL ORDER BY id LIMIT ?"
)


def local(moment: float, zone_name: str) -> str:
    """What `created_local` says of a photo uploaded at `moment` (clock.now()'s seconds)."""
    return clock.wall_clock(moment, zone_name)


def moment(created_at: str) -> float | None:
    """The moment of a stored upload time; None for text that is none (left to be placed by
    created_at itself, as before)."""
    try:
        found = datetime.fromisoformat(created_at)
    except (TypeError, ValueError):
        return None
    return (found if found.tzinfo else found.replace(tzinfo=UTC)).timestamp()


async def align(db: Backend, zone_name: str) -> int:
    """Bring the `created_local` of every photo without a date taken to the zone called
    `zone_name` ("": the server's): all of them when the stored ones were worked out in
    another zone (or none is recorded: the first start after migration 0027), else those
    written without one. The month counts
    and the search index follow by their triggers. Returns how many photos changed."""
    identity = clock.zone_identity(zone_name)
    changed = 0
    async with db.lock(LOCK):
        stored = await db.fetchval("SELECT zone FROM archive_clock WHERE id = 1")
        query = _UNSET if stored == identity else _EVERY
        last = 0
        while rows := await db.fetchall(query, (last, BATCH)):
            async with db.transaction() as tx:
                for photo_id, created_at, stored_local in rows:
                    at = moment(created_at)
                    value = None if at is None else local(at, zone_name)
                    if value is not None and value != stored_local:
                        await tx.execute(
                            "UPDATE photos SET created_local = ? WHERE id = ?", (value, photo_id)
                        )
                        changed += 1
            last = int(rows[-1][0])
        # An archive without photos records nothing (a database `db copy` is to fill must
        # stay empty); its first photos are placed at upload, and the next start records.
        if stored != identity and last:
            await db.execute(
                "INSERT INTO archive_clock (id, zone) VALUES (1, ?)"
                " ON CONFLICT (id) DO UPDATE SET zone = excluded.zone",
                (identity,),
            )
    if changed:
        log.info("placed %d photos by their upload time in %s", changed, identity)
    return changed
