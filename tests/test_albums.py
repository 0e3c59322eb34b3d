"""The album rules on the domain functions (library/albums.py, album_photos.py, neighbours.py),
against a real SQLite file: who finds an album, who may change it, the order and its steps."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from photoarchive.accounts import users
from photoarchive.errors import Forbidden, Invalid, NotFound
from photoarchive.library import album_members, album_photos, albums, neighbours, photos
from photoarchive.services import Services
from tests.support import PHOTOS, api_login, archive_of, services, uploaded

CAMERAS = sorted((PHOTOS / "cameras").glob("*.jpg"))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[Any], Any]]:
    """Runs `body(svc, people, photo_ids)` on the archive: alice owns four photos, bob one.
    Once on each engine (one archive per module and engine, so not the `engine` fixture)."""
    postgres = request.getfixturevalue("postgres") if request.param == "postgres" else None
    url = postgres.new_database() if postgres else ""
    data = tmp_path_factory.mktemp("albums-domain") / "data"
    with archive_of(data, ("admin", "alice", "bob", "carol"), database_url=url) as server:
        settings = server.settings
        alice = api_login(server, "alice")
        ids = [uploaded(alice, path) for path in CAMERAS[:4]]
        ids.append(uploaded(api_login(server, "bob"), CAMERAS[4]))

    def runner(body: Callable[..., Awaitable[None]]) -> None:
        async def main() -> None:
            async with services(settings) as svc:
                names = ("admin", "alice", "bob", "carol")
                people = {n: await users.by_username(svc.db, n) for n in names}
                await body(svc, people, ids)

        asyncio.run(main())

    yield runner
    if postgres:
        postgres.drop(url)


def test_only_members_find_an_album_and_only_its_owner_changes_it(run: Any) -> None:
    async def body(svc: Services, p: dict[str, Any], ids: list[int]) -> None:
        album = await albums.create(svc, p["alice"], "  Trip   north ", "notes")
        assert album.title == "Trip north" and album.role == "owner"
        for outsider in (p["admin"], p["carol"], None):
            with pytest.raises(NotFound):
                await albums.find(svc.db, album.id, outsider)
        await album_members.set_member(svc, p["alice"], album.id, "bob", "contributor")
        bobs = await albums.find(svc.db, album.id, p["bob"])
        assert bobs.role == "contributor" and bobs.may_add and not bobs.is_owner
        with pytest.raises(Forbidden):
            await albums.update(svc, p["bob"], album.id, title="mine")
        with pytest.raises(Forbidden):
            await album_members.set_member(svc, p["bob"], album.id, "carol", "viewer")
        with pytest.raises(Invalid):
            await album_members.set_member(svc, p["alice"], album.id, "alice", "viewer")
        with pytest.raises(Invalid):
            await album_members.remove_member(svc, p["alice"], album.id, "alice")
        await album_members.remove_member(svc, p["bob"], album.id, "bob")  # leaving
        with pytest.raises(NotFound):
            await albums.find(svc.db, album.id, p["bob"])
        await albums.delete(svc, p["alice"], album.id)
        assert (await photos.find(svc, ids[0], p["alice"])).id == ids[0]  # photos stay

    run(body)


def test_many_albums_are_found_as_each_is_alone(run: Any) -> None:
    """albums.find_many (a notifications page's albums, in three queries) gives each album a
    person may open as albums.find does, and leaves out the rest."""

    async def body(svc: Services, p: dict[str, Any], ids: list[int]) -> None:
        shared = await albums.create(svc, p["alice"], "Shared with bob")
        await album_members.set_member(svc, p["alice"], shared.id, "bob", "contributor")
        await album_photos.add(svc, shared, p["alice"], ids[:2])
        others = await albums.create(svc, p["alice"], "Not for bob")
        bobs_own = await albums.create(svc, p["bob"], "Bob's")
        gone = await albums.create(svc, p["bob"], "Gone")
        await albums.delete(svc, p["bob"], gone.id)
        asked = [bobs_own.id, others.id, shared.id, gone.id, shared.id, 0]
        found = await albums.find_many(svc.db, asked, p["bob"])
        assert sorted(found) == sorted([shared.id, bobs_own.id])
        for album_id, album in found.items():
            assert album == await albums.find(svc.db, album_id, p["bob"])
        assert found[shared.id].photo_count == 2 and len(found[shared.id].members) == 2
        assert await albums.find_many(svc.db, asked, p["carol"]) == {}
        assert await albums.find_many(svc.db, [], p["bob"]) == {}

    run(body)


def test_contributors_add_their_own_and_remove_what_they_added(run: Any) -> None:
    async def body(svc: Services, p: dict[str, Any], ids: list[int]) -> None:
        album = await albums.create(svc, p["alice"], "Shared")
        await album_members.set_member(svc, p["alice"], album.id, "bob", "contributor")
        bobs = await albums.find(svc.db, album.id, p["bob"])
        added, skipped = await album_photos.add(svc, bobs, p["bob"], [ids[4], ids[0]])
        assert added == [ids[4]] and skipped == [(ids[0], album_photos.NOT_YOURS)]
        mine = await albums.find(svc.db, album.id, p["alice"])
        assert (await album_photos.add(svc, mine, p["alice"], ids[:2]))[0] == ids[:2]
        assert await album_photos.remove(svc, bobs.id, p["bob"], [ids[0], ids[4]]) == [ids[4]]
        assert (await albums.find(svc.db, album.id, p["alice"])).photo_count == 2
        with pytest.raises(Invalid):
            await album_photos.add(svc, mine, p["alice"], list(range(1, 1002)))

    run(body)


def test_an_album_is_walked_in_its_own_order(run: Any) -> None:
    async def body(svc: Services, p: dict[str, Any], ids: list[int]) -> None:
        album = await albums.create(svc, p["alice"], "Walk")
        for photo_id in ids[:4]:
            await album_photos.add(svc, album, p["alice"], [photo_id])
        for sort in albums.SORTS:
            album = await albums.update(svc, p["alice"], album.id, sort=sort)
            order = [ph.id for ph in (await album_photos.page(svc, album, p["alice"]))[0]]
            assert order == await album_photos.ids_in_order(svc, album.id, sort)
            within = await neighbours.parse_list(svc, f"album:{album.id}", p["alice"])
            assert within is not None and within.key == f"album:{album.id}"
            for at, photo_id in enumerate(order):
                photo = await photos.find(svc, photo_id, p["alice"])
                around = await neighbours.around(svc, photo, p["alice"], within)
                assert around is not None
                assert (around.newer.id if around.newer else None) == (
                    order[at - 1] if at else None
                )
                after = order[at + 1] if at + 1 < len(order) else None
                assert (around.older.id if around.older else None) == after
        assert await neighbours.parse_list(svc, f"album:{album.id}", p["carol"]) is None

    run(body)


def test_a_member_s_photos_leave_with_them_and_an_owner_takes_theirs_out(run: Any) -> None:
    async def body(svc: Services, p: dict[str, Any], ids: list[int]) -> None:
        album = await albums.create(svc, p["alice"], "Leaving")
        await album_members.set_member(svc, p["alice"], album.id, "bob", "contributor")
        bobs = await albums.find(svc.db, album.id, p["bob"])
        assert (await album_photos.add(svc, bobs, p["bob"], [ids[4]]))[0] == [ids[4]]
        await album_photos.add(svc, album, p["alice"], [ids[0]])
        await albums.update(svc, p["alice"], album.id, cover_photo_id=ids[4])
        # Demoted, Bob still takes his own photo out, and nothing else.
        await album_members.set_member(svc, p["alice"], album.id, "bob", "viewer")
        assert await album_photos.remove(svc, album.id, p["bob"], [ids[0], ids[4]]) == [ids[4]]
        with pytest.raises(Forbidden):  # nothing of his left in it
            await album_photos.remove(svc, album.id, p["bob"], [ids[0]])
        with pytest.raises(NotFound):
            await album_photos.remove(svc, album.id, p["carol"], [ids[0]])
        # Back as a contributor with his photo as the cover, he leaves: it leaves with him.
        await album_members.set_member(svc, p["alice"], album.id, "bob", "contributor")
        await album_photos.add(svc, bobs, p["bob"], [ids[4]])
        await albums.update(svc, p["alice"], album.id, cover_photo_id=ids[4])
        await album_members.remove_member(svc, p["bob"], album.id, "bob")
        left = await albums.find(svc.db, album.id, p["alice"])
        assert left.photo_count == 1 and left.cover_photo_id is None
        assert (await photos.find(svc, ids[4], p["bob"])).id == ids[4]  # still his

    run(body)


def test_an_album_read_before_a_member_left_takes_no_more_of_their_photos(run: Any) -> None:
    """A long add (a bulk add of many photos reads the album once, then adds them one by one)
    must not put photos in an album its person was removed from meanwhile: a private one
    would be shown to members its owner no longer shares the album with."""

    async def body(svc: Services, p: dict[str, Any], ids: list[int]) -> None:
        album = await albums.create(svc, p["alice"], "Stale")
        await album_members.set_member(svc, p["alice"], album.id, "bob", "contributor")
        read_before = await albums.find(svc.db, album.id, p["bob"])
        await album_members.remove_member(svc, p["alice"], album.id, "bob")
        with pytest.raises(NotFound):
            await album_photos.add(svc, read_before, p["bob"], [ids[4]])
        # Made a viewer meanwhile: he may no longer add either.
        await album_members.set_member(svc, p["alice"], album.id, "bob", "contributor")
        read_before = await albums.find(svc.db, album.id, p["bob"])
        await album_members.set_member(svc, p["alice"], album.id, "bob", "viewer")
        with pytest.raises(Forbidden):
            await album_photos.add(svc, read_before, p["bob"], [ids[4]])
        assert (await albums.find(svc.db, album.id, p["alice"])).photo_count == 0
        assert await album_photos.ids_in_order(svc, album.id, "taken_desc") == []

    run(body)
