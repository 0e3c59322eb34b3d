"""Favorites and the archive on the domain functions, with a real SQLite file: a favorite is its
person's alone, the list is newest favorite first and holds only photos its person may still
see; an archived photo leaves the feed, batches, profile grid and counts for everyone, its
owner included, stays in albums, and previous and next walk each list in its own order."""

from __future__ import annotations

from pathlib import Path

import pytest

from photoarchive.errors import Forbidden, NotFound
from photoarchive.library import (
    access,
    album_photos,
    albums,
    archive,
    batches,
    favorites,
    neighbours,
    photos,
    visibility,
)
from photoarchive.library.neighbours import PhotoList
from photoarchive.services import Services
from tests.support import FrozenClock
from tests.test_neighbours import person, photo_of, scenario, sides, walk

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


def test_a_favorite_is_its_persons_alone_and_marking_twice_is_marking_once(
    tmp_path: Path,
) -> None:
    async def body(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        first, second = await photo_of(svc, alice), await photo_of(svc, alice)
        assert await favorites.set_favorite(svc, bob, first, True) is True
        assert await favorites.set_favorite(svc, bob, first, True) is True
        assert await favorites.set_favorite(svc, bob, second, True) is True
        assert await favorites.set_favorite(svc, bob, second, False) is False
        assert await favorites.set_favorite(svc, bob, second, False) is False
        mine, _ = await favorites.page(svc, bob)
        assert [p.id for p in mine] == [first] and mine[0].favorite
        assert (await favorites.page(svc, alice))[0] == []
        # The photo read for anyone else carries no mark of bob's.
        assert (await photos.get(svc, first, alice)).favorite is False
        assert (await photos.get(svc, first, None)).favorite is False
        assert (await photos.get(svc, first, bob)).favorite is True

    scenario(tmp_path, body)


def test_favorites_page_newest_mark_first_and_drop_photos_no_longer_seen(
    tmp_path: Path, frozen_clock: FrozenClock
) -> None:
    async def body(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        ids = [await photo_of(svc, alice) for _ in range(5)]
        for photo_id in (ids[3], ids[0], ids[4], ids[1]):  # marked in this order
            await favorites.set_favorite(svc, bob, photo_id, True)
            frozen_clock.advance(1)
        first, cursor = await favorites.page(svc, bob, limit=2)
        rest, end = await favorites.page(svc, bob, cursor=cursor, limit=2)
        assert [p.id for p in first + rest] == [ids[1], ids[4], ids[0], ids[3]]
        assert end is None
        await visibility.set_visibility(svc, alice, ids[4], "private")
        shown, _ = await favorites.page(svc, bob)
        assert [p.id for p in shown] == [ids[1], ids[0], ids[3]]
        # Previous and next follow the marks, stepping over what bob may not see.
        mine = await neighbours.parse_list(svc, neighbours.FAVORITES, bob)
        assert mine is not None
        assert await walk(svc, bob, mine, ids[1]) == [ids[1], ids[0], ids[3]]
        assert await sides(svc, ids[0], bob, mine) == (ids[1], ids[3])
        assert await sides(svc, ids[2], bob, mine) is None  # not one of his favorites
        with pytest.raises(NotFound):
            await favorites.set_favorite(svc, bob, ids[4], True)
        assert await neighbours.parse_list(svc, neighbours.FAVORITES, None) is None

    scenario(tmp_path, body)


def test_an_archived_photo_leaves_feed_batches_profile_and_counts_but_not_albums(
    tmp_path: Path,
) -> None:
    async def body(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        adding = batches.new_adding()
        ids = []
        for _ in range(3):
            photo_id = await photo_of(svc, alice)
            async with svc.db.transaction() as tx:
                await batches.join(tx, alice, adding, photo_id)
            ids.append(photo_id)
        alone = await photo_of(svc, alice)
        album = await albums.create(svc, alice, "Summer", "")
        await album_photos.add(svc, album, alice, [ids[2], alone])

        with pytest.raises(Forbidden):
            await archive.set_archived(svc, bob, alone, True)
        archived = await archive.set_archived(svc, alice, alone, True)
        assert archived.archived
        await archive.set_archived(svc, alice, ids[2], True)
        for viewer in (alice, bob, None):
            entries, _ = await batches.feed_page(svc, viewer)
            assert [(e.key, e.count) for e in entries] == [(ids[1], 2)]
            assert [p.id for p in entries[0].mosaic] == [ids[1], ids[0]]
            shown, _ = await photos.page(svc, viewer, owner_id=alice.id)
            assert [p.id for p in shown] == [ids[1], ids[0]]
            counts = await visibility.profile_counts(
                svc, alice.id, access.Viewer(viewer, public_view=True)
            )
            assert counts["photos"] == 2
            batch = await batches.get(svc, entries[0].batch_id or 0, viewer)
            assert [p.id for p in batch.photos] == [ids[1], ids[0]]
        in_album, _ = await album_photos.page(
            svc, await albums.find(svc.db, album.id, alice), alice
        )
        assert {p.id for p in in_album} == {ids[2], alone}
        kept, _ = await archive.page(svc, alice)
        assert [p.id for p in kept] == [alone, ids[2]]
        assert (await archive.page(svc, bob))[0] == []
        # Previous and next: the archive walks archived photos, the profile the others.
        mine = await neighbours.parse_list(svc, neighbours.ARCHIVE, alice)
        assert mine is not None
        assert await walk(svc, alice, mine, alone) == [alone, ids[2]]
        assert await sides(svc, ids[1], alice, mine) is None
        profile = PhotoList(alice)
        assert await sides(svc, alone, alice, profile) is None
        assert await walk(svc, alice, profile, ids[1]) == [ids[1], ids[0]]
        assert await sides(svc, ids[1], bob, PhotoList()) == (None, ids[0])

        await archive.set_archived(svc, alice, alone, False)
        entries, _ = await batches.feed_page(svc, bob)
        assert entries[0].key == alone

    scenario(tmp_path, body, public_view=True)
