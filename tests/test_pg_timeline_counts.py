"""The timeline's month counts on PostgreSQL when two changes to one photo's place in them
meet: each waits for the other, so the counts end as a recount says (migration 0036). Before,
each missed the other's row and a month kept counting a private or trashed photo as the
family's, for everyone to see in /api/v1/timeline/buckets."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.postgres import PostgresServer
from tests.support import make_settings, services
from tests.test_neighbours import person, photo_of

BOUND = 60.0  # bounds a hang; the waits below end on what the server says
MADE_PRIVATE = "INSERT INTO private_photos (photo_id, made_at) VALUES (%(id)s, '2024-08-01')"
TRASHED = "INSERT INTO trashed_photos (photo_id, trashed_at) VALUES (%(id)s, '2024-08-01')"
REDATED = "UPDATE photos SET taken_at = '2024-07-15T10:00:00' WHERE id = %(id)s"
RECOUNT = """
SELECT 'family', substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 7), COUNT(*)
FROM photos p
WHERE NOT EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = p.id)
  AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = p.id)
  AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = p.id)
GROUP BY 2
UNION ALL
SELECT 'private', substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 7), COUNT(*)
FROM photos p
WHERE EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = p.id)
  AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = p.id)
  AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = p.id)
GROUP BY 2
"""


def counts(conn: psycopg.Connection[Any]) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """(what the count tables say, what a recount says), months of no photos left out."""
    kept = conn.execute(
        "SELECT 'family', month, photos FROM family_months WHERE photos <> 0 UNION ALL"
        " SELECT 'private', month, photos FROM private_months WHERE photos <> 0"
    ).fetchall()
    return set(kept), set(conn.execute(RECOUNT).fetchall())


@pytest.mark.parametrize(
    ("first", "second"),
    [(MADE_PRIVATE, REDATED), (REDATED, MADE_PRIVATE), (TRASHED, MADE_PRIVATE)],
    ids=["private-then-date", "date-then-private", "trash-then-private"],
)
def test_two_changes_at_once_leave_the_counts_a_recount_gives(
    postgres: PostgresServer, tmp_path: Path, first: str, second: str
) -> None:
    url = postgres.new_database()

    async def a_family_photo() -> int:
        async with services(make_settings(tmp_path / "data", database_url=url)) as svc:
            return await photo_of(svc, await person(svc, "alice"))  # May 2024, the family's

    photo = {"id": asyncio.run(a_family_photo())}
    with psycopg.connect(url) as one, psycopg.connect(url, autocommit=True) as two:
        one.execute(first, photo)  # its transaction stays open
        other = two.info.backend_pid
        failed: list[BaseException] = []

        def meanwhile() -> None:
            try:
                two.execute(second, photo)
            except BaseException as exc:  # said in the main thread
                failed.append(exc)

        thread = threading.Thread(target=meanwhile)
        thread.start()
        # The second either waits for the first's lock (as it must) or ends without it.
        deadline = time.monotonic() + BOUND
        with psycopg.connect(url, autocommit=True) as look:
            while thread.is_alive():
                waiting = look.execute(
                    "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s",
                    (other,),
                ).fetchone()
                if waiting and waiting[0]:
                    break
                assert time.monotonic() < deadline, "the second change neither waited nor ended"
                time.sleep(0.01)
        one.commit()
        thread.join(BOUND)
        assert not thread.is_alive() and not failed, failed
        kept, recounted = counts(one)
    assert kept == recounted
