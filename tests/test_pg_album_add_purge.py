"""On PostgreSQL, a photo purged while an album's add of many photos is writing: the add's one
INSERT reads the photo (its deletion not yet committed), and the foreign key check, waiting
for that deletion, then fails the whole statement. Asked again, the purged photo is read gone
and the rest go in: one photo not found, not every photo of a bulk add."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import psycopg

from photoarchive.library import album_photos, albums, bulk
from tests.postgres import PostgresServer
from tests.support import make_settings, services
from tests.test_neighbours import person, photo_of

BOUND = 60.0  # bounds a hang; the wait below ends on what the server says


def waiting_on_a_lock(postgres: PostgresServer, dbname: str) -> int:
    """How many statements of `dbname` wait for a row or transaction lock just now."""
    with postgres.admin() as conn:
        row = conn.execute(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
            (dbname,),
        ).fetchone()
    return int(row[0]) if row else 0


def test_a_photo_purged_during_a_bulk_add_fails_alone(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    url = postgres.new_database()
    dbname = url.rsplit("/", 1)[1]

    async def main() -> None:
        async with services(make_settings(tmp_path / "data", database_url=url)) as svc:
            ann = await person(svc, "ann")
            album = await albums.create(svc, ann, "Summer")
            kept = [await photo_of(svc, ann) for _ in range(3)]
            doomed = await photo_of(svc, ann)
            # Its purge under way: the row deleted, the transaction not committed.
            async with await psycopg.AsyncConnection.connect(url) as purging:
                await purging.execute("DELETE FROM photos WHERE id = %s", (doomed,))
                adding = asyncio.create_task(
                    bulk.apply(svc, ann, "add_to_album", [*kept, doomed], {"album_id": album.id})
                )
                deadline = time.monotonic() + BOUND
                while not adding.done() and waiting_on_a_lock(postgres, dbname) == 0:
                    assert time.monotonic() < deadline, "the add neither waited nor ended"
                    await asyncio.sleep(0.01)
                assert not adding.done(), "the add did not wait for the purge"
                await purging.commit()
            outcome = await adding
            assert outcome.done == kept
            assert [(f.id, f.status) for f in outcome.failed] == [(doomed, 404)]
            found = await albums.find(svc.db, album.id, ann)
            held = await album_photos.all_of(svc, found, ann)
            assert sorted(p.id for p in held) == kept

    asyncio.run(main())
