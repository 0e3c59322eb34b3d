"""Zip entries' times as a family reads them (library/zips.py): each entry's DOS date and time
is the wall clock of the archive's zone (PHOTOARCHIVE_TIMEZONE) at the moment it stands for (a
date taken without an offset as the camera wrote it; one with an offset, and an upload time,
read in the archive's zone), and its extended timestamp (extra field 0x5455) is that moment in
UTC. For a chosen photos' zip, an album's and a share link's, far east and west of UTC, on both
engines; read back with zipfile (and with unzip, where this machine has it). Also where albums
and zips read a day: an album's date-taken order, and a download's file name."""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from PIL import Image

from tests.support import (
    PHOTOS,
    FrozenClock,
    LiveServer,
    api_login,
    archive_of,
    browser,
    form_post,
    upload,
    upload_bytes,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

EAST, WEST = "Pacific/Kiritimati", "America/Los_Angeles"  # UTC+14, and UTC-7 in summer
PERSON = "Pacific/Pago_Pago"  # a member's own zone, UTC-11
CANON = PHOTOS / "cameras" / "Canon_40D.jpg"  # DateTimeOriginal 2008:05:30 15:56:01, no offset
CAMERA_CLOCK = datetime(2008, 5, 30, 15, 56, 1)
WITH_OFFSET = "2024-07-01T14:03:00+02:00"  # a date taken set with its offset: an instant
# Uploaded just after midnight on the archive's wall clock: in Kiritimati still 31 July in UTC.
UPLOADED = datetime(2024, 8, 1, 0, 30, 5)
NOTE = "NOT INCLUDED.txt"
LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, ..., name length, extra length


def instant(wall: datetime, zone: str) -> float:
    return wall.replace(tzinfo=ZoneInfo(zone)).timestamp()


def wall(moment: float, zone: str) -> datetime:
    return datetime.fromtimestamp(moment, UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def dos(moment: datetime) -> tuple[int, int, int, int, int, int]:
    """What a zip entry's DOS time of `moment` reads back as (seconds in two-second steps)."""
    return (
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second // 2 * 2,
    )


def extended_times(extra: bytes) -> list[int]:
    """The modification times of every extended timestamp field (0x5455) in `extra`."""
    found, at = [], 0
    while at + 4 <= len(extra):
        kind, size = struct.unpack_from("<HH", extra, at)
        body = extra[at + 4 : at + 4 + size]
        if kind == 0x5455:
            assert size == 5 and body[0] == 1, body  # flags: a modification time, and only that
            found.append(struct.unpack_from("<l", body, 1)[0])
        at += 4 + size
    assert at == len(extra), extra  # every field whole
    return found


def entry_times(data: bytes) -> dict[str, tuple[tuple[int, ...], int]]:
    """Each entry's DOS time and extended timestamp, as the central directory and the local
    header (which must agree) have it."""
    times = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        for info in archive.infolist():
            (central,) = extended_times(info.extra)
            signature, name_size, extra_size = LOCAL_HEADER.unpack_from(data, info.header_offset)
            assert signature == b"PK\x03\x04"
            start = info.header_offset + LOCAL_HEADER.size + name_size
            assert extended_times(data[start : start + extra_size]) == [central]
            times[info.filename] = (info.date_time, central)
    return times


@dataclass
class Family:
    server: LiveServer
    clock: FrozenClock
    zone: str
    owner: httpx.Client
    ids: dict[str, int]  # by the name each photo goes out under


def jpeg(shade: int) -> bytes:
    """A small JPEG without any date in it (placed by its upload)."""
    out = io.BytesIO()
    Image.new("RGB", (24, 24), (shade, 90, 160)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture(params=[EAST, WEST])
def family(
    request: pytest.FixtureRequest, tmp_path: Path, frozen_clock: FrozenClock
) -> Iterator[Family]:
    zone = request.param
    frozen_clock.moment = instant(UPLOADED, zone)
    with archive_of(tmp_path / "data", ("owner",), timezone=zone) as server:
        owner = api_login(server, "owner")
        ids = {"Canon_40D.jpg": upload(owner, CANON).json()["items"][0]["id"]}
        for shade, name in enumerate(("undated.jpg", "offset.jpg")):
            made = upload_bytes(owner, name, jpeg(shade * 60))
            assert made.status_code == 201, made.text
            ids[name] = made.json()["items"][0]["id"]
        dated = owner.patch(f"/api/v1/photos/{ids['offset.jpg']}", json={"taken_at": WITH_OFFSET})
        assert dated.status_code == 200, dated.text
        frozen_clock.advance(3600)  # the zips are made an hour later
        yield Family(server, frozen_clock, zone, owner, ids)


def expected(family: Family) -> dict[str, tuple[tuple[int, ...], int]]:
    upload_moment = instant(UPLOADED, family.zone)
    offset_moment = datetime.fromisoformat(WITH_OFFSET).timestamp()
    return {
        # The camera's wall clock, as it is; its moment is that clock read in the archive's zone.
        "Canon_40D.jpg": (dos(CAMERA_CLOCK), int(instant(CAMERA_CLOCK, family.zone))),
        "undated.jpg": (dos(UPLOADED), int(upload_moment)),
        "offset.jpg": (dos(wall(offset_moment, family.zone)), int(offset_moment)),
    }


def test_a_chosen_photos_zip_dates_its_entries_on_the_archive_clock(
    family: Family, tmp_path: Path
) -> None:
    unseen = 10**9  # a photo that is not there: only counted, in the zip's note
    answer = family.owner.post(
        "/api/v1/downloads", json={"photo_ids": [*family.ids.values(), unseen]}
    )
    assert answer.status_code == 200, answer.text
    times = entry_times(answer.content)
    now = family.clock.moment
    assert times == {**expected(family), NOTE: (dos(wall(now, family.zone)), int(now))}
    # The file is named by the day it is for its person: the archive's while they choose no
    # zone, then the one they chose.
    day = wall(now, family.zone).date().isoformat()
    assert f'filename="photoarchive-{day}.zip"' in answer.headers["content-disposition"]
    check_with_unzip(answer.content, family, tmp_path / "chosen.zip")
    saved = form_post(browser(family.server, "owner"), "/settings/time-zone", {"time_zone": PERSON})
    assert saved.status_code in (200, 303), saved.text
    answer = family.owner.post("/api/v1/downloads", json={"photo_ids": [family.ids["undated.jpg"]]})
    assert answer.status_code == 200, answer.text
    day = wall(now, PERSON).date().isoformat()
    assert day != UPLOADED.date().isoformat()  # a day that tells the two apart
    assert f'filename="photoarchive-{day}.zip"' in answer.headers["content-disposition"]


def test_an_album_zip_dates_its_entries_on_the_archive_clock(family: Family) -> None:
    album = family.owner.post("/api/v1/albums", json={"title": "Summer"})
    assert album.status_code == 201, album.text
    album_id = album.json()["id"]
    added = family.owner.post(
        f"/api/v1/albums/{album_id}/photos", json={"photo_ids": list(family.ids.values())}
    )
    assert added.status_code == 200, added.text
    answer = family.owner.get(f"/api/v1/albums/{album_id}/download")
    assert answer.status_code == 200, answer.text
    assert entry_times(answer.content) == expected(family)


def test_a_share_links_zip_dates_its_entries_on_the_archive_clock(family: Family) -> None:
    ids = list(family.ids.values())
    shown = family.owner.post(
        "/api/v1/shares", json={"photo_ids": ids, "allow_download": True, "show_metadata": True}
    )
    assert shown.status_code == 201, shown.text
    guest = family.server.client()
    answer = guest.get(f"/s/{shown.json()['token']}/download")
    assert answer.status_code == 200, answer.text
    assert entry_times(answer.content) == expected(family)
    # A link that hides the camera's details hides when it took the photo: every entry goes
    # by its upload, on the archive's clock.
    hidden = family.owner.post("/api/v1/shares", json={"photo_ids": ids, "allow_download": True})
    assert hidden.status_code == 201, hidden.text
    answer = guest.get(f"/s/{hidden.json()['token']}/download")
    assert answer.status_code == 200, answer.text
    uploaded = (dos(UPLOADED), int(instant(UPLOADED, family.zone)))
    assert list(entry_times(answer.content).values()) == [uploaded] * len(ids)


def check_with_unzip(data: bytes, family: Family, path: Path) -> None:
    """Info-ZIP's listing, where this machine has it: read in UTC, it shows each entry's
    moment in UTC (from the extended timestamp, not the zoneless DOS time)."""
    unzip = shutil.which("unzip")
    if unzip is None:
        return  # zipfile above is the reader that counts
    path.write_bytes(data)
    listing = subprocess.run(
        [unzip, "-l", str(path)],
        capture_output=True,
        check=True,
        timeout=60,
        env={**os.environ, "TZ": "UTC"},
    ).stdout.decode()
    for name, (_, moment) in expected(family).items():
        shown = datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M")
        (line,) = [line for line in listing.splitlines() if line.endswith(f" {name}")]
        assert shown in line, listing


def test_an_albums_date_taken_order_places_an_upload_on_the_archive_clock(family: Family) -> None:
    """An undated photo uploaded at 00:30 on the archive's clock comes after one taken at 00:10
    that day, and before one taken at 00:40 (the timeline's order, not UTC's)."""
    taken = {"before.jpg": "2024-08-01T00:10:00", "after.jpg": "2024-08-01T00:40:00"}
    ids = {"undated.jpg": family.ids["undated.jpg"]}
    for shade, (name, stamp) in enumerate(taken.items()):
        made = upload_bytes(family.owner, name, jpeg(200 + shade * 20))
        assert made.status_code == 201, made.text
        ids[name] = made.json()["items"][0]["id"]
        dated = family.owner.patch(f"/api/v1/photos/{ids[name]}", json={"taken_at": stamp})
        assert dated.status_code == 200, dated.text
    album = family.owner.post("/api/v1/albums", json={"title": "Night"})
    assert album.status_code == 201, album.text
    url = f"/api/v1/albums/{album.json()['id']}"
    added = family.owner.post(f"{url}/photos", json={"photo_ids": list(ids.values())})
    assert added.status_code == 200, added.text
    for sort, names in (
        ("taken_asc", ["before.jpg", "undated.jpg", "after.jpg"]),
        ("taken_desc", ["after.jpg", "undated.jpg", "before.jpg"]),
    ):
        assert family.owner.patch(url, json={"sort": sort}).status_code == 200
        listed = family.owner.get(f"{url}/photos")
        assert listed.status_code == 200, listed.text
        assert [item["id"] for item in listed.json()["items"]] == [ids[name] for name in names]
        # One photo a page: the cursor walks the same order.
        walked, cursor = [], None
        for _ in names:
            page = family.owner.get(
                f"{url}/photos", params={"limit": 1, **({"cursor": cursor} if cursor else {})}
            )
            assert page.status_code == 200, page.text
            walked += [item["id"] for item in page.json()["items"]]
            cursor = page.json().get("next_cursor")
            if not cursor:
                break
        assert walked == [ids[name] for name in names]
        zipped = family.owner.get(f"{url}/download")
        assert zipped.status_code == 200
        with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
            assert archive.namelist() == names
