"""A share link that hides the camera's details lets none of them out of the containers beside
JPEG either: HEIC and AVIF whose XMP names the camera, the program and each edit's moment; WebP
with EXIF and XMP; IPTC's dates and program outside a JPEG (a PNG, where ExifTool writes IPTC,
and the IPTC entry of an EXIF block in a WebP, AVIF or HEIC, where ExifTool will not write it
but reads it). Each original goes out through the link alone and in its zip, read back with
ExifTool: blanked in place, the same length, the same picture. Its owner still gets the file
they gave, byte for byte."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import struct
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from photoarchive.library import originals
from photoarchive.media import images  # noqa: F401  # registers the HEIF opener with Pillow
from tests.support import PHOTOS, LiveServer, api_login, archive_of, uploaded
from tests.test_redaction_xmp import _exiftool

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

WHEN = "2019:05:06"
PROGRAM = "Pixel Camera"
MOMENT = f"{WHEN} 10:11:12"
# What XMP keeps of the camera, the program, the moments, and the history of edits.
XMP_CAMERA = [
    "-XMP-tiff:Make=Acme",
    "-XMP-tiff:Model=Acme One",
    "-XMP-tiff:Software=AcmeSoft 2",
    "-XMP-aux:SerialNumber=SN-98",
    "-XMP-aux:Lens=Acme 35mm",
    "-XMP-exifEX:LensModel=Acme 35mm",
    "-XMP-exifEX:SerialNumber=SN-99",
    f"-XMP-exif:DateTimeOriginal={MOMENT}",
    f"-XMP-xmp:CreatorTool={PROGRAM}",
    f"-XMP-xmp:CreateDate={MOMENT}",
    f"-XMP-xmp:ModifyDate={MOMENT}",
    f"-XMP-photoshop:DateCreated={WHEN}",
    f"-XMP-dc:Date={MOMENT}",
    f"-XMP-photoshop:History=Edited in {PROGRAM}",
    "-XMP-xmpMM:HistoryAction=saved",
    f"-XMP-xmpMM:HistoryWhen={MOMENT}",
    f"-XMP-xmpMM:HistorySoftwareAgent={PROGRAM}",
    # The same details under other vendors' names: Microsoft's, Adobe's video schema, PDF's.
    "-XMP-microsoft:CameraSerialNumber=SN-96",
    "-XMP-microsoft:LensModel=Acme 35mm",
    "-XMP-microsoft:FlashModel=Acme Flash",
    "-XMP-xmpDM:CameraModel=Acme One",
    f"-XMP-pdf:Producer={PROGRAM}",
    f"-XMP-x:XMPToolkit={PROGRAM} 9",  # the program that wrote the packet
    "-XMP-dc:Description=At the lake",
]
EXIF_CAMERA = [
    "-EXIF:Make=Acme",
    "-EXIF:Model=Acme One",
    "-EXIF:Software=AcmeSoft 2",
    "-EXIF:SerialNumber=SN-97",
    "-EXIF:LensModel=Acme 35mm",
    f"-EXIF:DateTimeOriginal={MOMENT}",
    f"-EXIF:CreateDate={MOMENT}",
    f"-EXIF:ModifyDate={MOMENT}",
]
IPTC_WHEN_AND_HOW = [
    f"-IPTC:DateCreated={WHEN}",
    "-IPTC:TimeCreated=10:11:12",
    f"-IPTC:DigitalCreationDate={WHEN}",
    f"-IPTC:OriginatingProgram={PROGRAM}",
    "-IPTC:ProgramVersion=7.1",
]
# Tag names (as ExifTool names them) that say something of the camera, the program, or when.
CAMERA_TAG = re.compile(
    r"make|model|lens|serial|firmware|software|creatortool|history|program|date|timecreated",
    re.IGNORECASE,
)
# Groups about the file or the colour profile (its own date and maker), not the photo.
NOT_THE_PHOTOS = re.compile(r"^(SourceFile|System|File|ExifTool|ICC)")
SAYS_SOMETHING = re.compile(r"[0-9A-Za-z]")


def tags(path: Path) -> dict[str, object]:
    found: dict[str, object] = json.loads(
        subprocess.run(
            [_exiftool(), "-j", "-G1", "-a", "-u", "-ee", str(path)],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
    )[0]
    return found


def camera_tags(path: Path) -> dict[str, object]:
    """Every tag with a value that names the camera, the program or a moment; and any tag at
    all whose value holds the moment or the program written into the test's files. A value of
    no letter or digit says nothing (ExifTool shows a blanked IPTC time as colons)."""
    return {
        key: value
        for key, value in tags(path).items()
        if not NOT_THE_PHOTOS.match(key)
        and SAYS_SOMETHING.search(str(value))
        and (
            CAMERA_TAG.search(key.split(":")[-1])
            or WHEN in str(value)
            or PROGRAM in str(value)
            or "Acme" in str(value)
        )
    }


def written(source: Path, to: Path, *arguments: str) -> Path:
    shutil.copyfile(source, to)
    to.chmod(0o644)
    subprocess.run(
        [_exiftool(), "-q", "-overwrite_original", *arguments, str(to)], check=True, timeout=120
    )
    return to


def picture() -> Image.Image:
    """Small, and not one colour: a pixel moved or changed shows."""
    return Image.merge(
        "RGB",
        [Image.linear_gradient("L").resize((48, 32)).rotate(turn) for turn in (0, 90, 180)],
    )


def pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return image.tobytes()


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[LiveServer]:
    with archive_of(tmp_path / "data", ("owner",)) as server:
        yield server


def sent_through_a_link(archive: LiveServer, sources: list[Path]) -> list[tuple[Path, bytes]]:
    """Each source as a link that hides the camera's details sends it: alone, then in the
    link's zip. The owner's own download of each is the file they gave."""
    owner = api_login(archive, "owner")
    ids = {source: uploaded(owner, source) for source in sources}
    made = owner.post(
        "/api/v1/shares",
        json={"photo_ids": list(ids.values()), "allow_download": True, "show_metadata": False},
    )
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    guest = archive.client()
    sent = []
    for source, photo_id in ids.items():
        alone = guest.get(f"/s/{token}/media/{photo_id}/original")
        assert alone.status_code == 200, alone.text
        sent.append((source, alone.content))
        own = owner.get(f"/media/{photo_id}/original")
        assert own.status_code == 200
        assert hashlib.sha256(own.content).digest() == hashlib.sha256(source.read_bytes()).digest()
    whole = guest.get(f"/s/{token}/download")
    assert whole.status_code == 200
    with zipfile.ZipFile(io.BytesIO(whole.content)) as zipped:
        assert zipped.testzip() is None
        entries = zipped.infolist()
        assert len(entries) == len(ids)
        sent.extend(
            (source, zipped.read(entry)) for source, entry in zip(ids, entries, strict=True)
        )
    return sent


def assert_blanked(sent: list[tuple[Path, bytes]], folder: Path) -> list[Path]:
    """Nothing of the camera left in what was sent, as ExifTool reads it; the same length and
    the same picture as the source. The files sent, to look at further."""
    outs = []
    for number, (source, data) in enumerate(sent):
        out = folder / f"sent-{number}-{source.name}"
        out.write_bytes(data)
        assert camera_tags(out) == {}, source
        assert len(data) == source.stat().st_size, source
        assert pixels(data) == pixels(source.read_bytes()), source
        outs.append(out)
    return outs


def test_heic_and_avif_xmp_with_camera_and_history(archive: LiveServer, tmp_path: Path) -> None:
    avif = tmp_path / "made.avif"
    picture().save(avif, format="AVIF")
    sources = [
        written(PHOTOS / "heic" / "samplefilehub.heif", tmp_path / "camera.heic", *XMP_CAMERA),
        written(avif, tmp_path / "camera.avif", *XMP_CAMERA),
    ]
    for source in sources:
        found = camera_tags(source)  # what there is to hide
        for name in ("Make", "Model", "SerialNumber", "LensModel", "DateTimeOriginal"):
            assert any(key.endswith(f":{name}") for key in found), (source, name)
        for name in ("CreatorTool", "CreateDate", "HistoryWhen", "HistorySoftwareAgent"):
            assert f"XMP-xmpMM:{name}" in found or f"XMP-xmp:{name}" in found, (source, name)
        assert {"XMP-dc:Date", "XMP-photoshop:History"} <= found.keys(), source
        vendors = {"XMP-microsoft:CameraSerialNumber", "XMP-xmpDM:CameraModel", "XMP-pdf:Producer"}
        assert vendors | {"XMP-x:XMPToolkit"} <= found.keys(), source
    for out in assert_blanked(sent_through_a_link(archive, sources), tmp_path):
        # What is not the camera's stays: the owner's own description of the photo.
        assert tags(out).get("XMP-dc:Description") == "At the lake", out


def test_webp_with_exif_and_xmp(archive: LiveServer, tmp_path: Path) -> None:
    made = tmp_path / "made.webp"
    picture().save(made, format="WEBP", quality=90)
    source = written(made, tmp_path / "camera.webp", *EXIF_CAMERA, *XMP_CAMERA)
    found = camera_tags(source)
    assert {"IFD0:Make", "ExifIFD:SerialNumber", "ExifIFD:LensModel"} <= found.keys(), found
    assert {"XMP-tiff:Model", "XMP-xmpMM:HistoryWhen", "XMP-xmp:CreatorTool"} <= found.keys()
    assert_blanked(sent_through_a_link(archive, [source]), tmp_path)


def iptc_datasets() -> bytes:
    """IIM record 2: the dates, times and program that the link hides, and a caption it keeps."""
    values = {
        0: b"\x00\x04",
        55: WHEN.replace(":", "").encode(),
        60: b"101112+0000",
        62: WHEN.replace(":", "").encode(),
        65: PROGRAM.encode(),
        70: b"7.1",
        120: b"At the lake",
    }
    return b"".join(
        b"\x1c\x02" + bytes([number]) + struct.pack(">H", len(value)) + value
        for number, value in values.items()
    )


def test_iptc_dates_and_program_outside_jpeg(archive: LiveServer, tmp_path: Path) -> None:
    made = tmp_path / "made.png"
    picture().save(made, format="PNG")
    # ExifTool writes IPTC into a PNG (a "Raw profile type iptc" text chunk); it will not write
    # it into WebP, HEIC, AVIF or GIF, but it reads the IPTC entry (0x83BB) of an EXIF block in
    # any of them: Pillow writes that one.
    sources = [written(made, tmp_path / "iptc.png", *IPTC_WHEN_AND_HOW)]
    exif = Image.Exif()
    exif[0x0112] = 1
    exif[0x83BB] = iptc_datasets()
    for kind, ending in (("WEBP", "webp"), ("AVIF", "avif"), ("HEIF", "heic")):
        source = tmp_path / f"iptc-in-exif.{ending}"
        picture().save(source, format=kind, exif=exif)
        sources.append(source)
    for source in sources:
        found = camera_tags(source)
        names = ("DateCreated", "TimeCreated", "DigitalCreationDate", "OriginatingProgram")
        for name in (*names, "ProgramVersion"):
            assert f"IPTC:{name}" in found, (source, name, found)
    outs = assert_blanked(sent_through_a_link(archive, sources), tmp_path)
    for out in outs:
        if "iptc-in-exif" in out.name:  # only the values that say when or with what go
            assert tags(out).get("IPTC:Caption-Abstract") == "At the lake", out


def test_a_head_of_a_link_s_original_reads_none_of_the_file(
    archive: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The camera's details are found by reading the whole original: only for a body that is
    sent, not for a HEAD, which anyone holding the link could repeat at no cost of theirs."""
    owner = api_login(archive, "owner")
    photo = uploaded(owner, sorted((PHOTOS / "cameras").glob("*.jpg"))[0])
    made = owner.post(
        "/api/v1/shares",
        json={"photo_ids": [photo], "allow_download": True, "show_metadata": False},
    )
    token = made.json()["token"]
    reads: list[int] = []
    real = originals.holder_patches

    async def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(1)
        return await real(*args, **kwargs)

    monkeypatch.setattr(originals, "holder_patches", counted)
    guest = archive.client()
    url = f"/s/{token}/media/{photo}/original"
    head = guest.head(url)
    assert head.status_code == 200 and int(head.headers["content-length"]) > 0
    assert reads == []
    body = guest.get(url)
    assert body.status_code == 200 and len(body.content) == int(head.headers["content-length"])
    assert reads == [1]
