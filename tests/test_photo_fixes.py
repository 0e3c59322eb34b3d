"""Setting a photo right, on the domain functions with a real SQLite file and a real store: a
turn is made from the untouched original (its bytes never change), on top of the EXIF
orientation, with the turned size and renditions; renditions no photo is shown at any more go;
photos of the same bytes turned alike share theirs; a date taken is checked strictly, and a
shift moves it keeping its offset, or refuses."""

from __future__ import annotations

import asyncio
import hashlib
import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from photoarchive.accounts.users import User
from photoarchive.db import Database, PostgresDatabase
from photoarchive.errors import Forbidden, Invalid, NotFound
from photoarchive.library import (
    blobs,
    ingest,
    photos,
    rotations,
    taken_dates,
    trash,
    visibility,
)
from photoarchive.library.ingest import IncomingFile
from photoarchive.media import images
from photoarchive.services import Services
from photoarchive.settings import Settings
from photoarchive.storage import original_key, rendition_key
from tests.support import PHOTOS, FrozenClock, make_settings, services
from tests.test_neighbours import person, photo_of, scenario
from tests.test_write_rules import ControlledStore, Pause, WatchedDatabase
from tests.test_write_rules import scenario as write_scenario

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

SIDEWAYS = PHOTOS / "orientation" / "landscape_6.jpg"  # 450x600 stored, EXIF 6: 600x450 upright
RED = (255, 0, 0)


def marked_jpeg() -> bytes:
    """400x300, red in its top left corner and blue elsewhere: where the red ends up says the
    turn."""
    image = Image.new("RGB", (400, 300), (0, 0, 255))
    image.paste(RED, (0, 0, 100, 75))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


async def added(svc: Services, owner: User, data: bytes) -> int:
    svc.settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    path = svc.settings.tmp_dir / f"upload-{owner.username}"
    path.write_bytes(data)
    incoming = IncomingFile(path, "photo.jpg", hashlib.sha256(data).hexdigest(), len(data))
    photo, _ = await ingest.add(svc, owner, incoming, "")
    return photo.id


async def stored(svc: Services, key: str) -> bytes | None:
    return await svc.store.get_bytes(key) if await svc.store.stat(key) is not None else None


def corner_is_red(data: bytes, corner: tuple[float, float]) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        x = round(corner[0] * (image.width - 1))
        y = round(corner[1] * (image.height - 1))
        red, green, blue = image.convert("RGB").getpixel((x, y))  # type: ignore[misc]
    return red > 200 and green < 60 and blue < 60


def test_rotation_values_and_their_arithmetic() -> None:
    for good in (0, 90, 180, 270):
        assert rotations.check_rotation(good) == good
    for bad in (45, -90, 360, 450, True, "90", None, 90.0):
        with pytest.raises(Invalid) as refused:
            rotations.check_rotation(bad)
        assert refused.value.field == "rotation"
    assert rotations.turned_by(0, 1) == 90
    assert rotations.turned_by(0, -1) == 270
    assert rotations.turned_by(270, 1) == 0
    assert rotations.turned_by(90, 2) == 270


def test_a_turn_is_made_from_the_untouched_original_and_leaves_no_old_renditions(
    tmp_path: Path,
) -> None:
    data = marked_jpeg()
    digest = hashlib.sha256(data).hexdigest()

    async def body(svc: Services) -> None:
        alice = await person(svc, "alice")
        photo_id = await added(svc, alice, data)
        before = await photos.get(svc, photo_id, alice)
        assert (before.width, before.height, before.rotation) == (400, 300, 0)
        untouched = await stored(svc, rendition_key(digest, "preview"))
        assert untouched is not None and corner_is_red(untouched, (0, 0))

        turned = await rotations.set_rotation(svc, alice, photo_id, 90)
        assert (turned.width, turned.height, turned.rotation) == (300, 400, 90)
        assert turned.thumbnail_size == (300, 400)
        assert turned.url("preview") != before.url("preview")
        original = await stored(svc, original_key(digest))
        assert original is not None and hashlib.sha256(original).hexdigest() == digest
        preview = await stored(svc, rendition_key(digest, "preview", 90))
        assert preview is not None
        assert images.describe(preview)[1] == (300, 400)
        assert corner_is_red(preview, (1, 0))  # clockwise: top left goes top right
        assert turned.placeholder != before.placeholder
        # No photo is shown unturned any more: those renditions are gone.
        assert await stored(svc, rendition_key(digest, "preview")) is None
        assert await stored(svc, rendition_key(digest, "thumbnail")) is None

        upside_down = await rotations.set_rotation(svc, alice, photo_id, 180)
        assert (upside_down.width, upside_down.height) == (400, 300)
        preview = await stored(svc, rendition_key(digest, "preview", 180))
        assert preview is not None and corner_is_red(preview, (1, 1))
        assert await stored(svc, rendition_key(digest, "preview", 90)) is None

        back = await rotations.set_rotation(svc, alice, photo_id, 0)
        assert (back.width, back.height, back.rotation) == (400, 300, 0)
        assert back.url("preview") == before.url("preview")  # the same picture as before
        assert await stored(svc, rendition_key(digest, "preview")) is not None
        assert await stored(svc, rendition_key(digest, "preview", 180)) is None
        assert await stored(svc, original_key(digest)) == original

    scenario(tmp_path, body)


def test_a_turn_goes_on_top_of_the_exif_orientation(tmp_path: Path) -> None:
    data = SIDEWAYS.read_bytes()
    digest = hashlib.sha256(data).hexdigest()

    async def body(svc: Services) -> None:
        alice = await person(svc, "alice")
        photo_id = await added(svc, alice, data)
        assert (await photos.get(svc, photo_id, alice)).width == 600  # stood up by EXIF
        turned = await rotations.set_rotation(svc, alice, photo_id, 270)
        assert (turned.width, turned.height) == (450, 600)
        preview = await stored(svc, rendition_key(digest, "preview", 270))
        assert preview is not None and images.describe(preview)[1] == (450, 600)

    scenario(tmp_path, body)


async def delete_for_good(svc: Services, actor: User, photo_id: int) -> None:
    """Into the trash, and out of it for good (its files go with the last photo using them)."""
    await trash.move(svc, actor, photo_id)
    await trash.purge(svc, actor, photo_id)


def test_photos_of_the_same_bytes_keep_the_renditions_they_are_shown_at(tmp_path: Path) -> None:
    data = marked_jpeg()
    digest = hashlib.sha256(data).hexdigest()

    async def body(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        alices, bobs = await added(svc, alice, data), await added(svc, bob, data)
        await rotations.set_rotation(svc, alice, alices, 90)
        # Bob's copy is still shown unturned: its renditions stay.
        assert await stored(svc, rendition_key(digest, "thumbnail")) is not None
        assert await stored(svc, rendition_key(digest, "thumbnail", 90)) is not None
        await rotations.set_rotation(svc, bob, bobs, 90)
        assert await stored(svc, rendition_key(digest, "thumbnail")) is None
        await rotations.set_rotation(svc, alice, alices, 0)
        assert await stored(svc, rendition_key(digest, "thumbnail", 90)) is not None  # bob's
        await delete_for_good(svc, bob, bobs)
        assert await stored(svc, rendition_key(digest, "thumbnail", 90)) is None
        assert await stored(svc, rendition_key(digest, "thumbnail")) is not None
        await delete_for_good(svc, alice, alices)
        assert [info.key async for info in svc.store.list()] == []

    scenario(tmp_path, body)


def test_only_the_owner_turns_a_photo(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        photo_id = await added(svc, alice, marked_jpeg())
        with pytest.raises(Forbidden):
            await rotations.set_rotation(svc, bob, photo_id, 90)
        await visibility.set_visibility(svc, alice, photo_id, "private")
        with pytest.raises(NotFound):
            await rotations.set_rotation(svc, bob, photo_id, 90)
        with pytest.raises(Invalid):  # a value is refused before anything is looked up
            await rotations.set_rotation(svc, bob, photo_id, 45)
        assert (await photos.get(svc, photo_id, alice)).rotation == 0

    scenario(tmp_path, body)


def test_a_date_taken_is_checked_strictly(frozen_clock: FrozenClock) -> None:
    check = taken_dates.check_taken_at
    assert check("2024-07-01T14:03:00") == "2024-07-01T14:03:00"
    assert check("2024-07-01T14:03") == "2024-07-01T14:03:00"  # as a date-time field sends it
    assert check("2024-07-01T14:03:00+02:00") == "2024-07-01T14:03:00+02:00"
    assert check("2024-07-01T14:03:00Z") == "2024-07-01T14:03:00+00:00"
    assert check("1800-01-01T00:00:00") == "1800-01-01T00:00:00"
    assert check(None) is None
    for nonsense in (
        "",
        "yesterday",
        "2024-07-01",
        "2024-07-01 14:03:00",
        "2024-07-01T14:03:00.250",
        "2024-13-01T10:00:00",
        "2024-02-30T10:00:00",
        "2024-07-01T25:00:00",
        "2024-07-01T14:03:00+15:00",
        "2024-07-01T14:03:00+0200",
        "1799-12-31T23:59:59",
        "9999-01-01T00:00:00",
        20240701,
        ["2024-07-01T14:03:00"],
    ):
        with pytest.raises(Invalid) as refused:
            check(nonsense)
        assert refused.value.field == "taken_at", nonsense
    # A wall-clock time may be a zone's "now" ahead of UTC; a later one is refused.
    frozen_clock.moment = 1_780_000_000.0  # 2026-05-28T20:26:40Z
    assert check("2026-05-29T10:26:40") == "2026-05-29T10:26:40"
    with pytest.raises(Invalid, match="future"):
        check("2026-05-30T21:00:00")
    with pytest.raises(Invalid, match="future"):
        check("2026-05-30T21:00:00+00:00")


def test_shift_date_moves_it_keeping_its_offset_or_refuses(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        wall, instant, undated = [await photo_of(svc, alice) for _ in range(3)]
        await taken_dates.set_taken_at(svc, alice, wall, "2024-12-31T23:30:00")
        await taken_dates.set_taken_at(svc, alice, instant, "2024-07-01T14:03:00+02:00")
        shifted = await taken_dates.shift_date(svc, alice, wall, 3600)
        assert shifted.taken_at == "2025-01-01T00:30:00"
        shifted = await taken_dates.shift_date(svc, alice, instant, -86400 - 60)
        assert shifted.taken_at == "2024-06-30T14:02:00+02:00"
        with pytest.raises(Invalid, match="no date taken") as refused:
            await taken_dates.shift_date(svc, alice, undated, 60)
        assert refused.value.field == "taken_at"
        assert (await photos.get(svc, undated, alice)).taken_at is None
        for too_far in (taken_dates.SHIFT_MAX_SECONDS + 1, -taken_dates.SHIFT_MAX_SECONDS - 1):
            with pytest.raises(Invalid) as refused:
                await taken_dates.shift_date(svc, alice, wall, too_far)
            assert refused.value.field == "seconds"
        with pytest.raises(Invalid, match="future"):  # within the bound, but past today
            await taken_dates.shift_date(svc, alice, wall, taken_dates.SHIFT_MAX_SECONDS)
        await taken_dates.set_taken_at(svc, alice, undated, "1850-01-01T00:00:00")
        with pytest.raises(Invalid, match="before 1800"):
            await taken_dates.shift_date(svc, alice, undated, -51 * 365 * 86400)
        assert (await photos.get(svc, wall, alice)).taken_at == "2025-01-01T00:30:00"
        with pytest.raises(Forbidden):
            await taken_dates.shift_date(svc, bob, wall, 60)
        with pytest.raises(Forbidden):
            await taken_dates.set_taken_at(svc, bob, wall, None)
        await visibility.set_visibility(svc, alice, wall, "private")
        with pytest.raises(NotFound):
            await taken_dates.shift_date(svc, bob, wall, 60)
        cleared = await taken_dates.set_taken_at(svc, alice, wall, None)
        assert cleared.taken_at is None and cleared.date_label == "Uploaded"

    scenario(tmp_path, body)


def test_a_photo_deleted_while_it_is_turned_leaves_no_files(settings: Settings) -> None:
    """The turn stops inside the digest's lock with its renditions made; the owner deletes the
    photo meanwhile (its row goes at once, its files wait for the lock); the turn then finds
    no photo, and the files it stored go with the rest."""
    data = marked_jpeg()
    digest = hashlib.sha256(data).hexdigest()

    async def body(svc: Services) -> None:
        assert isinstance(svc.store, ControlledStore) and isinstance(svc.db, WatchedDatabase)
        alice = await person(svc, "alice")
        photo_id = await added(svc, alice, data)
        svc.db.done_with(blobs.lock_name(digest))  # the upload's turn at the lock is over
        stop = svc.store.after_stat[rendition_key(digest, "preview", 90)] = Pause()
        turning = asyncio.create_task(rotations.set_rotation(svc, alice, photo_id, 90))
        await stop.reached.wait()
        deleting = asyncio.create_task(trash.move(svc, alice, photo_id))
        await svc.db.asked_again.wait()  # the deletion committed, and waits for the lock
        stop.go.set()
        with pytest.raises(NotFound):
            await turning
        await deleting
        assert [info.key async for info in svc.store.list()] == []

    write_scenario(replace(settings, trash_days=0), body)  # deleted for good at once


def test_turns_asked_at_once_end_with_the_renditions_of_the_last(tmp_path: Path) -> None:
    data = marked_jpeg()
    digest = hashlib.sha256(data).hexdigest()

    async def body(svc: Services) -> None:
        alice = await person(svc, "alice")
        photo_id = await added(svc, alice, data)
        await asyncio.gather(
            *(rotations.set_rotation(svc, alice, photo_id, turn) for turn in (90, 180, 270))
        )
        final = (await photos.get(svc, photo_id, alice)).rotation
        assert final in (90, 180, 270)
        for turn in (0, 90, 180, 270):
            present = await stored(svc, rendition_key(digest, "thumbnail", turn)) is not None
            assert present == (turn == final), turn

    scenario(tmp_path, body)


def test_quarter_turns_asked_at_once_each_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two quick clicks on Rotate right: turned twice. Asked of one instance, the second waits
    for the first; asked of two at once (two processes on one archive), both read the photo
    as it was, and the second to reach the digest's lock finds it turned and turns on."""
    data = marked_jpeg()
    digest = hashlib.sha256(data).hexdigest()
    settings = make_settings(tmp_path / "data")
    decoded: list[int] = []  # the turns the original was decoded for
    turned = images.turned

    def counted(path: Path, max_pixels: int, rotation: int) -> images.Turned:
        decoded.append(rotation)
        return turned(path, max_pixels, rotation)

    monkeypatch.setattr(images, "turned", counted)

    async def body() -> None:
        async with services(settings) as svc, services(settings) as other:
            alice = await person(svc, "alice")
            photo_id = await added(svc, alice, data)
            clicks = [rotations.turn(svc, alice, photo_id, 1) for _ in range(2)]
            assert sorted(p.rotation for p in await asyncio.gather(*clicks)) == [90, 180]
            assert (await photos.get(svc, photo_id, alice)).rotation == 180
            assert decoded == [90, 180]  # the second waited for the first: no decode wasted
            clicks = [rotations.turn(instance, alice, photo_id, 1) for instance in (svc, other)]
            both = await asyncio.gather(*clicks)
            assert (await photos.get(svc, photo_id, alice)).rotation == 0  # round once
            assert sorted(p.rotation for p in both) in ([0, 270], [0, 0])
            untouched = await stored(svc, rendition_key(digest, "thumbnail", 0))
            assert untouched is not None and corner_is_red(untouched, (0, 0))
            for turn in (90, 180, 270):
                assert await stored(svc, rendition_key(digest, "thumbnail", turn)) is None, turn
            # Left from there; a turn of nothing changes nothing; not Bob's to turn.
            turned = await rotations.turn(svc, alice, photo_id, -1)
            assert turned.rotation == 270
            thumbnail = await stored(svc, rendition_key(digest, "thumbnail", 270))
            assert thumbnail is not None and corner_is_red(thumbnail, (0, 1))
            assert (await rotations.turn(svc, alice, photo_id, 4)).rotation == 270
            bob = await person(svc, "bob")
            with pytest.raises(Forbidden):  # he sees it, as the family does, but it is hers
                await rotations.turn(svc, bob, photo_id, 1)

    asyncio.run(asyncio.wait_for(body(), 120))


class DeletionPausingDatabase:
    """The real database, stopping a photo's deletion just before its row goes (after the
    deleter read the photo), while the test's `before_delete` is set."""

    before_delete: Pause | None = None

    async def execute(self, sql: str, params: Any = ()) -> int:
        if self.before_delete is not None and sql.startswith("DELETE FROM photos WHERE"):
            pause, self.before_delete = self.before_delete, None
            await pause.stop()
        return await super().execute(sql, params)  # type: ignore[misc]


class DeletionPausingSQLite(DeletionPausingDatabase, Database):
    pass


class DeletionPausingPostgres(DeletionPausingDatabase, PostgresDatabase):
    pass


def test_a_photo_turned_after_its_deleter_read_it_leaves_no_renditions(tmp_path: Path) -> None:
    data = marked_jpeg()

    async def body(svc: Services) -> None:
        assert isinstance(svc.db, DeletionPausingDatabase)
        alice = await person(svc, "alice")
        photo_id = await added(svc, alice, data)
        stop = svc.db.before_delete = Pause()
        deleting = asyncio.create_task(trash.move(svc, alice, photo_id))
        await stop.reached.wait()  # it read the photo unturned
        await rotations.set_rotation(svc, alice, photo_id, 90)
        stop.go.set()
        await deleting
        assert [info.key async for info in svc.store.list()] == []

    settings = make_settings(tmp_path / "data", trash_days=0)

    async def run() -> None:
        url = settings.database_url
        db = DeletionPausingPostgres(url) if url else DeletionPausingSQLite(settings.database_path)
        async with services(settings, db=db) as svc:
            await asyncio.wait_for(body(svc), 60)

    asyncio.run(run())


def test_a_date_cleared_after_the_archive_s_zone_changed_goes_by_the_zone_now(
    tmp_path: Path,
) -> None:
    """An undated photo goes by its upload read on the archive's clock; a change of zone reads
    that again at start for undated photos alone. A photo dated then, its date cleared later,
    fell back to the reading of the old zone (a photo of 1 August in July's list for good)."""

    async def body(svc: Services) -> None:
        ann = await person(svc, "ann")
        photo_id = await photo_of(svc, ann)  # uploaded 2024-05-01T10:00:00Z
        await svc.db.execute(
            "UPDATE photos SET taken_at = '2024-04-30T09:00:00',"
            " created_local = '2024-05-01T03:00:00.000000' WHERE id = ?",  # read in another zone
            (photo_id,),
        )
        await taken_dates.set_taken_at(svc, ann, photo_id, None)
        local = await svc.db.fetchval("SELECT created_local FROM photos WHERE id = ?", (photo_id,))
        assert local == "2024-05-01T12:00:00.000000"  # Paris, summer time

    scenario(tmp_path, body, timezone="Europe/Paris")
