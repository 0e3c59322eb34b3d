"""Background jobs run once however many instances share the archive: a pass waits while
another instance's pass holds the job's named lock, then finds nothing left to do."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from photoarchive import clock
from photoarchive.db import build_database
from photoarchive.errors import Unavailable
from photoarchive.library import rechecks, trash
from photoarchive.services import Services
from photoarchive.settings import Settings
from photoarchive.storage import original_key
from photoarchive.storage.local import LocalBlobStore
from tests.support import PHOTOS, LiveServer, api_login, services, sign_up, upload
from tests.test_neighbours import person, photo_of, scenario

pytestmark = pytest.mark.usefixtures("engine")

CAMERAS = sorted((PHOTOS / "cameras").glob("*.jpg"))
# While the other instance holds the lock the pass cannot end, however long this is: it only
# gives a pass that ignored the lock the time to show it.
HELD_SECONDS = 0.3


def test_the_trash_purge_of_one_instance_waits_for_the_others_then_finds_nothing(
    server: LiveServer, settings: Settings
) -> None:
    sign_up(server, "owner")
    owner = api_login(server, "owner")
    ids = [upload(owner, path).json()["items"][0]["id"] for path in CAMERAS[:2]]
    for photo_id in ids:
        assert owner.delete(f"/api/v1/photos/{photo_id}").status_code == 204
    later = clock.now() + (settings.trash_days + 1) * trash.DAY_SECONDS

    async def main() -> None:
        this, other = build_database(settings, readers=1), build_database(settings, readers=1)
        await this.open()
        await other.open()
        store = LocalBlobStore(settings.blob_dir, settings.tmp_dir)
        try:
            async with other.lock(trash.PURGE_LOCK):
                purging = asyncio.create_task(
                    trash.purge_expired(this, store, settings.trash_days, now=later)
                )
                await asyncio.sleep(HELD_SECONDS)
                assert not purging.done()
                assert await other.fetchval("SELECT COUNT(*) FROM trashed_photos") == 2
            assert await purging == 2
            assert await trash.purge_expired(other, store, settings.trash_days, now=later) == 0
        finally:
            await this.close()
            await other.close()

    asyncio.run(main())
    assert server.count("photos") == 0


def test_the_location_recheck_of_one_instance_waits_for_the_others(settings: Settings) -> None:
    async def main() -> None:
        other = build_database(settings, readers=1)
        await other.open()
        try:
            async with services(settings) as svc:
                async with other.lock(rechecks.RECHECK_LOCK):
                    checking = asyncio.create_task(rechecks.run(svc))
                    await asyncio.sleep(HELD_SECONDS)
                    assert not checking.done()
                assert await checking == 0
        finally:
            await other.close()

    asyncio.run(main())


def test_the_location_re_check_takes_up_its_work_again_after_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Only a store's failure was caught: the database away a moment ended the task in
    silence, and the photos it had not reached kept their originals to their owners alone
    until the next start."""
    monkeypatch.setattr(rechecks, "RETRY_SECONDS", 0.01)
    calls: list[int] = []

    async def flaky(svc: Services, photo_id: int, sha256: str) -> None:
        calls.append(photo_id)
        if len(calls) == 1:
            raise Unavailable("The archive's database cannot be reached just now.")
        await svc.db.execute("UPDATE photos SET location_patches = '[]' WHERE id = ?", (photo_id,))

    async def body(svc: Services) -> None:
        ann = await person(svc, "ann")
        photo = await photo_of(svc, ann)
        await svc.db.execute(
            "UPDATE photos SET location_patches = ? WHERE id = ?", (rechecks.RECHECK, photo)
        )
        monkeypatch.setattr(rechecks, "recheck_one", flaky)
        assert await rechecks.run(svc) == 1
        assert await rechecks.pending(svc) == 0 and calls == [photo, photo]

    scenario(tmp_path, body)
    assert "The location re-check failed; trying again" in caplog.text


def test_an_original_that_trips_the_reader_stays_withheld_and_the_rest_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """With the run taken up again after any failure, one original our reader cannot take
    (a bug) stopped every run at itself, and the photos after it were never re-checked."""

    def reader(path: Path) -> list[tuple[int, bytes]]:
        if path.read_bytes() == b"odd":
            raise IndexError("an odd segment")
        return []

    async def body(svc: Services) -> None:
        ann = await person(svc, "ann")
        odd, plain = await photo_of(svc, ann), await photo_of(svc, ann)
        svc.settings.tmp_dir.mkdir(parents=True, exist_ok=True)  # as the server's start makes it
        for photo, data in ((odd, b"odd"), (plain, b"plain")):
            digest = await svc.db.fetchval("SELECT sha256 FROM photos WHERE id = ?", (photo,))
            await svc.store.put_bytes(original_key(digest), data)
            await svc.db.execute(
                "UPDATE photos SET location_patches = ? WHERE id = ?", (rechecks.RECHECK, photo)
            )
        monkeypatch.setattr(rechecks.images, "stored_location_patches", reader)
        await asyncio.wait_for(rechecks.run(svc), 30)
        left = await svc.db.fetchall(
            "SELECT id FROM photos WHERE location_patches = ?", (rechecks.RECHECK,)
        )
        assert [row[0] for row in left] == [odd]  # still withheld from all but its owner

    scenario(tmp_path, body)
    assert "location re-check of photo" in caplog.text and "stays withheld" in caplog.text
