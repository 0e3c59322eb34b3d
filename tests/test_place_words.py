"""`place:` finds a town the way a person types it: without its accents, in any case, by any
word of a hyphenated name (`place:evry` finds Évry-Courcouronnes). On both engines, for the
places kept at upload (places.record) and those an older version kept, which the start-up
fill folds (places.run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from photoarchive.library import places
from photoarchive.library.geocoder import Place
from photoarchive.services import Services
from tests.test_neighbours import person, scenario
from tests.test_search import found, shot

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

EVRY = Place("Évry-Courcouronnes", "Île-de-France", "France", "FR")
LODZ = Place("Łódź", "Łódź Voivodeship", "Poland", "PL")
AARHUS = Place("Århus", "Midtjylland", "Denmark", "DK")


async def _placed(svc: Services, photo_id: int, place: Place) -> None:
    async with svc.db.transaction() as tx:
        await places.record(tx, photo_id, place)


def test_a_place_is_found_as_typed_without_accents_or_capitals(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        ann = await person(svc, "ann")
        evry, lodz, aarhus = [await shot(svc, ann, caption="x") for _ in range(3)]
        await _placed(svc, evry, EVRY)
        await _placed(svc, lodz, LODZ)
        await _placed(svc, aarhus, AARHUS)
        for typed in ("evry", "EVRY", "Évry", "courcouronnes", '"evry courcouronnes"', "ile"):
            assert await found(svc, ann, f"place:{typed}") == [evry], typed
        assert await found(svc, ann, "place:france") == [evry]
        assert await found(svc, ann, "place:lodz") == [lodz]
        assert await found(svc, ann, "place:LÓDŹ") == [lodz]
        assert await found(svc, ann, "place:arhus") == [aarhus]
        # A word is matched from its start, as before: not from its middle.
        assert await found(svc, ann, "place:vry") == []
        assert await found(svc, ann, "place:odz") == []
        # Marks that are no letters part words, as in names; they are no wildcards.
        assert await found(svc, ann, "place:_vry") == []
        assert await found(svc, ann, "place:evry_courc") == [evry]

    scenario(tmp_path, body)


def test_places_kept_before_are_folded_at_start(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        ann = await person(svc, "ann")
        old = await shot(svc, ann, caption="x")
        # As an older version kept it: the names alone.
        await svc.db.execute(
            "INSERT INTO photo_places (photo_id, city, region, country, country_code)"
            " VALUES (?, ?, ?, ?, ?)",
            (old, EVRY.city, EVRY.region, EVRY.country, EVRY.country_code),
        )
        # Not found by its place until the start-up fill has folded its names.
        assert await found(svc, ann, "place:Évry") == []
        await places.run(svc)
        assert await found(svc, ann, "place:evry") == [old]
        assert await found(svc, ann, "place:Évry") == [old]

    scenario(tmp_path, body)
