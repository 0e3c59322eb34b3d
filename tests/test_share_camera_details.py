"""A share link with "Show camera details" off lets nothing about the camera out, nor when the
photo was taken (the camera's clock, which the option's line on the page always showed with
the camera): not in the JSON, not on the page, not inside the originals it lets download,
alone or in its zip. Those are blanked in place (same length, the picture's own bytes as they
were), as ExifTool reads them; the archive's own original stays byte for byte."""

from __future__ import annotations

import io
import json
import re
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from photoarchive.media import images  # noqa: F401  # registers the HEIF opener with Pillow
from tests.cloud import S3Server
from tests.support import (
    PHOTOS,
    LiveServer,
    api_login,
    archive_of,
    live_server,
    make_settings,
    parse,
    sign_up,
    uploaded,
)
from tests.test_redaction_xmp import _exiftool

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

SOURCES = [
    *sorted((PHOTOS / "cameras").glob("*.jpg")),  # EXIF, maker notes, XMP tiff/exif/crs
    PHOTOS / "gps" / "DSCN0010.jpg",  # a position too
    PHOTOS / "heic" / "IMG_5195.HEIC",  # a lens in EXIF, dates and the iOS version in XMP
]
# Tag names that say something of the camera, its settings, or when it took the picture.
CAMERA_TAG = re.compile(
    r"make|model|lens|serial|owner|firmware|software|creatortool|exposure|fnumber|aperture"
    r"|^iso|focal|35efl|fov|hyperfocal|circleofconfusion|shutter|lightvalue|flash|metering"
    r"|whitebalance|date|subsec|offsettime|timezone",
    re.IGNORECASE,
)
# Groups that are about the file or the colour profile, not the photo: not what a link sends.
NOT_THE_PHOTOS = {"SourceFile", "File", "ExifTool", "ICC_Profile"}


def camera_tags(exiftool: str, path: Path) -> dict[str, object]:
    tags = json.loads(
        subprocess.run(
            [exiftool, "-j", "-G0", "-a", "-u", "-ee", str(path)],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
    )[0]
    return {
        key: value
        for key, value in tags.items()
        if key.split(":")[0] not in NOT_THE_PHOTOS
        and (key.startswith("MakerNotes:") or CAMERA_TAG.search(key.split(":")[-1]))
    }


def pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return image.tobytes()


def png_with_exif(path: Path) -> Path:
    """A PNG whose eXIf chunk names a camera and when it took the picture (a chunk with a
    checksum, which must still match once blanked)."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0132] = "Acme", "Acme One", "2021:04:11 15:47:53"
    exif[0x0112] = 6
    exif.get_ifd(0x8769).update({0x9003: "2021:04:11 15:47:53", 0xA431: "SN-123456"})
    Image.new("RGB", (40, 30), (200, 120, 40)).save(path, format="PNG", exif=exif)
    return path


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[LiveServer]:
    with archive_of(tmp_path / "data", ("owner",)) as server:
        yield server


def links(archive: LiveServer) -> tuple[httpx.Client, dict[Path, int], dict, dict]:
    owner = api_login(archive, "owner")
    sources = [*SOURCES, png_with_exif(archive.settings.data_dir.parent / "camera.png")]
    ids = {source: uploaded(owner, source) for source in sources}
    made = {
        shown: owner.post(
            "/api/v1/shares",
            json={"photo_ids": list(ids.values()), "allow_download": True, "show_metadata": shown},
        )
        for shown in (False, True)
    }
    for response in made.values():
        assert response.status_code == 201, response.text
    return owner, ids, made[False].json(), made[True].json()


def test_no_camera_details_in_the_json_or_the_page(archive: LiveServer) -> None:
    owner, ids, hidden, shown = links(archive)
    guest = archive.client()
    owners = {photo_id: owner.get(f"/api/v1/photos/{photo_id}").json() for photo_id in ids.values()}
    dated = [photo for photo in owners.values() if photo["taken_at"]]
    assert len(dated) >= len(SOURCES)

    for item in guest.get(f"/api/v1/s/{hidden['token']}", params={"limit": 100}).json()["items"]:
        assert item["taken_at"] is None and "exif" not in item, item
    for item in guest.get(f"/api/v1/s/{shown['token']}", params={"limit": 100}).json()["items"]:
        assert item["taken_at"] == owners[item["id"]]["taken_at"] and "exif" in item

    page = guest.get(f"/s/{hidden['token']}").text
    assert not parse(page).find_all("p", class_="share-meta")
    for photo in dated:
        assert photo["taken_at"][:10] not in page
    for photo in owners.values():
        assert not photo["exif"]["model"] or photo["exif"]["model"] not in page
    assert parse(guest.get(f"/s/{shown['token']}").text).find_all("p", class_="share-meta")


def test_no_camera_details_inside_the_originals_a_link_lets_out(
    archive: LiveServer, tmp_path: Path
) -> None:
    exiftool = _exiftool()
    owner, ids, hidden, shown = links(archive)
    guest = archive.client()
    for source, photo_id in ids.items():
        original = source.read_bytes()
        assert camera_tags(exiftool, source), source  # what there is to hide

        sent = guest.get(f"/s/{hidden['token']}/media/{photo_id}/original")
        assert sent.status_code == 200
        out = tmp_path / f"hidden-{source.name}"
        out.write_bytes(sent.content)
        assert camera_tags(exiftool, out) == {}, source
        # Nor by its name, which cameras and phones make of the model and the moment
        # (PXL_20240101_093015123.jpg): the link's own name for it instead.
        disposition = sent.headers["content-disposition"]
        assert f'filename="photo-{photo_id}.' in disposition, disposition
        assert source.stem not in disposition, disposition
        # Blanked in place: the same length, the same picture.
        assert len(sent.content) == len(original)
        assert pixels(sent.content) == pixels(original)
        again = {"if-none-match": sent.headers["etag"]}
        assert guest.get(sent.url, headers=again).status_code == 304

        # Shown: only the location is blanked. The owner's own copy is the file they gave.
        kept = guest.get(f"/s/{shown['token']}/media/{photo_id}/original")
        out = tmp_path / f"shown-{source.name}"
        out.write_bytes(kept.content)
        assert camera_tags(exiftool, out), source
        assert f'filename="{source.name}"' in kept.headers["content-disposition"]
        assert owner.get(f"/media/{photo_id}/original").content == original
        # The two are other bytes: a browser revalidating one is never answered with the other.
        assert sent.headers["etag"] != kept.headers["etag"]


def test_no_camera_details_in_a_links_zip(archive: LiveServer, tmp_path: Path) -> None:
    exiftool = _exiftool()
    _, ids, hidden, _ = links(archive)
    response = archive.client().get(f"/s/{hidden['token']}/download")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as whole:
        assert whole.testzip() is None
        entries = whole.infolist()
        names = [entry.filename for entry in entries]
        assert [name.rpartition(".")[0] for name in names] == [f"photo-{i}" for i in ids.values()]
        assert not any(source.stem in name for source in ids for name in names), names
        for source, entry in zip(ids, entries, strict=True):
            data = whole.read(entry)
            out = tmp_path / f"zip-{source.name}"
            out.write_bytes(data)
            assert camera_tags(exiftool, out) == {}, source
            assert len(data) == source.stat().st_size
            assert pixels(data) == pixels(source.read_bytes())
            # An entry's time is not when the photo was taken either.
            taken = camera_tags(exiftool, source)
            day = entry.date_time[:3]
            assert not any(
                str(value).startswith("{:04d}:{:02d}:{:02d}".format(*day))
                for key, value in taken.items()
                if "Date" in key
            ), (source, entry.date_time)


def test_an_original_in_a_bucket_is_blanked_through_a_temp_file(
    rclone: S3Server, tmp_path: Path
) -> None:
    exiftool = _exiftool()
    settings = make_settings(tmp_path / "data", **rclone.settings(rclone.new_bucket()))
    source = SOURCES[0]
    with live_server(settings) as server:
        sign_up(server, "owner")
        owner = api_login(server, "owner")
        photo_id = uploaded(owner, source)
        made = owner.post("/api/v1/shares", json={"photo_ids": [photo_id], "allow_download": True})
        sent = server.client().get(f"/s/{made.json()['token']}/media/{photo_id}/original")
        assert sent.status_code == 200
        out = tmp_path / source.name
        out.write_bytes(sent.content)
        assert camera_tags(exiftool, out) == {}
        assert pixels(sent.content) == pixels(source.read_bytes())
        assert server.temp_files() == []


# What writers keep of when, and with what, beside EXIF: IPTC's dates and program, XMP's
# history of edits, PNG's text and time chunks.
WHEN = "2019:05:06"
PROGRAM = "Pixel Camera"


def dated_elsewhere(exiftool: str, folder: Path) -> list[Path]:
    jpeg = folder / "iptc-and-history.jpg"
    jpeg.write_bytes((PHOTOS / "orientation" / "landscape_1.jpg").read_bytes())
    subprocess.run(
        [
            exiftool,
            "-q",
            "-overwrite_original",
            f"-IPTC:DateCreated={WHEN}",
            "-IPTC:TimeCreated=10:11:12",
            f"-IPTC:DigitalCreationDate={WHEN}",
            f"-IPTC:OriginatingProgram={PROGRAM}",
            "-IPTC:Caption-Abstract=At the lake",
            "-XMP-xmpMM:HistoryAction=created",
            f"-XMP-xmpMM:HistoryWhen={WHEN} 10:11:12",
            f"-XMP-xmpMM:HistorySoftwareAgent={PROGRAM}",
            str(jpeg),
        ],
        check=True,
        timeout=120,
    )
    png = folder / "text-and-time.png"
    info = PngInfo()
    info.add_text("Creation Time", f"{WHEN} 10:11:12")
    info.add_text("Software", PROGRAM)
    Image.new("RGB", (40, 30), (10, 120, 200)).save(png, format="PNG", pnginfo=info)
    subprocess.run(
        [exiftool, "-q", "-overwrite_original", f"-PNG:ModifyDate={WHEN} 10:11:12", str(png)],
        check=True,
        timeout=120,
    )
    return [jpeg, png]


def test_no_dates_or_programs_in_iptc_xmp_history_or_png_text(
    archive: LiveServer, tmp_path: Path
) -> None:
    exiftool = _exiftool()
    owner = api_login(archive, "owner")
    for source in dated_elsewhere(exiftool, tmp_path):
        every = subprocess.run(
            [exiftool, "-a", "-u", "-ee", str(source)], capture_output=True, text=True, check=True
        ).stdout
        assert WHEN in every and PROGRAM in every, every  # what there is to hide
        photo_id = uploaded(owner, source)
        link = owner.post(
            "/api/v1/shares",
            json={"photo_ids": [photo_id], "allow_download": True, "show_metadata": False},
        ).json()
        sent = archive.client().get(f"/s/{link['token']}/media/{photo_id}/original")
        assert sent.status_code == 200, sent.text
        out = tmp_path / f"sent-{source.name}"
        out.write_bytes(sent.content)
        left = subprocess.run(
            [exiftool, "-a", "-u", "-ee", str(out)], capture_output=True, text=True, check=True
        ).stdout
        assert WHEN not in left and PROGRAM not in left, left
        assert len(sent.content) == source.stat().st_size
        assert pixels(sent.content) == pixels(source.read_bytes())
