"""The timeline's month list from the counts migration 0023 keeps (library/timeline.py,
count_months) against the plain count it replaced: every photo's row read under
`timeline.condition`, the access rule itself. Both are asked of every kind of viewer after every
step of a random history of writes: photos added, deleted, re-dated, given to another owner; made
private or family, archived or not, trashed or restored; albums gaining and losing photos and
members; the domain's own writers and plain SQL alike (triggers keep the counts, whoever writes).
"""

from __future__ import annotations

import random
import sqlite3
from contextlib import suppress
from pathlib import Path

import pytest

from photoarchive import clock
from photoarchive.accounts import users
from photoarchive.accounts.users import User
from photoarchive.db import Database, PostgresDatabase, pg_migrations
from photoarchive.errors import NotFound
from photoarchive.library import archive, taken_dates, timeline, trash, visibility
from photoarchive.services import Services
from tests.support import sqlite_only
from tests.test_neighbours import person, scenario

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

STEPS = 250


async def reference(svc: Services, viewer: User | None) -> list[tuple[str, int]]:
    """The month list as it was counted before migration 0023: every photo under the rule."""
    where, params = timeline.condition(viewer)
    rows = await svc.db.fetchall(
        f"SELECT {timeline.MONTH} AS month, COUNT(*) FROM photos p WHERE {where}"
        " GROUP BY month ORDER BY month DESC",
        params,
    )
    return [(row[0], row[1]) for row in rows if row[0]]


async def counted(svc: Services, viewer: User | None) -> list[tuple[str, int]]:
    return [(b.month, b.count) for b in await timeline.count_months(svc, viewer)]


def stamp(rng: random.Random) -> str | None:
    """A date taken as ingest writes it (a few months only, so that months gather photos)."""
    if rng.random() < 0.15:
        return None
    day = f"2024-0{rng.randrange(1, 5)}-{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:00:00"
    return day + rng.choice(["", "", "+02:00", "-05:00"])


async def inserted(svc: Services, sql: str, params: tuple[object, ...]) -> int:
    async with svc.db.transaction() as tx:
        return int(await tx.fetchval(sql, params))


async def add_photo(svc: Services, rng: random.Random, owner: User) -> int:
    uploaded = f"2024-0{rng.randrange(1, 6)}-01T10:00:00.000000Z"
    return int(
        await inserted(
            svc,
            "INSERT INTO photos (owner_id, sha256, bytes, content_type, width, height,"
            " preview_width, taken_at, created_at) VALUES (?, ?, 1, 'image/jpeg', 640, 480,"
            " 640, ?, ?) RETURNING id",
            (owner.id, f"{rng.getrandbits(128):064x}", stamp(rng), uploaded),
        )
    )


async def step(svc: Services, rng: random.Random, people: list[User], albums: list[int]) -> None:
    """One write of a random kind to a random photo (or album)."""
    ids = [row[0] for row in await svc.db.fetchall("SELECT id FROM photos")]
    if not ids or rng.random() < 0.15:
        await add_photo(svc, rng, rng.choice(people))
        return
    photo_id = rng.choice(ids)
    owner_id = await svc.db.fetchval("SELECT owner_id FROM photos WHERE id = ?", (photo_id,))
    owner = next(p for p in people if p.id == owner_id)
    now = clock.now_iso()
    kind = rng.randrange(12)
    if kind == 0:
        async with svc.db.transaction() as tx:
            await visibility.mark(tx, photo_id, rng.choice(["family", "private"]))
    elif kind == 1:
        with suppress(NotFound):  # the domain refuses a photo in the trash: nothing changes
            await archive.set_archived(svc, owner, photo_id, rng.random() < 0.5)
    elif kind == 2:
        await svc.db.execute(  # a trash and its restore, by plain SQL
            "INSERT INTO trashed_photos (photo_id, trashed_at) VALUES (?, ?)"
            " ON CONFLICT (photo_id) DO NOTHING",
            (photo_id, now),
        )
    elif kind == 3:
        await svc.db.execute("DELETE FROM trashed_photos WHERE photo_id = ?", (photo_id,))
    elif kind == 4:
        await svc.db.execute("UPDATE photos SET taken_at = ? WHERE id = ?", (stamp(rng), photo_id))
    elif kind == 5 and rng.random() < 0.3:
        await svc.db.execute("DELETE FROM photos WHERE id = ?", (photo_id,))  # a purge
    elif kind == 6:
        await svc.db.execute(
            "UPDATE photos SET owner_id = ? WHERE id = ?", (rng.choice(people).id, photo_id)
        )
    elif kind == 7:
        await svc.db.execute(
            "INSERT INTO album_photos (album_id, photo_id, added_at) VALUES (?, ?, ?)"
            " ON CONFLICT (album_id, photo_id) DO NOTHING",
            (rng.choice(albums), photo_id, now),
        )
    elif kind == 8:
        await svc.db.execute("DELETE FROM album_photos WHERE photo_id = ?", (photo_id,))
    elif kind == 9:
        await svc.db.execute(
            "INSERT INTO album_members (album_id, user_id, role, added_at) VALUES (?, ?,"
            " 'viewer', ?) ON CONFLICT (album_id, user_id) DO NOTHING",
            (rng.choice(albums), rng.choice(people).id, now),
        )
    elif kind == 10:
        await svc.db.execute(
            "DELETE FROM album_members WHERE album_id = ? AND user_id = ? AND role <> 'owner'",
            (rng.choice(albums), rng.choice(people).id),
        )
    elif kind == 11:
        with suppress(NotFound):
            photo = await taken_dates.set_taken_at(svc, owner, photo_id, stamp(rng))
            if rng.random() < 0.5 and photo.taken_at is not None:
                weeks = rng.randrange(-9, 9)
                await taken_dates.shift_date(svc, owner, photo_id, weeks * 7 * 86400)
            if rng.random() < 0.3:
                await trash.move(svc, owner, photo_id)


def test_the_kept_counts_are_the_rules_count_for_every_viewer_after_every_write(
    tmp_path: Path,
) -> None:
    async def body(svc: Services) -> None:
        rng = random.Random(23)
        people = [await person(svc, name) for name in ("ann", "bob", "cat", "dan", "eve")]
        await users.set_admin(svc.db, people[3].id, True)
        await svc.db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (people[4].id,))
        album_ids = []
        for owner in people[:3]:
            now = clock.now_iso()
            album_id = await inserted(
                svc,
                "INSERT INTO albums (owner_id, title, created_at, updated_at)"
                " VALUES (?, 't', ?, ?) RETURNING id",
                (owner.id, now, now),
            )
            await svc.db.execute(
                "INSERT INTO album_members (album_id, user_id, role, added_at)"
                " VALUES (?, ?, 'owner', ?)",
                (album_id, owner.id, now),
            )
            album_ids.append(int(album_id))
        for _ in range(30):
            await add_photo(svc, rng, rng.choice(people))
        # Read again: the admin's and the disabled account's flags as the app reads them.
        viewers: list[User | None] = [
            None,
            *[await users.by_username(svc.db, p.username) for p in people],
        ]
        seen_private_in_album = False
        for number in range(STEPS):
            await step(svc, rng, people, album_ids)
            for viewer in viewers:
                want = await reference(svc, viewer)
                assert await counted(svc, viewer) == want, (number, viewer)
            seen_private_in_album = seen_private_in_album or bool(
                await svc.db.fetchval(
                    "SELECT COUNT(*) FROM album_photos ap JOIN album_members am"
                    " ON am.album_id = ap.album_id JOIN photos p ON p.id = ap.photo_id"
                    " JOIN private_photos pp ON pp.photo_id = p.id WHERE am.user_id <> p.owner_id"
                )
            )
        assert seen_private_in_album  # the live part was asked something
        # Deleting an account takes its photos, and their counts, with it.
        await svc.db.execute("DELETE FROM users WHERE id = ?", (people[0].id,))
        for viewer in viewers[2:]:
            assert await counted(svc, viewer) == await reference(svc, viewer)

    scenario(tmp_path, body)


@sqlite_only  # PostgreSQL's migrations are applied once each, recorded in schema_migrations
def test_the_migration_counts_what_was_there_and_runs_again(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        rng = random.Random(7)
        ann, bob = await person(svc, "ann"), await person(svc, "bob")
        for _ in range(40):
            photo_id = await add_photo(svc, rng, rng.choice([ann, bob]))
            if rng.random() < 0.4:
                async with svc.db.transaction() as tx:
                    await visibility.mark(tx, photo_id, "private")
        db = svc.db
        assert isinstance(db, Database)
        await db.close()
        with sqlite3.connect(db.path) as conn:  # counts lost, as before the migration
            conn.execute("DELETE FROM family_months")
            conn.execute("UPDATE private_months SET photos = photos + 5")
            conn.execute("PRAGMA user_version = 22")
        await db.open()
        for viewer in (None, ann, bob):
            assert await reference(svc, viewer)  # there is something to count
            assert await counted(svc, viewer) == await reference(svc, viewer)

    scenario(tmp_path, body)


async def _photo_indexes(svc: Services) -> set[str]:
    if isinstance(svc.db, Database):
        names = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'photos'"
    else:
        names = "SELECT indexname FROM pg_indexes WHERE tablename = 'photos'"
    return {row[0] for row in await svc.db.fetchall(names)}


def test_the_month_index_the_counts_replaced_is_gone(tmp_path: Path) -> None:
    """Migration 0024 drops 0022's photos_months, which nothing reads since the counts."""

    async def body(svc: Services) -> None:
        found = await _photo_indexes(svc)
        assert "photos_timeline" in found and "photos_taken_day" in found  # 0022's others
        assert "photos_months" not in found

    scenario(tmp_path, body)


@sqlite_only  # PostgreSQL's migrations are applied once each, recorded in schema_migrations
def test_dropping_the_month_index_runs_again(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        ann, rng = await person(svc, "ann"), random.Random(3)
        for _ in range(5):
            await add_photo(svc, rng, ann)
        db = svc.db
        assert isinstance(db, Database)
        for version in (23, 21):  # 0024 alone again; then 0022 (which makes it) and on
            await db.close()
            with sqlite3.connect(db.path) as conn:
                conn.execute(f"PRAGMA user_version = {version}")
            await db.open()
            assert "photos_months" not in await _photo_indexes(svc)
            assert await counted(svc, ann) == await reference(svc, ann)

    scenario(tmp_path, body)


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_the_postgresql_migration_counts_what_was_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    every = list(pg_migrations.migrations())
    monkeypatch.setattr(pg_migrations, "migrations", lambda: [m for m in every if m[0] < 23])

    async def body(svc: Services) -> None:
        rng = random.Random(7)
        ann, bob = await person(svc, "ann"), await person(svc, "bob")
        for _ in range(40):  # written with no counts kept, as before the migration
            owner = rng.choice([ann, bob])
            photo_id = await add_photo(svc, rng, owner)
            if rng.random() < 0.4:
                async with svc.db.transaction() as tx:
                    await visibility.mark(tx, photo_id, "private")
            if rng.random() < 0.2:  # as the code of then did it (today's asks 0032's columns)
                await svc.db.execute(
                    "INSERT INTO trashed_photos (photo_id, trashed_at, trashed_by)"
                    " VALUES (?, '2026-01-01T00:00:00.000000Z', ?)",
                    (photo_id, owner.id),
                )
        db = svc.db
        assert isinstance(db, PostgresDatabase)
        await db.close()
        monkeypatch.undo()  # the archive is brought up to date, 0023 with it
        await db.open()
        for viewer in (None, ann, bob):
            assert await reference(svc, viewer)  # there is something to count
            assert await counted(svc, viewer) == await reference(svc, viewer)

    scenario(tmp_path, body)
