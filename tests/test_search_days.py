"""The day each photo is indexed under follows its date taken however that date changes: set,
shifted across midnight, given another offset, cleared (then its upload time dates it). Search
walks matches by that day (SQLite's row number, PostgreSQL's photo_text.code), so a day left
behind would put a photo on the wrong page or out of a month's results."""

from __future__ import annotations

from pathlib import Path

import pytest

from photoarchive.db import Database
from photoarchive.db.search import DAY
from photoarchive.library import taken_dates
from photoarchive.services import Services
from tests.test_neighbours import person, scenario
from tests.test_search import found, index_check, shot, walk

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL
__all__ = ["walk"]  # the fixture: every way of finding results


async def _days(svc: Services) -> dict[int, int]:
    """Each photo's indexed day, as the engine keeps it."""
    if isinstance(svc.db, Database):
        sql = f"SELECT rowid % {DAY}, rowid / {DAY} FROM photo_words"  # constant
    else:
        sql = f"SELECT photo_id, code / {DAY} FROM photo_text"  # constant
    return {int(photo): int(day) for photo, day in await svc.db.fetchall(sql)}


def test_the_day_follows_every_change_of_the_date_taken(tmp_path: Path, walk: str) -> None:
    async def body(svc: Services) -> None:
        ann = await person(svc, "ann")
        first = await shot(svc, ann, caption="owl", taken_at="2024-07-14T23:30:00")
        second = await shot(svc, ann, caption="owl", taken_at="2024-07-10T12:00:00+02:00")
        third = await shot(
            svc, ann, caption="owl", taken_at=None, created_at="2024-07-12T08:00:00.000000Z"
        )
        assert await _days(svc) == {first: 20240714, second: 20240710, third: 20240712}
        assert await found(svc, ann, "owl") == [first, third, second]

        # Shifted across midnight: the next day, and still the newest.
        await taken_dates.shift_date(svc, ann, first, 3600)
        assert (await _days(svc))[first] == 20240715
        assert await found(svc, ann, "owl after:2024-07-15") == [first]
        # A filter's days are exact: `before:` a day leaves that day out, the month's end is in.
        assert await found(svc, ann, "owl before:2024-07-15") == [third, second]
        assert await found(svc, ann, "owl month:2024-07 -after:2024-07-12") == [second]
        # The same moment written with another offset: another wall-clock day.
        await taken_dates.set_taken_at(svc, ann, second, "2024-07-09T22:00:00-00:00")
        assert (await _days(svc))[second] == 20240709
        assert await found(svc, ann, "owl after:2024-07-10") == [first, third]
        # Set to a later day than every other: first now.
        await taken_dates.set_taken_at(svc, ann, third, "2024-08-01T09:00:00")
        assert (await _days(svc))[third] == 20240801
        assert await found(svc, ann, "owl") == [third, first, second]
        # Cleared: dated by its upload again.
        await taken_dates.set_taken_at(svc, ann, third, None)
        assert (await _days(svc))[third] == 20240712
        assert await found(svc, ann, "owl") == [first, third, second]
        assert await found(svc, ann, "owl month:2024-07") == [first, third, second]
        await index_check(svc)  # every row as made afresh from the photos now

    scenario(tmp_path, body)
