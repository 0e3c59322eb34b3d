"""On PostgreSQL, a photo taken out of an album while its owner puts it in the trash: the
removal waits for the trash (both hold the photo's trash lock) and then leaves the trashed
photo in the album, for its owner's restore to find it there. Without the lock, the removal's
statement did not see a trash not yet committed, and took it out."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import psycopg

from photoarchive.db.pg_sql import lock_key
from photoarchive.library import album_members, album_photos, albums, trash
from tests.postgres import PostgresServer
from tests.support import make_settings, services
from tests.test_neighbours import person, photo_of
from tests.test_pg_blob_cleanup import lock_requests

BOUND = 60.0  # bounds a hang; the wait below ends on what the server says


def test_a_removal_waits_for_a_trash_under_way_and_leaves_the_photo(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    url = postgres.new_database()
    dbname = url.rsplit("/", 1)[1]

    async def main() -> None:
        async with services(make_settings(tmp_path / "data", database_url=url)) as svc:
            ann, bea = await person(svc, "ann"), await person(svc, "bea")
            album = await albums.create(svc, ann, "Summer")
            await album_members.set_member(svc, ann, album.id, "bea", "contributor")
            photo = await photo_of(svc, bea)
            await album_photos.add(svc, await albums.find(svc.db, album.id, bea), bea, [photo])
            name = trash.lock_name(photo)
            # Bea's trash, as trash.move writes it, under way: its transaction not committed.
            async with await psycopg.AsyncConnection.connect(url) as binning:
                await binning.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(name),))
                await binning.execute(
                    "INSERT INTO trashed_photos (photo_id, trashed_at, trashed_by)"
                    " VALUES (%s, '2026-12-01T10:00:00Z', %s)",
                    (photo, bea.id),
                )
                removal = asyncio.create_task(album_photos.remove(svc, album.id, ann, [photo]))
                deadline = time.monotonic() + BOUND
                while not removal.done() and lock_requests(postgres, dbname, name)[1] == 0:
                    assert time.monotonic() < deadline, "the removal neither waited nor ended"
                    await asyncio.sleep(0.01)
                await binning.commit()
            assert await removal == []
            held = await svc.db.fetchval(
                "SELECT 1 FROM album_photos WHERE album_id = ? AND photo_id = ?", (album.id, photo)
            )
            assert held

    asyncio.run(main())
