"""Previous and next on the domain function, with a real SQLite file: the order is the list's
(the feed's, or one person's), the ends have no neighbour, deleted photos and photos the viewer
may not see are stepped over. The links built from it are tested in test_photo_links.py."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from photoarchive.accounts import users
from photoarchive.accounts.users import User
from photoarchive.library import access, neighbours, photos
from photoarchive.library.neighbours import PhotoList
from photoarchive.services import Services
from tests.support import make_settings, services

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

Body = Callable[[Services], Awaitable[None]]
HANG = 60  # seconds: a stuck scenario fails instead of stalling the run


def scenario(tmp_path: Path, body: Body, **settings_overrides: object) -> None:
    settings = make_settings(tmp_path / "data", **settings_overrides)

    async def run() -> None:
        async with services(settings) as svc:
            await asyncio.wait_for(body(svc), HANG)

    asyncio.run(run())


async def person(svc: Services, name: str) -> User:
    return await users.insert(
        svc.db, username=name, email=f"{name}@example.org", password_hash=None, registration="open"
    )


async def photo_of(svc: Services, owner: User) -> int:
    """A photo row (its files do not matter to the order)."""
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


async def sides(
    svc: Services, photo_id: int, viewer: User | None, within: PhotoList
) -> tuple[int | None, int | None] | None:
    """(previous, next) ids of the photo in the list, or None when it is not in it."""
    photo = await photos.find(svc, photo_id, viewer)
    found = await neighbours.around(svc, photo, viewer, within)
    if found is None:
        return None
    return (
        found.newer.id if found.newer else None,
        found.older.id if found.older else None,
    )


async def walk(svc: Services, viewer: User | None, within: PhotoList, start: int) -> list[int]:
    """Every photo reached by pressing next from `start`."""
    seen = [start]
    while True:
        step = await sides(svc, seen[-1], viewer, within)
        assert step is not None
        if step[1] is None:
            return seen
        seen.append(step[1])


def test_the_feed_order_is_newest_first_with_nothing_past_either_end(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        ids = [await photo_of(svc, owner) for owner in (alice, bob, alice, bob)]
        feed = PhotoList()
        newest, oldest = ids[-1], ids[0]
        assert await sides(svc, newest, bob, feed) == (None, ids[2])
        assert await sides(svc, ids[2], bob, feed) == (ids[3], ids[1])
        assert await sides(svc, oldest, bob, feed) == (ids[1], None)
        # Next from the newest visits what the feed's pages show, in their order.
        page, _ = await photos.page(svc, bob)
        assert await walk(svc, bob, feed, newest) == [p.id for p in page]

    scenario(tmp_path, body)


def test_a_profile_list_holds_only_its_owners_photos(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        a1, b1, a2, _b2, a3 = [
            await photo_of(svc, owner) for owner in (alice, bob, alice, bob, alice)
        ]
        alices = PhotoList(alice)
        # bob's photos between alice's are never her neighbours, whoever looks.
        assert await sides(svc, a2, bob, alices) == (a3, a1)
        assert await walk(svc, bob, alices, a3) == [a3, a2, a1]
        page, _ = await photos.page(svc, bob, owner_id=alice.id)
        assert [p.id for p in page] == [a3, a2, a1]
        # bob's photo under alice's list is not in it: no neighbours at all.
        assert await sides(svc, b1, bob, alices) is None

    scenario(tmp_path, body)


def test_deleted_photos_are_stepped_over(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        alice = await person(svc, "alice")
        ids = [await photo_of(svc, alice) for _ in range(5)]
        await svc.db.execute("DELETE FROM photos WHERE id IN (?, ?)", (ids[1], ids[2]))
        assert await sides(svc, ids[3], alice, PhotoList()) == (ids[4], ids[0])
        assert await sides(svc, ids[0], alice, PhotoList(alice)) == (ids[3], None)

    scenario(tmp_path, body)


def test_a_photo_the_viewer_may_not_see_is_never_a_neighbour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Today every reader sees every photo, so hiding some takes a stricter rule; the neighbours
    # must ask `access`, the one place that decides, and step over what it refuses, however
    # many of them lie in a row (more than one read's worth here).
    async def body(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        ids = [await photo_of(svc, alice) for _ in range(12)]
        hidden = set(ids[1:11])
        decide = access.decide

        def stricter(
            viewer: access.Viewer, photo: access.Owned, *, places_shared: bool = False
        ) -> access.Access:
            if getattr(photo, "id", None) in hidden and viewer.user == bob:
                return access.NONE
            return decide(viewer, photo, places_shared=places_shared)

        monkeypatch.setattr(access, "decide", stricter)
        for within in (PhotoList(), PhotoList(alice)):
            assert await sides(svc, ids[11], bob, within) == (None, ids[0])
            assert await sides(svc, ids[0], bob, within) == (ids[11], None)
            assert await sides(svc, ids[0], alice, within) == (ids[1], None)

    scenario(tmp_path, body)


def test_first_page_tells_the_way_back(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        first = await photo_of(svc, alice)
        ids = [await photo_of(svc, bob) for _ in range(photos.PAGE_DEFAULT)]
        feed_first = await photos.find(svc, first, alice)
        last_on_page = await photos.find(svc, ids[0], alice)
        assert not (await neighbours.around(svc, feed_first, alice, PhotoList())).on_first_page  # type: ignore[union-attr]
        assert (await neighbours.around(svc, last_on_page, alice, PhotoList())).on_first_page  # type: ignore[union-attr]
        # In alice's own list her one photo is on the first page.
        assert (await neighbours.around(svc, feed_first, alice, PhotoList(alice))).on_first_page  # type: ignore[union-attr]

    scenario(tmp_path, body)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("feed", "feed"),
        ("user:alice", "user:alice"),
        ("user:ALICE", "user:alice"),
        ("user:nobody", None),
        ("user:../x", None),
        ("album:1", None),
        ("", None),
        (None, None),
    ],
)
def test_list_keys_name_a_list_or_nothing(
    tmp_path: Path, key: str | None, expected: str | None
) -> None:
    async def body(svc: Services) -> None:
        await person(svc, "alice")
        found = await neighbours.parse_list(svc, key)
        assert (found.key if found else None) == expected

    scenario(tmp_path, body)
