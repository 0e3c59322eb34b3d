"""Places without HTTP: the offline geocoder on real photos' coordinates, who may know a
photo's town and country (`access.decide(...).place` and `access.place_sql`, which must
agree), and the backfill of older photos (run twice at once, as two instances would)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from photoarchive.accounts.users import User
from photoarchive.library import (
    access,
    archive,
    geocoder,
    photos,
    places,
    search,
    share_holders,
    shares,
)
from photoarchive.media.metadata import read_metadata
from photoarchive.services import Services
from tests.support import PHOTOS
from tests.test_access_sql import album, private
from tests.test_neighbours import person, photo_of, scenario

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

GPS_PHOTOS = sorted((PHOTOS / "gps").glob("*.jpg"))


def _coordinates(path: Path) -> tuple[float, float]:
    with Image.open(path) as image:
        meta = read_metadata(image)
    assert meta.gps_lat is not None and meta.gps_lon is not None
    return meta.gps_lat, meta.gps_lon


@pytest.mark.parametrize("path", GPS_PHOTOS, ids=lambda p: p.name)
def test_a_real_photos_coordinates_become_its_town_and_country(path: Path) -> None:
    lat, lon = _coordinates(path)
    assert geocoder.lookup_now(lat, lon) == geocoder.Place("Arezzo", "Tuscany", "Italy", "IT")


@pytest.mark.parametrize(
    ("lat", "lon", "city", "code"),
    [
        (-33.8688, 151.2093, "Sydney", "AU"),  # south and east
        (64.1466, -21.9426, "Reykjavík", "IS"),  # north and west
        (78.2232, 15.6267, "Longyearbyen", "SJ"),  # far north, where degrees of longitude shrink
        (-17.8277, 31.0534, "Harare", "ZW"),
        (45.7597, 4.8422, "Lyon", "FR"),  # an arrondissement is named after its city
    ],
)
def test_towns_around_the_world(lat: float, lon: float, city: str, code: str) -> None:
    place = geocoder.lookup_now(lat, lon)
    assert place is not None and (place.city, place.country_code) == (city, code)


@pytest.mark.parametrize(
    ("lat", "lon"), [(0.0, 0.0), (0.0, -30.0), (-60.0, -140.0), (91.0, 0.0), (10.0, 181.0)]
)
def test_open_sea_nonsense_and_a_broken_gps_have_no_place(lat: float, lon: float) -> None:
    assert geocoder.lookup_now(lat, lon) is None


def test_the_lookup_runs_off_the_event_loop() -> None:
    async def main() -> geocoder.Place | None:
        return await geocoder.lookup(*_coordinates(GPS_PHOTOS[0]))

    assert asyncio.run(main()) is not None


def _facts(owner_id: int, *, private: bool = False) -> photos.Photo:
    """The facts of a photo as the decision sees them (only the ones it reads matter)."""
    from tests.test_access import _Photo

    return _Photo(owner_id=owner_id, private=private)  # type: ignore[return-value]


def _user(user_id: int) -> User:
    return User(user_id, f"user{user_id}", f"u{user_id}@example.org", "", False, False, "")


@pytest.mark.parametrize("shared", [False, True])
def test_who_may_know_a_photos_place(shared: bool) -> None:
    photo = _facts(owner_id=1)
    owner, member = _user(1), _user(2)
    admin = User(3, "admin", "admin@example.org", "", True, False, "")

    def place(viewer: access.Viewer) -> bool:
        return access.decide(viewer, photo, places_shared=shared).place

    assert place(access.Viewer(owner, False))  # always the owner's own
    assert place(access.Viewer(member, False)) is shared
    assert place(access.Viewer(admin, False)) is shared
    assert place(access.Viewer(None, True)) is shared  # a guest, where guests may look
    assert not place(access.Viewer(None, False))  # a guest who may not look at all
    # A share link shows the photo and nothing of where it was taken.
    assert not place(access.Viewer(None, False, access.Grant(frozenset({photo.id}))))
    # A place never brings the coordinates with it.
    assert not access.decide(access.Viewer(member, False), photo, places_shared=shared).location
    # A private photo's place goes only where the photo goes.
    hidden = _facts(owner_id=1, private=True)
    assert not access.decide(access.Viewer(member, False), hidden, places_shared=shared).place


async def _placed(svc: Services, owner: User, lat: float = 43.4674, lon: float = 11.8851) -> int:
    photo_id = await photo_of(svc, owner)
    await svc.db.execute(
        "UPDATE photos SET gps_lat = ?, gps_lon = ? WHERE id = ?", (lat, lon, photo_id)
    )
    return photo_id


def test_the_place_decision_and_the_sql_condition_agree(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        alice, bob, carol = [await person(svc, n) for n in ("alice", "bob", "carol")]
        ids = {
            "alice family": await _placed(svc, alice),
            "alice private": await _placed(svc, alice),
            "bob family": await _placed(svc, bob),
            "bob private": await _placed(svc, bob),
            "bob private in album": await _placed(svc, bob),
        }
        for name in ("alice private", "bob private", "bob private in album"):
            await private(svc, ids[name])
        await album(svc, bob, [carol], [ids["bob private in album"]])
        assert await places.backfill(svc.db) == 5
        await places.set_sharing(svc, bob, True)  # bob shows his places; alice does not
        viewers = {
            "alice": access.Viewer(alice, False),
            "bob": access.Viewer(bob, False),
            "carol": access.Viewer(carol, False),
            "guest": access.Viewer(None, True),
            "link holder": access.Viewer(
                None, False, access.Grant(frozenset({ids["alice family"], ids["bob family"]}))
            ),
        }
        expected = {
            "alice": {"alice family", "alice private", "bob family"},
            "bob": {"bob family", "bob private", "bob private in album"},
            "carol": {"bob family", "bob private in album"},
            "guest": {"bob family"},
            "link holder": set(),
        }
        by_id = {photo_id: name for name, photo_id in ids.items()}
        for label, viewer in viewers.items():
            condition, params = access.place_sql(viewer)
            rows = await svc.db.fetchall(f"SELECT p.id FROM photos p WHERE {condition}", params)
            in_sql = {by_id[row[0]] for row in rows}
            decided = set()
            for name, photo_id in ids.items():
                row = await svc.db.fetch_by_key(
                    f"SELECT {photos.PHOTO_COLUMNS} FROM photos p"
                    " JOIN users u ON u.id = p.owner_id WHERE p.id = ?",
                    (*photos.reading_for(viewer.account), photo_id),
                )
                assert row is not None
                photo = photos.from_row(row, viewer.account)
                seen = access.decide(viewer, photo, places_shared=photo.places_shared)
                if seen.place:
                    decided.add(name)
            assert in_sql == decided == expected[label], label
            # The places list counts exactly those.
            listed = await places.countries(svc, viewer)
            assert sum(c.count for c in listed) == len(expected[label]), label
        # Bob archives his family photo: it leaves everyone's places list but his own, as it
        # leaves the feed and searches.
        await archive.set_archived(svc, bob, ids["bob family"], True)
        for label, viewer in viewers.items():
            listed = await places.countries(svc, viewer)
            still = expected[label] - ({"bob family"} if label != "bob" else set())
            assert sum(c.count for c in listed) == len(still), label

    scenario(tmp_path, body)


def test_the_backfill_is_safe_twice_at_once_and_skips_what_is_done(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        alice = await person(svc, "alice")
        arezzo = await _placed(svc, alice)
        sea = await _placed(svc, alice, 0.0, -30.0)
        await photo_of(svc, alice)  # no coordinates: nothing to find
        found = await asyncio.gather(
            places.backfill(svc.db, batch=1), places.backfill(svc.db, batch=1)
        )
        assert sum(found) >= 2
        rows = await svc.db.fetchall(
            "SELECT photo_id, city, country_code FROM photo_places ORDER BY photo_id"
        )
        assert [tuple(r) for r in rows] == [(arezzo, "Arezzo", "IT"), (sea, None, None)]
        assert await places.backfill(svc.db) == 0  # nothing asked again, the open sea included
        photo = await photos.find(svc, arezzo, alice)
        assert photo.place == geocoder.Place("Arezzo", "Tuscany", "Italy", "IT")
        assert (await photos.find(svc, sea, alice)).place is None

    scenario(tmp_path, body)


def test_the_map_holds_only_the_owners_own_photos(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        mine = await _placed(svc, alice)
        await _placed(svc, bob)
        await places.set_sharing(svc, bob, True)  # a town shown is not a spot shown
        assert [pin.id for pin in await places.pins(svc, alice)] == [mine]
        await places.set_sharing(svc, bob, False)
        assert not await places.shares(svc, bob)

    scenario(tmp_path, body)


@pytest.mark.parametrize("strip", [False, True])
def test_the_start_up_pass_fills_in_older_photos_unless_locations_are_stripped(
    tmp_path: Path, strip: bool
) -> None:
    async def body(svc: Services) -> None:
        alice = await person(svc, "alice")
        photo_id = await _placed(svc, alice)  # as if uploaded before places existed
        await places.run(svc)
        found = await svc.db.fetchall("SELECT photo_id FROM photo_places")
        assert [row[0] for row in found] == ([] if strip else [photo_id])

    scenario(tmp_path, body, strip_location=strip)


def test_places_kept_from_before_locations_were_stripped_go_at_start(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        photo_id = await _placed(svc, alice)
        assert await places.backfill(svc.db) == 1  # found before the setting was turned on
        await places.set_sharing(svc, alice, True)
        stripped = replace(svc, settings=replace(svc.settings, strip_location=True))
        await places.run(stripped)
        assert await svc.db.fetchall("SELECT photo_id FROM photo_places") == []
        # So nobody is told the town any more, whatever alice chose.
        assert (await photos.get(svc, photo_id, bob)).place is None
        assert await places.countries(svc, access.Viewer(bob, False)) == []

    scenario(tmp_path, body)


def test_a_share_links_holder_is_told_no_place(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        alice = await person(svc, "alice")
        photo_id = await _placed(svc, alice)
        assert await places.backfill(svc.db) == 1
        await places.set_sharing(svc, alice, True)  # members and guests may know the town
        assert (await photos.get(svc, photo_id, None)).place is not None
        share = await shares.create(svc, alice, photo_ids=[photo_id])
        link = await shares.open_link(svc, share.token)
        shown = await share_holders.photo(svc, link, photo_id)
        assert shown.place is None and shown.gps_lat is None

    scenario(tmp_path, body, public_view=True)


def test_a_place_search_finds_what_the_places_list_shows(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        photo_id = await _placed(svc, alice)
        assert await places.backfill(svc.db) == 1
        for viewer in (bob, None):  # alice does not show her places yet
            assert (await search.page(svc, viewer, "place:arezzo"))[0] == []
        await places.set_sharing(svc, alice, True)
        for viewer in (alice, bob, None):  # a guest too, as /places lists it for them
            listed = await places.countries(svc, access.Viewer(viewer, True))
            found, _ = await search.page(svc, viewer, "place:arezzo")
            assert [c.count for c in listed] == [1] and [p.id for p in found] == [photo_id]

    scenario(tmp_path, body, public_view=True)


def test_every_town_the_places_list_shows_is_found_by_its_name(tmp_path: Path) -> None:
    """The places page links each town and country to `place:` and its name: a name that
    begins with a capital outside ASCII (Évry, Örebro, Île-de-France) is found too, as linked,
    in lower case, and in capitals."""

    async def body(svc: Services) -> None:
        alice = await person(svc, "alice")
        evry = await _placed(svc, alice, 48.6295, 2.4413)  # Évry, Île-de-France
        orebro = await _placed(svc, alice, 59.2753, 15.2134)  # Örebro
        assert await places.backfill(svc.db) == 2
        listed = await places.countries(svc, access.Viewer(alice, True))
        towns = {city.city for country in listed for city in country.cities}
        assert towns == {"Évry", "Örebro"}
        for q, expected in (
            ('place:"Évry"', [evry]),
            ("place:évry", [evry]),
            ("place:Örebro", [orebro]),
            ("place:örebro", [orebro]),
            ("place:ÖREBRO", [orebro]),
            ('place:"Île-de-France"', [evry]),
            ('place:"île-de-france"', [evry]),
            ("place:france", [evry]),
            ("place:50%", []),
        ):
            found, _ = await search.page(svc, alice, q)
            assert [p.id for p in found] == expected, q

    scenario(tmp_path, body)


def test_a_town_s_link_finds_that_town_alone(tmp_path: Path) -> None:
    """/places counts Paris, France apart from Paris, Texas; its link finds what it counts:
    quoted, whole words (not the start of one, as unquoted), with the town's country."""

    async def body(svc: Services) -> None:
        alice = await person(svc, "alice")
        france = await _placed(svc, alice, 48.8566, 2.3522)
        texas = await _placed(svc, alice, 33.6609, -95.5555)
        assert await places.backfill(svc.db) == 2
        listed = await places.countries(svc, access.Viewer(alice, True))
        counted = {
            (country.country, city.city): city.count
            for country in listed
            for city in country.cities
        }
        assert counted == {("France", "Paris"): 1, ("United States", "Paris"): 1}
        for q, expected in (
            ('place:"Paris" place:"France"', [france]),
            ('place:"Paris" place:"United States"', [texas]),
            ("place:pari", [texas, france]),
            ('place:"pari"', []),
            ('place:"united states"', [texas]),
            ('place:"united state"', []),
        ):
            found, _ = await search.page(svc, alice, q)
            assert [p.id for p in found] == expected, q

    scenario(tmp_path, body)
