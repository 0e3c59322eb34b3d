"""The start-up's alignment of upload times (library/upload_clock.py) reads and writes only
photos without a date taken: those are the ones placed by when they were uploaded, and every
photo written fires the triggers of the month counts and the search index."""

from __future__ import annotations

from pathlib import Path

import pytest

from photoarchive.library import upload_clock
from photoarchive.services import Services
from tests.test_neighbours import person, scenario
from tests.test_search import shot

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


def test_only_undated_photos_are_placed_by_their_upload_time(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        ann = await person(svc, "ann")
        dated = await shot(svc, ann, taken_at="2024-07-31T23:30:00")
        undated = await shot(svc, ann, created_at="2024-07-31T22:30:00.000000Z")
        await svc.db.execute("UPDATE photos SET created_local = NULL")  # as before 0027

        assert await upload_clock.align(svc.db, "Europe/Paris") == 1
        local = "SELECT created_local FROM photos WHERE id = ?"
        assert await svc.db.fetchval(local, (undated,)) == "2024-08-01T00:30:00.000000"
        assert await svc.db.fetchval(local, (dated,)) is None
        # Another zone: the undated photo follows it; the dated one is still not touched.
        assert await upload_clock.align(svc.db, "America/New_York") == 1
        assert await svc.db.fetchval(local, (undated,)) == "2024-07-31T18:30:00.000000"
        assert await svc.db.fetchval(local, (dated,)) is None
        assert await upload_clock.align(svc.db, "America/New_York") == 0

    scenario(tmp_path, body)
