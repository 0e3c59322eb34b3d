"""Notifications' rules on the domain functions, with a real SQLite file: who is told of what,
what is taken back, what is shown and counted, and marking read. The HTTP surfaces (API,
pages, the live stream) are tested in test_notifications_web.py."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from photoarchive import clock
from photoarchive.accounts import users
from photoarchive.accounts.users import User
from photoarchive.library import (
    access,
    album_members,
    album_photos,
    albums,
    bulk,
    comments,
    likes,
    notifications,
    trash,
    visibility,
)
from photoarchive.services import Services
from tests.support import FrozenClock, make_settings, services, sqlite_only

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

Events = list[tuple[str, dict[str, Any]]]
Body = Callable[[Services, Events], Awaitable[None]]
HANG = 60  # seconds: a stuck scenario fails instead of stalling the run


def scenario(tmp_path: Path, body: Body) -> None:
    """Run `body` against a fresh archive, recording what the domain publishes."""
    settings = make_settings(tmp_path / "data")

    async def run() -> None:
        events: Events = []

        async def record(kind: str, data: dict[str, Any]) -> None:
            events.append((kind, data))

        async with services(settings) as svc:
            svc.listeners.append(record)
            await asyncio.wait_for(body(svc, events), HANG)

    asyncio.run(run())


async def person(svc: Services, name: str) -> User:
    return await users.insert(
        svc.db, username=name, email=f"{name}@example.org", password_hash=None, registration="open"
    )


async def photo_of(svc: Services, owner: User) -> int:
    """A photo row (its files do not matter to notifications)."""
    async with svc.db.transaction() as tx:
        count = await tx.fetchval("SELECT COUNT(*) FROM photos")
        return int(
            await tx.fetchval(
                "INSERT INTO photos (owner_id, sha256, bytes, content_type, width, height,"
                " preview_width, created_at) VALUES (?, ?, 1, 'image/jpeg', 640, 480, 640,"
                " '2024-05-01T10:00:00Z') RETURNING id",
                (owner.id, f"{count + 1:064x}"),
            )
        )


def told(events: Events, user: User) -> int:
    """How many times `user` was told their notifications changed."""
    return events.count(("notification", {"user_id": user.id}))


def summary(items: list[notifications.Notification]) -> list[tuple[str, str, bool]]:
    return [(n.kind, n.actor, n.read) for n in items]


def test_the_owner_is_told_of_others_comments_and_likes_never_of_their_own(
    tmp_path: Path,
) -> None:
    async def body(svc: Services, events: Events) -> None:
        alice, bob, carol = [await person(svc, n) for n in ("alice", "bob", "carol")]
        photo_id = await photo_of(svc, alice)
        await comments.add(svc, alice, photo_id, "my own words")
        await likes.set_like(svc, alice, photo_id, True)
        assert await notifications.unread_count(svc, alice) == 0
        assert told(events, alice) == 0

        await comments.add(svc, bob, photo_id, "  lovely\n")
        await likes.set_like(svc, carol, photo_id, True)
        items, next_cursor, _ = await notifications.page(svc, alice)
        assert summary(items) == [("like", "carol", False), ("comment", "bob", False)]
        assert items[1].comment_text == "lovely" and items[1].photo_id == photo_id
        assert next_cursor is None
        assert await notifications.unread_count(svc, alice) == 2
        assert told(events, alice) == 2
        # Nobody else hears of it.
        for other in (bob, carol):
            assert (await notifications.page(svc, other))[0] == []
            assert told(events, other) == 0

    scenario(tmp_path, body)


def test_one_like_notification_per_person_and_photo(tmp_path: Path) -> None:
    async def body(svc: Services, events: Events) -> None:
        alice, carol = await person(svc, "alice"), await person(svc, "carol")
        photo_id = await photo_of(svc, alice)

        await likes.set_like(svc, carol, photo_id, True)
        await likes.set_like(svc, carol, photo_id, True)  # again: a like already there
        assert await notifications.unread_count(svc, alice) == 1
        await likes.set_like(svc, carol, photo_id, False)  # an unlike takes the unread one back
        assert (await notifications.page(svc, alice))[0] == []
        assert await notifications.unread_count(svc, alice) == 0
        assert told(events, alice) == 2  # told of the like, and of it being taken back

        await likes.set_like(svc, carol, photo_id, True)
        assert await notifications.mark_read(svc, alice) == 0
        # Read, it stays as what happened; liking again tells nobody a second time.
        await likes.set_like(svc, carol, photo_id, False)
        await likes.set_like(svc, carol, photo_id, True)
        items, _, _ = await notifications.page(svc, alice)
        assert summary(items) == [("like", "carol", True)]
        assert await notifications.unread_count(svc, alice) == 0

    scenario(tmp_path, body)


def test_a_deleted_comment_takes_its_notification_read_or_not(tmp_path: Path) -> None:
    async def body(svc: Services, events: Events) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        photo_id = await photo_of(svc, alice)
        first = await comments.add(svc, bob, photo_id, "first")
        second = await comments.add(svc, bob, photo_id, "second")
        items, _, _ = await notifications.page(svc, alice)
        await notifications.mark_read(svc, alice, [items[-1].id])  # the first one

        await comments.delete(svc, bob, first.id)  # by its author
        await comments.delete(svc, alice, second.id)  # by the photo's owner
        assert (await notifications.page(svc, alice))[0] == []
        assert await notifications.unread_count(svc, alice) == 0

    scenario(tmp_path, body)


def test_a_deleted_photo_or_account_takes_its_notifications(tmp_path: Path) -> None:
    async def body(svc: Services, events: Events) -> None:
        alice, bob, carol = [await person(svc, n) for n in ("alice", "bob", "carol")]
        kept, deleted = await photo_of(svc, alice), await photo_of(svc, alice)
        await comments.add(svc, bob, deleted, "on the deleted photo")
        await likes.set_like(svc, bob, kept, True)
        await likes.set_like(svc, carol, kept, True)
        await trash.move(svc, alice, deleted)
        # No command deletes an account today; the database promises what happens when one is.
        await svc.db.execute("DELETE FROM users WHERE id = ?", (bob.id,))
        items, _, _ = await notifications.page(svc, alice)
        assert summary(items) == [("like", "carol", False)]
        assert await notifications.unread_count(svc, alice) == 1

    scenario(tmp_path, body)


def test_what_access_hides_is_neither_shown_nor_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A photo its owner may no longer see (private or trashed, once those exist) is decided by
    library/access.py alone: here the decision is made to hide one photo."""

    async def body(svc: Services, events: Events) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        shown, hidden = await photo_of(svc, alice), await photo_of(svc, alice)
        await comments.add(svc, bob, hidden, "on the hidden one")
        await comments.add(svc, bob, shown, "on the shown one")
        await likes.set_like(svc, bob, hidden, True)
        decide = access.decide
        asked: list[int] = []

        def hiding(
            viewer: access.Viewer, photo: access.Owned, *, places_shared: bool = False
        ) -> access.Access:
            asked.append(getattr(photo, "id", 0))
            return (
                access.NONE
                if getattr(photo, "id", 0) == hidden
                else decide(viewer, photo, places_shared=places_shared)
            )

        monkeypatch.setattr(access, "decide", hiding)
        items, _, _ = await notifications.page(svc, alice, with_subjects=True)
        assert [n.comment_text for n in items] == ["on the shown one"]
        assert items[0].photo is not None and items[0].photo.id == shown
        assert await notifications.unread_count(svc, alice) == 1
        assert hidden in asked and shown in asked

    scenario(tmp_path, body)


def test_pages_newest_first_and_marking_read(tmp_path: Path) -> None:
    async def body(svc: Services, events: Events) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        photo_id = await photo_of(svc, alice)
        for n in range(5):
            await comments.add(svc, bob, photo_id, f"comment {n}")
        first, cursor, newest = await notifications.page(svc, alice, limit=2)
        assert [n.comment_text for n in first] == ["comment 4", "comment 3"]
        assert newest == first[0].id and cursor == str(first[1].id)
        second, cursor, _ = await notifications.page(svc, alice, cursor=cursor, limit=2)
        assert [n.comment_text for n in second] == ["comment 2", "comment 1"]
        last, cursor, _ = await notifications.page(svc, alice, cursor=cursor, limit=2)
        assert [n.comment_text for n in last] == ["comment 0"] and cursor is None

        # Someone else's ids are passed over; marking read says how many are left.
        bobs_photo = await photo_of(svc, bob)
        await likes.set_like(svc, alice, bobs_photo, True)
        bobs = (await notifications.page(svc, bob))[0][0].id
        assert await notifications.mark_read(svc, alice, [first[0].id, bobs]) == 4
        assert await notifications.unread_count(svc, bob) == 1
        # Up to an id: what a page showed, not what arrived since.
        assert await notifications.mark_read(svc, alice, up_to=second[0].id) == 1
        assert await notifications.mark_read(svc, alice, []) == 1
        assert await notifications.mark_read(svc, alice) == 0
        assert told(events, alice) == 5 + 3  # five comments, three markings that changed rows
        with pytest.raises(Exception, match="ids"):
            await notifications.mark_read(svc, alice, [0])

    scenario(tmp_path, body)


def test_a_long_comment_is_quoted_in_part() -> None:
    item = notifications.Notification(1, "comment", "bob", "", 1, "", False, "word " * 100, None)
    assert len(item.excerpt) == notifications.EXCERPT_MAX and item.excerpt.endswith("…")


@sqlite_only  # rewinds PRAGMA user_version; PostgreSQL's migrations are applied once each
@pytest.mark.parametrize("rewound_to", [10, 31])
def test_the_migration_runs_again_on_a_rewound_archive(tmp_path: Path, rewound_to: int) -> None:
    """0011 made the table, 0032 built it again (for album notifications): both run again
    keeping every notification, of either kind, read or not."""

    async def body(svc: Services, events: Events) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        await comments.add(svc, bob, await photo_of(svc, alice), "kept")
        album = await albums.create(svc, bob, "Summer")
        await album_members.set_member(svc, bob, album.id, "alice", "viewer")
        assert await notifications.unread_count(svc, alice) == 2

    scenario(tmp_path, body)
    path = make_settings(tmp_path / "data").database_path
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {rewound_to}")

    async def reopen(svc: Services, events: Events) -> None:
        assert await svc.db.schema_version() >= 32
        alice = await users.by_username(svc.db, "alice")
        assert await notifications.unread_count(svc, alice) == 2
        items, _, _ = await notifications.page(svc, alice, with_subjects=True)
        assert summary(items) == [("album", "bob", False), ("comment", "bob", False)]
        assert items[0].album is not None and items[0].album.title == "Summer"

    scenario(tmp_path, reopen)


def test_a_member_is_told_who_added_them_to_an_album_once(tmp_path: Path) -> None:
    """Added: told, with the album as they see it; a new role is no news; removed or leaving
    takes it back, read or not (added again, told again); a deleted album takes its own."""

    async def body(svc: Services, events: Events) -> None:
        alice, bob, carol = [await person(svc, n) for n in ("alice", "bob", "carol")]
        album = await albums.create(svc, alice, "Summer <by the sea>")
        await album_members.set_member(svc, alice, album.id, "bob", "viewer")
        items, _, _ = await notifications.page(svc, bob, with_subjects=True)
        assert summary(items) == [("album", "alice", False)]
        (item,) = items
        assert item.album_id == album.id and item.photo_id is None and item.photo is None
        assert item.album is not None and item.album.title == "Summer <by the sea>"
        assert await notifications.unread_count(svc, bob) == 1
        assert told(events, bob) == 1
        # The owner did it: nothing for them; a new role tells nobody anything.
        assert (await notifications.page(svc, alice))[0] == []
        await album_members.set_member(svc, alice, album.id, "bob", "contributor")
        assert await notifications.unread_count(svc, bob) == 1 and told(events, bob) == 1

        # Read, then removed: gone (the row, not only hidden); added again: news again, under
        # an id never given before (a digest remembers the newest id it told of).
        assert await notifications.mark_read(svc, bob) == 0
        await album_members.remove_member(svc, alice, album.id, "bob")
        assert await rows_about(svc, album.id) == 0
        assert (await notifications.page(svc, bob))[0] == []
        assert told(events, bob) == 3  # marked read, then taken back
        await album_members.set_member(svc, alice, album.id, "bob", "viewer")
        (again,) = (await notifications.page(svc, bob))[0]
        assert (again.kind, again.read) == ("album", False) and again.id > item.id
        # Leaving takes it back too.
        await album_members.remove_member(svc, bob, album.id, "bob")
        assert await rows_about(svc, album.id) == 0
        assert await notifications.unread_count(svc, bob) == 0

        # Made its owner without being in it: told as anyone added is.
        await album_members.hand_over(svc, alice, album.id, "carol")
        assert summary((await notifications.page(svc, carol))[0]) == [("album", "alice", False)]
        assert told(events, carol) == 1
        # Deleted: its notifications go with it, and its members' badges hear of it.
        await album_members.set_member(svc, carol, album.id, "bob", "viewer")
        await albums.delete(svc, carol, album.id)
        assert await rows_about(svc, album.id) == 0
        assert await notifications.unread_count(svc, bob) == 0
        assert told(events, carol) == 2 and told(events, alice) == 1

    scenario(tmp_path, body)


async def rows_about(svc: Services, album_id: int) -> int:
    """How many notifications name the album, whoever may see them."""
    return int(
        await svc.db.fetchval("SELECT COUNT(*) FROM notifications WHERE album_id = ?", (album_id,))
    )


def test_an_album_notification_follows_who_may_open_the_album(tmp_path: Path) -> None:
    """Whether the album is shown, counted and marked read is access.decide_album's answer
    (album_sql's when marking), not the notification's being there: with the membership
    gone by a way that keeps the notification, it is neither shown nor counted nor marked."""

    async def body(svc: Services, events: Events) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        kept, dropped = [await albums.create(svc, alice, t) for t in ("Kept", "Dropped")]
        for album in (kept, dropped):
            await album_members.set_member(svc, alice, album.id, "bob", "viewer")
        await svc.db.execute(
            "DELETE FROM album_members WHERE album_id = ? AND user_id = ?", (dropped.id, bob.id)
        )
        items, _, _ = await notifications.page(svc, bob, with_subjects=True)
        assert [n.album_id for n in items] == [kept.id]
        assert await notifications.unread_count(svc, bob) == 1
        assert await notifications.mark_read(svc, bob) == 0
        # Back in it (as if the row came back): still unread, news when it can be seen.
        await svc.db.execute(
            "INSERT INTO album_members (album_id, user_id, role, added_at)"
            " VALUES (?, ?, 'viewer', '2026-01-01T00:00:00Z')",
            (dropped.id, bob.id),
        )
        items, _, _ = await notifications.page(svc, bob)
        assert [(n.album_id, n.read) for n in items] == [(dropped.id, False), (kept.id, True)]

    scenario(tmp_path, body)


def test_marking_all_read_leaves_what_was_not_shown_unread(tmp_path: Path) -> None:
    """Opening the list marks read what it could have shown: a comment on a photo its owner
    has in the trash is not shown or counted, and is still news when the photo comes back."""

    async def body(svc: Services, events: Events) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        kept, binned = await photo_of(svc, alice), await photo_of(svc, alice)
        await comments.add(svc, bob, binned, "before it went")
        await comments.add(svc, bob, kept, "on the one kept")
        await trash.move(svc, alice, binned)
        items, _, newest = await notifications.page(svc, alice)
        assert [n.comment_text for n in items] == ["on the one kept"]
        assert await notifications.mark_read(svc, alice, up_to=newest) == 0
        await trash.restore(svc, alice, [binned])
        assert await notifications.unread_count(svc, alice) == 1
        items, _, _ = await notifications.page(svc, alice)
        assert [(n.comment_text, n.read) for n in items] == [
            ("on the one kept", True),
            ("before it went", False),
        ]

    scenario(tmp_path, body)


async def own_photos(svc: Services, owner: User, count: int) -> list[int]:
    return [await photo_of(svc, owner) for _ in range(count)]


def runs(items: list[notifications.Notification]) -> list[tuple[str, str, int | None, bool]]:
    """The album-photos news of a page: who added, how many, read or not."""
    return [(n.kind, n.actor, n.photo_count, n.read) for n in items if n.kind == "album_photos"]


def test_photos_added_to_an_album_tell_its_other_members_once_per_run(tmp_path: Path) -> None:
    """Every other member (the owner too) hears who added photos and how many; more from the
    same person join the unread one and bring it to the top; read, the next addition is news
    of its own; nobody hears of their own."""

    async def body(svc: Services, events: Events) -> None:
        alice, bob, carol = [await person(svc, n) for n in ("alice", "bob", "carol")]
        album = await albums.create(svc, alice, "Summer")
        await album_members.set_member(svc, alice, album.id, "bob", "viewer")
        await album_members.set_member(svc, alice, album.id, "carol", "contributor")
        first, second, third = await own_photos(svc, alice, 3)
        before = told(events, bob), told(events, carol)

        await album_photos.add(svc, await albums.find(svc.db, album.id, alice), alice, [first])
        await album_photos.add(
            svc, await albums.find(svc.db, album.id, alice), alice, [second, third]
        )
        for member in (bob, carol):
            items, _, _ = await notifications.page(svc, member, with_subjects=True)
            assert runs(items) == [("album_photos", "alice", 3, False)]
            assert items[0].kind == "album_photos"  # the newest run is on top
            assert items[0].album is not None and items[0].album.title == "Summer"
            assert items[0].album_id == album.id and items[0].photo_id is None
            assert await notifications.unread_count(svc, member) == 2  # added, and photos
        assert (told(events, bob), told(events, carol)) == (before[0] + 2, before[1] + 2)
        assert runs((await notifications.page(svc, alice))[0]) == []

        # Someone else's run is their own; the owner hears of it.
        (hers,) = await own_photos(svc, carol, 1)
        await album_photos.add(svc, await albums.find(svc.db, album.id, carol), carol, [hers])
        assert runs((await notifications.page(svc, bob))[0]) == [
            ("album_photos", "carol", 1, False),
            ("album_photos", "alice", 3, False),
        ]
        assert runs((await notifications.page(svc, alice))[0]) == [
            ("album_photos", "carol", 1, False)
        ]
        assert runs((await notifications.page(svc, carol))[0]) == [
            ("album_photos", "alice", 3, False)
        ]

        # Read: it keeps telling of what it told; the next addition starts a new run.
        assert await notifications.mark_read(svc, bob) == 0
        (later,) = await own_photos(svc, alice, 1)
        await album_photos.add(svc, await albums.find(svc.db, album.id, alice), alice, [later])
        assert runs((await notifications.page(svc, bob))[0]) == [
            ("album_photos", "alice", 1, False),
            ("album_photos", "carol", 1, True),
            ("album_photos", "alice", 3, True),
        ]
        assert await notifications.unread_count(svc, bob) == 1
        # A photo already in the album is skipped: nobody is told again.
        again = told(events, bob)
        await album_photos.add(svc, await albums.find(svc.db, album.id, alice), alice, [later])
        assert told(events, bob) == again
        assert runs((await notifications.page(svc, bob))[0])[0] == (
            "album_photos",
            "alice",
            1,
            False,
        )

    scenario(tmp_path, body)


def test_what_photos_added_tell_is_counted_from_the_album_when_read(tmp_path: Path) -> None:
    """A photo taken out of the album, or put in the trash, is no longer counted (and a run
    with nothing left is neither shown nor counted); leaving the album takes the news back;
    an album the member may no longer open is not shown."""

    async def body(svc: Services, events: Events) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        album = await albums.create(svc, alice, "Summer")
        await album_members.set_member(svc, alice, album.id, "bob", "viewer")
        await notifications.mark_read(svc, bob)  # being added is not what this is about
        kept, taken_out, binned = await own_photos(svc, alice, 3)
        await album_photos.add(
            svc, await albums.find(svc.db, album.id, alice), alice, [kept, taken_out, binned]
        )
        assert runs((await notifications.page(svc, bob))[0]) == [
            ("album_photos", "alice", 3, False)
        ]

        heard = told(events, bob)
        assert await album_photos.remove(svc, album.id, alice, [taken_out]) == [taken_out]
        assert told(events, bob) == heard + 1  # the badge asks again
        await trash.move(svc, alice, binned)
        assert told(events, bob) == heard + 2
        assert runs((await notifications.page(svc, bob))[0]) == [
            ("album_photos", "alice", 1, False)
        ]
        assert await notifications.unread_count(svc, bob) == 1
        await album_photos.remove(svc, album.id, alice, [kept])
        assert runs((await notifications.page(svc, bob))[0]) == []
        assert await notifications.unread_count(svc, bob) == 0
        # Marking all read passes over a run with nothing to show: it is news when it has.
        assert await notifications.mark_read(svc, bob) == 0
        # Back from the trash: counted again (it is in the album, added in that run).
        heard = told(events, bob)
        await trash.restore(svc, alice, [binned])
        assert told(events, bob) == heard + 1
        assert await notifications.unread_count(svc, bob) == 1
        assert runs((await notifications.page(svc, bob))[0]) == [
            ("album_photos", "alice", 1, False)
        ]

        # The album no longer Bob's to open (a way that keeps the row): not shown, not counted.
        await svc.db.execute(
            "DELETE FROM album_members WHERE album_id = ? AND user_id = ?", (album.id, bob.id)
        )
        assert (await notifications.page(svc, bob))[0] == []
        assert await notifications.unread_count(svc, bob) == 0
        await svc.db.execute(
            "INSERT INTO album_members (album_id, user_id, role, added_at)"
            " VALUES (?, ?, 'viewer', '2026-01-01T00:00:00Z')",
            (album.id, bob.id),
        )
        assert await notifications.unread_count(svc, bob) == 1
        # Leaving takes the news back, read or not.
        await album_members.remove_member(svc, bob, album.id, "bob")
        assert (
            await svc.db.fetchval(
                "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND album_id = ?",
                (bob.id, album.id),
            )
            == 0
        )

    scenario(tmp_path, body)


@sqlite_only  # rewinds PRAGMA user_version; PostgreSQL's migrations are applied once each
@pytest.mark.parametrize("rewound_to", [10, 31, 32])
def test_0033_runs_again_on_a_rewound_archive_keeping_every_kind(
    tmp_path: Path, rewound_to: int
) -> None:
    """0032 and 0033 built the table again (for album news): run again, they keep every row of
    every kind, read or not, and never give an id again."""

    async def body(svc: Services, events: Events) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        await comments.add(svc, bob, await photo_of(svc, alice), "kept")
        album = await albums.create(svc, bob, "Summer")
        await album_members.set_member(svc, bob, album.id, "alice", "viewer")
        added = await own_photos(svc, bob, 2)
        await album_photos.add(svc, await albums.find(svc.db, album.id, bob), bob, added)
        # The newest id is deleted: the rebuilt table must not give it again.
        gone = await photo_of(svc, alice)
        await comments.add(svc, bob, gone, "deleted with its photo")
        await svc.db.execute("DELETE FROM photos WHERE id = ?", (gone,))

    scenario(tmp_path, body)
    path = make_settings(tmp_path / "data").database_path
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {rewound_to}")
        newest = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'notifications'")
        given = newest.fetchone()[0]

    async def reopen(svc: Services, events: Events) -> None:
        assert await svc.db.schema_version() >= 33
        alice, bob = [await users.by_username(svc.db, n) for n in ("alice", "bob")]
        items, _, _ = await notifications.page(svc, alice, with_subjects=True)
        assert [(n.kind, n.photo_count) for n in items] == [
            ("album_photos", 2),
            ("album", None),
            ("comment", None),
        ]
        await comments.add(svc, bob, await photo_of(svc, alice), "after")
        newest, _, _ = await notifications.page(svc, alice, limit=1)
        assert newest[0].id > given

    scenario(tmp_path, reopen)


def test_a_bulk_add_tells_each_member_once_and_counts_private_photos(tmp_path: Path) -> None:
    """A bulk add (or trash, or restore) goes photo by photo; each member hears of it once, at
    its end. A private photo in the album is the members' to see, so it is counted."""

    async def body(svc: Services, events: Events) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        album = await albums.create(svc, alice, "Summer")
        await album_members.set_member(svc, alice, album.id, "bob", "viewer")
        await notifications.mark_read(svc, bob)
        added = await own_photos(svc, alice, 4)
        await visibility.set_visibility(svc, alice, added[0], "private")
        heard = told(events, bob)
        outcome = await bulk.apply(svc, alice, "add_to_album", added, {"album_id": album.id})
        assert outcome.done == added and outcome.failed == []
        assert told(events, bob) == heard + 1
        assert runs((await notifications.page(svc, bob))[0]) == [
            ("album_photos", "alice", 4, False)
        ]
        # Into the trash and back, in bulk: told once each way.
        heard = told(events, bob)
        assert (await bulk.apply(svc, alice, "trash", added[:3])).done == added[:3]
        assert told(events, bob) == heard + 1
        assert runs((await notifications.page(svc, bob))[0]) == [
            ("album_photos", "alice", 1, False)
        ]
        assert (await bulk.apply(svc, alice, "restore", added[:3])).done == added[:3]
        assert told(events, bob) == heard + 2
        assert await notifications.unread_count(svc, bob) == 1

    scenario(tmp_path, body)


def test_a_contributor_leaving_takes_their_photos_out_of_others_news(tmp_path: Path) -> None:
    async def body(svc: Services, events: Events) -> None:
        alice, bob, carol = [await person(svc, n) for n in ("alice", "bob", "carol")]
        album = await albums.create(svc, alice, "Summer")
        await album_members.set_member(svc, alice, album.id, "bob", "viewer")
        await album_members.set_member(svc, alice, album.id, "carol", "contributor")
        hers = await own_photos(svc, carol, 2)
        await album_photos.add(svc, await albums.find(svc.db, album.id, carol), carol, hers)
        assert runs((await notifications.page(svc, bob))[0]) == [
            ("album_photos", "carol", 2, False)
        ]
        heard = told(events, bob), told(events, alice)
        await album_members.remove_member(svc, carol, album.id, "carol")
        assert (told(events, bob), told(events, alice)) == (heard[0] + 1, heard[1] + 1)
        assert runs((await notifications.page(svc, bob))[0]) == []
        assert await notifications.unread_count(svc, alice) == 0

    scenario(tmp_path, body)


def test_a_run_read_while_it_grew_counts_what_it_held(
    tmp_path: Path, frozen_clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Marking read takes its time before it may write: photos added in between (a later
    time) are in what was read, not lost between two runs."""
    monkeypatch.setattr(clock, "now_iso", lambda: clock.iso(clock.now()))

    async def body(svc: Services, events: Events) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        album = await albums.create(svc, alice, "Summer")
        await album_members.set_member(svc, alice, album.id, "bob", "viewer")
        await notifications.mark_read(svc, bob)
        frozen_clock.advance(10)
        await album_photos.add(
            svc, await albums.find(svc.db, album.id, alice), alice, await own_photos(svc, alice, 2)
        )
        frozen_clock.advance(-5)  # the marking's moment, taken before the photos went in
        assert await notifications.mark_read(svc, bob) == 0
        assert runs((await notifications.page(svc, bob))[0]) == [("album_photos", "alice", 2, True)]
        frozen_clock.advance(10)
        await album_photos.add(
            svc, await albums.find(svc.db, album.id, alice), alice, await own_photos(svc, alice, 1)
        )
        assert runs((await notifications.page(svc, bob))[0]) == [
            ("album_photos", "alice", 1, False),
            ("album_photos", "alice", 2, True),
        ]

    scenario(tmp_path, body)


def test_no_photo_is_in_two_runs_whatever_order_marking_and_adding_met_in(
    tmp_path: Path,
) -> None:
    """On PostgreSQL a marking does not wait for the album's lock: a run can be marked read
    at a moment after photos went in that started a run of their own. Those photos are the
    later run's only; and a run whose photos all left the album is marked read with the rest
    (nothing in the trash to come back)."""

    async def body(svc: Services, events: Events) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        album = await albums.create(svc, alice, "Summer")
        await album_members.set_member(svc, alice, album.id, "bob", "viewer")
        first, second = await own_photos(svc, alice, 2)
        await album_photos.add(svc, await albums.find(svc.db, album.id, alice), alice, [first])
        assert await notifications.mark_read(svc, bob) == 0
        await album_photos.add(svc, await albums.find(svc.db, album.id, alice), alice, [second])
        # As that race leaves it: the first run read at a moment after the second began.
        await svc.db.execute(
            "UPDATE notifications SET read_at = '9999-01-01T00:00:00.000000Z'"
            " WHERE kind = 'album_photos' AND read_at IS NOT NULL"
        )
        assert runs((await notifications.page(svc, bob))[0]) == [
            ("album_photos", "alice", 1, False),
            ("album_photos", "alice", 1, True),
        ]

        await album_photos.remove(svc, album.id, alice, [second])
        assert await notifications.unread_count(svc, bob) == 0
        assert await notifications.mark_read(svc, bob) == 0
        unread = "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at IS NULL"
        assert await svc.db.fetchval(unread, (bob.id,)) == 0

    scenario(tmp_path, body)
