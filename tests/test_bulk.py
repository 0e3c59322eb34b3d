"""One action on many photos, on the domain functions with a real SQLite file: each photo is
decided as a request about it alone would be (the same status and words), one refusal stops
none of the rest (the archive's own trouble, a 5xx, stops them all, said of each), an id sent
twice counts once, and a wrong action, parameter or count of ids is refused before any photo
changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from photoarchive.errors import Forbidden, Invalid, NotFound, Unavailable
from photoarchive.library import (
    album_members,
    album_photos,
    albums,
    archive,
    bulk,
    favorites,
    photos,
    visibility,
)
from photoarchive.library.bulk import Failure
from photoarchive.services import Services
from tests.test_neighbours import person, photo_of, scenario

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

GONE = Failure(0, 404, photos.PHOTO_GONE)


def gone(photo_id: int) -> Failure:
    return Failure(photo_id, GONE.status, GONE.detail)


def test_favorite_and_unfavorite_each_photo_the_person_may_see(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        family = await photo_of(svc, alice)
        hidden = await photo_of(svc, alice)
        await visibility.set_visibility(svc, alice, hidden, "private")
        outcome = await bulk.apply(svc, bob, "favorite", [family, hidden, 999_999, family])
        assert outcome.done == [family]
        assert outcome.failed == [gone(hidden), gone(999_999)]
        # The same words as the single request's refusal.
        with pytest.raises(NotFound) as single:
            await favorites.set_favorite(svc, bob, hidden, True)
        assert single.value.message == outcome.failed[0].detail
        assert [p.id for p in (await favorites.page(svc, bob))[0]] == [family]
        again = await bulk.apply(svc, bob, "unfavorite", [family, family])
        assert (again.done, again.failed) == ([family], [])
        assert (await favorites.page(svc, bob))[0] == []

    scenario(tmp_path, body)


def test_archive_visibility_are_the_owners_and_the_others_fail_alone(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        mine = [await photo_of(svc, alice) for _ in range(3)]
        theirs = await photo_of(svc, bob)
        outcome = await bulk.apply(svc, alice, "archive", [mine[0], theirs, mine[1]])
        assert outcome.done == [mine[0], mine[1]]
        with pytest.raises(Forbidden) as single:
            await archive.set_archived(svc, alice, theirs, True)
        assert outcome.failed == [Failure(theirs, 403, single.value.message)]
        assert [p.id for p in (await archive.page(svc, alice))[0]] == [mine[1], mine[0]]
        assert not (await photos.find(svc, theirs, bob)).archived
        back = await bulk.apply(svc, alice, "unarchive", [mine[0]])
        assert back.done == [mine[0]]
        assert [p.id for p in (await archive.page(svc, alice))[0]] == [mine[1]]

        private = await bulk.apply(
            svc, alice, "set_visibility", [*mine, theirs], {"visibility": "private"}
        )
        assert private.done == mine
        assert [(f.id, f.status) for f in private.failed] == [(theirs, 403)]
        for photo_id in mine:
            assert (await photos.find(svc, photo_id, alice)).private
            with pytest.raises(NotFound):
                await photos.find(svc, photo_id, bob)
        assert not (await photos.find(svc, theirs, bob)).private
        # Now private, they are not there for bob at all: 404, not 403.
        family = await bulk.apply(svc, bob, "set_visibility", mine, {"visibility": "family"})
        assert family.done == [] and family.failed == [gone(i) for i in mine]

    scenario(tmp_path, body)


def test_add_to_album_decides_the_album_once_and_each_photo_alone(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        alice, bob, carol = [await person(svc, n) for n in ("alice", "bob", "carol")]
        album = await albums.create(svc, alice, "Summer")
        await album_members.set_member(svc, alice, album.id, "bob", "viewer")
        mine = [await photo_of(svc, alice) for _ in range(2)]
        bobs = await photo_of(svc, bob)
        hidden = await photo_of(svc, bob)
        await visibility.set_visibility(svc, bob, hidden, "private")
        await bulk.apply(svc, alice, "add_to_album", [mine[0]], {"album_id": album.id})
        outcome = await bulk.apply(
            svc, alice, "add_to_album", [*mine, bobs, hidden], {"album_id": album.id}
        )
        # Already in it is done: it is where it was asked to be.
        assert outcome.done == mine
        assert outcome.failed == [Failure(bobs, 403, bulk.NOT_YOURS), gone(hidden)]
        found = await albums.find(svc.db, album.id, alice)
        assert sorted(p.id for p in await album_photos.all_of(svc, found, alice)) == mine
        # The album, for the whole request: a viewer may not add, a stranger does not see it.
        with pytest.raises(Forbidden):
            await bulk.apply(svc, bob, "add_to_album", [bobs], {"album_id": album.id})
        for album_id in (album.id, 999_999):
            with pytest.raises(NotFound):
                await bulk.apply(svc, carol, "add_to_album", [bobs], {"album_id": album_id})
        found = await albums.find(svc.db, album.id, alice)
        assert found.photo_count == 2

    scenario(tmp_path, body)


def test_add_to_album_refused_for_the_album_meanwhile_answers_each_photo_as_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bob, a contributor when the request began, is made a viewer before the photos go in:
    his own photo is refused for the album, and, as each would be alone, a photo he may not
    see is not found, another's is not his, and his photo already in it is done."""

    async def body(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        album = await albums.create(svc, alice, "Summer")
        await album_members.set_member(svc, alice, album.id, "bob", "contributor")
        his, hers, hidden, in_it = (
            await photo_of(svc, bob),
            await photo_of(svc, alice),
            await photo_of(svc, alice),
            await photo_of(svc, bob),
        )
        await visibility.set_visibility(svc, alice, hidden, "private")
        await album_photos.add(svc, await albums.find(svc.db, album.id, bob), bob, [in_it])
        real = album_photos._insert

        async def demoted_first(svc: Services, *args: Any) -> Any:
            await album_members.set_member(svc, alice, album.id, "bob", "viewer")
            return await real(svc, *args)

        monkeypatch.setattr(album_photos, "_insert", demoted_first)
        outcome = await bulk.apply(
            svc, bob, "add_to_album", [his, hers, hidden, in_it], {"album_id": album.id}
        )
        assert outcome.done == [in_it]  # where it was asked to be, as alone
        assert outcome.failed == [
            Failure(his, 403, album_photos.MAY_ADD),
            Failure(hers, 403, bulk.NOT_YOURS),
            gone(hidden),
        ]

    scenario(tmp_path, body)


def test_add_to_album_costs_as_much_for_forty_photos_as_for_four(tmp_path: Path) -> None:
    """All the photos in one go, as the album's own "add photos" does: photo by photo, each was
    a transaction of its own that told every member anew (a 1,000-photo add into a 20-member
    album wrote 40,000 notifications). The members are told once, of all of them."""

    async def body(svc: Services) -> None:
        alice = await person(svc, "alice")
        members = [await person(svc, f"member{n}") for n in range(5)]
        album = await albums.create(svc, alice, "Summer")
        for member in members:
            await album_members.set_member(svc, alice, album.id, member.username, "viewer")
        costs = []
        for count in (4, 40):
            ids = [await photo_of(svc, alice) for _ in range(count)]
            before = svc.db.query_count
            outcome = await bulk.apply(svc, alice, "add_to_album", ids, {"album_id": album.id})
            costs.append(svc.db.query_count - before)
            assert (outcome.done, outcome.failed) == (ids, [])
        assert costs[1] == costs[0]
        for member in members:
            rows = "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'album_photos'"
            assert await svc.db.fetchval(rows, (member.id,)) == 1

    scenario(tmp_path, body)


@pytest.mark.parametrize(
    ("action", "given", "ids", "field"),
    [
        ("delete_everything", {}, [1], "action"),
        ("favorite", {"visibility": "private"}, [1], "visibility"),
        ("archive", {"album_id": 1}, [1], "album_id"),
        ("set_visibility", {}, [1], "visibility"),
        ("set_visibility", {"visibility": "public"}, [1], "visibility"),
        ("add_to_album", {}, [1], "album_id"),
        ("favorite", {}, [], "photo_ids"),
        ("favorite", {}, list(range(1, bulk.IDS_MAX + 2)), "photo_ids"),
        ("favorite", {}, [0], "photo_ids"),
    ],
)
def test_a_wrong_request_is_refused_whole_naming_its_field(
    tmp_path: Path, action: str, given: dict[str, object], ids: list[int], field: str
) -> None:
    async def body(svc: Services) -> None:
        alice = await person(svc, "alice")
        photo = await photo_of(svc, alice)
        assert photo == 1
        with pytest.raises(Invalid) as refused:
            await bulk.apply(svc, alice, action, ids, given)
        assert refused.value.field == field
        assert (await favorites.page(svc, alice))[0] == []
        assert (await archive.page(svc, alice))[0] == []
        assert not (await photos.find(svc, photo, alice)).private

    scenario(tmp_path, body)


def test_a_thousand_photos_is_the_most_and_is_allowed(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        alice = await person(svc, "alice")
        photo = await photo_of(svc, alice)
        ids = [photo, *range(photo + 1, photo + bulk.IDS_MAX)]
        outcome = await bulk.apply(svc, alice, "favorite", ids)
        assert outcome.done == [photo]
        assert len(outcome.failed) == bulk.IDS_MAX - 1
        assert {f.status for f in outcome.failed} == {404}

    scenario(tmp_path, body)


def test_the_archive_s_own_trouble_stops_the_rest_and_says_which_were_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 5xx (the database or the store away) was raised as the answer: the photos done
    before it went untold, and a retry of shift_date shifted them twice."""

    async def body(svc: Services) -> None:
        alice = await person(svc, "alice")
        first, second, third = [await photo_of(svc, alice) for _ in range(3)]
        real = photos.find

        async def away_at_the_second(svc: Services, photo_id: int, *args: Any, **kw: Any) -> Any:
            if photo_id == second:
                raise Unavailable("The archive's database cannot be reached just now.")
            return await real(svc, photo_id, *args, **kw)

        monkeypatch.setattr(photos, "find", away_at_the_second)
        outcome = await bulk.apply(svc, alice, "archive", [first, second, third])
        assert outcome.done == [first]
        assert [(f.id, f.status) for f in outcome.failed] == [(second, 503), (third, 503)]
        assert all("cannot be reached" in f.detail for f in outcome.failed)
        monkeypatch.setattr(photos, "find", real)
        archived, _ = await archive.page(svc, alice)
        assert [p.id for p in archived] == [first]  # the third was not done after it

    scenario(tmp_path, body)
