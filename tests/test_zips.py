"""Zip downloads (photoarchive/library/zips.py): streamed, stored, ZIP64 where needed, unique
names, and originals as the viewer may have them. Read back with zipfile and ExifTool."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import zipfile
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from photoarchive.accounts import users
from photoarchive.library import photos, zips
from tests.support import PHOTOS, api_login, live_server, make_settings, services, sign_up, upload
from tests.test_redaction_xmp import _exiftool

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

WHEN = datetime(2019, 7, 14, 16, 30, 2)


def chunked(data: bytes, size: int = 7) -> zips.Member:
    async def chunks() -> AsyncIterator[bytes]:
        for at in range(0, len(data), size):
            yield data[at : at + size]

    return zips.Member("x", WHEN, len(data), chunks)


async def collect(members: list[zips.Member]) -> list[bytes]:
    return [chunk async for chunk in zips.stream(members)]


def test_a_zip_streams_stored_entries_that_read_back_exactly() -> None:
    files = {"a.jpg": b"\xff\xd8" + bytes(range(256)) * 40, "b.png": b"", "c.heic": b"c" * 999}
    members = [
        zips.Member(name, WHEN, len(data), chunked(data).chunks) for name, data in files.items()
    ]
    chunks = asyncio.run(collect(members))
    assert len(chunks) > len(files)  # bytes left as they were read, not at the end
    with zipfile.ZipFile(io.BytesIO(b"".join(chunks))) as archive:
        assert archive.testzip() is None  # every CRC checks
        assert archive.namelist() == list(files)
        for info in archive.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            assert info.date_time == (2019, 7, 14, 16, 30, 2)
            assert archive.read(info) == files[info.filename]


def test_a_file_over_4_gib_is_written_as_zip64() -> None:
    """Declared past the 32-bit limit, the entry carries ZIP64 sizes (its bytes here are few:
    the descriptor after them gives the real size, as it would for a 5 GiB video)."""
    member = chunked(b"tiny")
    big = zips.Member("big.mov", WHEN, 5 * 1024**3, member.chunks)
    data = b"".join(asyncio.run(collect([big])))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("big.mov") == b"tiny"
    assert b"\x01\x00" in data  # the ZIP64 extra field's id


def test_names_are_safe_and_each_used_once() -> None:
    names = zips.unique_names(
        ["IMG_1.jpg", "img_1.JPG", "IMG_1.jpg", "../../etc/passwd", "a\x00b.png", "", ". ."]
    )
    assert names[:3] == ["IMG_1.jpg", "img_1 (2).JPG", "IMG_1 (3).jpg"]
    assert all("/" not in name and "\\" not in name and "\x00" not in name for name in names)
    assert len({name.lower() for name in names}) == len(names)
    assert zips.LEFT_OUT not in zips.unique_names([zips.LEFT_OUT])
    # No mark that turns text around: the name shows the ending it really has.
    (turned,) = zips.unique_names(["cat\u202egpj.exe.jpg"])
    assert turned == "cat_gpj.exe.jpg"
    for mark in "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
        assert mark not in zips.unique_names([f"a{mark}b.jpg"])[0]


def test_originals_go_out_as_the_viewer_may_have_them(tmp_path: Path) -> None:
    """The owner's copy is byte for byte; anyone else's has the location blanked, as ExifTool
    reads it."""
    exiftool = _exiftool()
    settings = make_settings(tmp_path / "data")
    source = PHOTOS / "gps" / "DSCN0010.jpg"
    with live_server(settings) as server:
        sign_up(server, "alice")
        sign_up(server, "bob")
        photo_id = upload(api_login(server, "alice"), source).json()["items"][0]["id"]

    async def zip_for(name: str) -> bytes:
        async with services(settings) as svc:
            viewer = await users.by_username(svc.db, name)
            photo = await photos.find(svc, photo_id, viewer)
            members = zips.originals_of(svc, [photo], viewer)
            return b"".join([chunk async for chunk in zips.stream(members)])

    for name, keeps_location in (("alice", True), ("bob", False)):
        with zipfile.ZipFile(io.BytesIO(asyncio.run(zip_for(name)))) as archive:
            assert archive.namelist() == ["DSCN0010.jpg"]
            data = archive.read("DSCN0010.jpg")
        assert len(data) == source.stat().st_size
        assert (data == source.read_bytes()) is keeps_location
        extracted = tmp_path / f"{name}.jpg"
        extracted.write_bytes(data)
        tags = json.loads(
            subprocess.run(
                [exiftool, "-j", "-n", "-G1", "-a", "-ee", str(extracted)],
                capture_output=True,
                text=True,
                check=True,
                timeout=120,
            ).stdout
        )[0]
        gps = [key for key in tags if key.split(":")[-1].startswith("GPSLatitude")]
        assert bool(gps) is keeps_location, tags


def test_names_fit_a_disk_whatever_their_script_and_case() -> None:
    """Cut by characters alone, 180 of Japanese were 540 bytes, past the 255 a file name may
    take on Linux and macOS (unzip refused the entry); told apart by lower(), ΟΔΟΣ and οδοσ
    were two names, one file on a Mac's or Windows' disk."""
    long = "写真" * 120 + ".jpg"
    first, second = zips.unique_names([long, long])
    assert first.endswith(".jpg") and second.endswith(" (2).jpg")
    assert all(len(name.encode()) <= 255 for name in (first, second))
    assert first.removesuffix(".jpg").startswith("写真写真") and "\ufffd" not in first
    assert zips.unique_names(["ΟΔΟΣ.jpg", "οδοσ.jpg", "STRASSE.jpg", "straße.jpg"]) == [
        "ΟΔΟΣ.jpg",
        "οδοσ (2).jpg",
        "STRASSE.jpg",
        "straße (2).jpg",
    ]
