"""Photo metadata through HTTP: what the page and the API show, and where the location never goes."""

from __future__ import annotations

import asyncio
import io
import re
import sqlite3
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image

from photoarchive.accounts import users
from photoarchive.accounts.passwords import Passwords
from photoarchive.db import Database
from photoarchive.errors import Forbidden
from photoarchive.library import originals, photos, rechecks
from photoarchive.services import DecodeSlots, Services
from photoarchive.settings import Settings
from photoarchive.storage.local import LocalBlobStore
from tests.support import (
    PHOTOS,
    LiveServer,
    api_login,
    live_server,
    make_settings,
    parse,
    sign_up,
    sqlite_only,
    upload,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

GEOTAGGED = [PHOTOS / "gps" / "DSCN0010.jpg", PHOTOS / "heic" / "IMG_5195.HEIC"]


def _coordinates(photo_path: Path) -> list[str]:
    """How the photo's coordinates could appear in text: a few digits of each."""
    from photoarchive.media import images

    meta = images.ingest(photo_path, 10**8).metadata
    assert meta.gps_lat is not None and meta.gps_lon is not None
    return [f"{abs(meta.gps_lat):.3f}", f"{abs(meta.gps_lon):.3f}"]


def _gps_of(data: bytes) -> dict[int, object]:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(0x8825))


def _leaks(text: str, coordinates: list[str]) -> list[str]:
    return [value for value in coordinates if value in text]


def test_location_is_the_owners_alone(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", public_view=True)
    with live_server(settings) as server:
        sign_up(server, "alice")
        sign_up(server, "bob")
        alice, bob, guest = api_login(server, "alice"), api_login(server, "bob"), server.client()
        alice_page = server.clients[0]  # alice's browser session
        for path in GEOTAGGED:
            coordinates = _coordinates(path)
            created = upload(alice, path)
            assert created.status_code == 201, created.text
            photo = created.json()["items"][0]
            pid = photo["id"]
            # The owner sees it in the API and on the page.
            assert "location" in photo
            owner_view = alice.get(f"/api/v1/photos/{pid}").json()
            assert owner_view["location"]["lat"] == pytest.approx(
                float(coordinates[0]) * (1 if owner_view["location"]["lat"] > 0 else -1),
                abs=1e-3,
            )
            assert _leaks(alice_page.get(f"/photos/{pid}").text, coordinates)
            owner_original = alice.get(f"/media/{pid}/original")
            assert owner_original.content == path.read_bytes()
            assert _gps_of(owner_original.content)

            for who, client in (("bob", bob), ("guest", guest)):
                texts = [
                    client.get(f"/api/v1/photos/{pid}").text,
                    client.get("/api/v1/photos").text,
                    client.get("/api/v1/users/alice/photos").text,
                    client.get(f"/photos/{pid}").text,
                    client.get("/").text,
                    client.get("/u/alice").text,
                ]
                # Nor a digest of the original as stored: with the blanked copy in hand, it
                # would let them test guesses of the location until one matched.
                digest = _sha(path.read_bytes())[:8]
                for name in ("thumbnail", "preview", "original"):
                    media = client.get(f"/media/{pid}/{name}")
                    assert media.status_code == 200 and digest not in str(media.headers), who
                for text in texts:
                    assert '"location"' not in text, who
                    assert not _leaks(text, coordinates), who
                    assert digest not in text, who
                assert "Location" not in parse(client.get(f"/photos/{pid}").text).text
                _check_original_without_location(client, pid, path, who)


@sqlite_only  # rewinds PRAGMA user_version; PostgreSQL's migrations are applied once each
def test_an_archive_from_older_code_has_its_location_patches_worked_out_again(
    tmp_path: Path,
) -> None:
    """Patches stored by an older redactor (here none at all, as before patches existed) are
    not trusted after the upgrade: originals go to their owners only until the server has
    worked them out again, then others get them blanked. A photo inserted without a media tag
    gets one."""
    settings = make_settings(tmp_path / "data", public_view=True)
    path = GEOTAGGED[0]
    with live_server(settings) as server:
        sign_up(server, "alice")
        sign_up(server, "bob")
        photo_id = upload(api_login(server, "alice"), path).json()["items"][0]["id"]
    with sqlite3.connect(settings.database_path) as conn:  # as an archive of that time had it
        conn.execute("UPDATE photos SET location_patches = '[]'")
        conn.execute(
            "INSERT INTO photos (owner_id, sha256, bytes, content_type, width, height,"
            " preview_width, created_at) VALUES (1, ?, 1, 'image/jpeg', 1, 1, 1, '')",
            ("0" * 64,),
        )
        conn.execute("PRAGMA user_version = 5")
    asyncio.run(_withheld_until_rechecked(settings, photo_id))
    with live_server(settings) as server:
        deadline = time.monotonic() + 60  # bounds a hang; the wait is for the re-check
        while _pending(server):
            assert time.monotonic() < deadline, "the server did not re-check the photos"
            time.sleep(0.05)
        alice, bob = api_login(server, "alice"), api_login(server, "bob")
        _check_original_without_location(bob, photo_id, path, "bob")
        assert bob.get(f"/media/{photo_id}/thumbnail").status_code == 200
        assert alice.get(f"/media/{photo_id}/original").content == path.read_bytes()
        with server.db() as conn:
            tags = [row[0] for row in conn.execute("SELECT tag FROM photos ORDER BY id")]
            unreadable = conn.execute(
                "SELECT location_patches FROM photos WHERE sha256 = ?", ("0" * 64,)
            ).fetchone()[0]
    assert len(tags) == 2 and all(re.fullmatch("[0-9a-f]{16}", tag) for tag in tags)
    assert unreadable == "null"  # its original is missing: withheld, never guessed


def _pending(server: LiveServer) -> int:
    with server.db() as conn:
        query = "SELECT COUNT(*) FROM photos WHERE location_patches = ?"
        return conn.execute(query, (rechecks.RECHECK,)).fetchone()[0]


async def _withheld_until_rechecked(settings: Settings, photo_id: int) -> None:
    """Right after the upgrade, before any re-check: owners only."""
    db = Database(settings.database_path)
    await db.open()  # migrates, as the server's start does
    try:
        svc = Services(
            settings=settings,
            db=db,
            store=LocalBlobStore(settings.blob_dir, settings.tmp_dir),
            passwords=Passwords(1024, 1),
            image_slots=DecodeSlots(1),
        )
        assert await rechecks.pending(svc) == 2
        alice = await users.by_username(db, "alice")
        bob = await users.by_username(db, "bob")
        photo = await photos.get(svc, photo_id, bob)
        with pytest.raises(Forbidden, match="being checked for a location"):
            await originals.location_patches(svc, photo, bob)
        assert (
            await originals.location_patches(svc, await photos.get(svc, photo_id, alice), alice)
            == []
        )
    finally:
        await db.close()


def _check_original_without_location(client: httpx.Client, pid: int, path: Path, who: str) -> None:
    source = path.read_bytes()
    response = client.get(f"/media/{pid}/original")
    assert response.status_code == 200, who
    shared = response.content
    assert len(shared) == len(source)
    assert shared != source
    assert _gps_of(shared) == {}, who
    with Image.open(io.BytesIO(shared)) as image, Image.open(path) as original:
        assert image.getexif().get(271) == original.getexif().get(271)  # camera make kept
        assert image.size == original.size
        image.load()
    assert _sha(source)[:8] not in response.headers["etag"]
    # The bytes differ only where the GPS records were.
    changed = [i for i in range(len(source)) if source[i] != shared[i]]
    assert changed and changed[-1] - changed[0] < 4096
    # Ranges over the GPS block are blanked too.
    first, last = changed[0], changed[-1]
    part = client.get(f"/media/{pid}/original", headers={"range": f"bytes={first}-{last}"})
    assert part.status_code == 206
    assert part.content == shared[first : last + 1]


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_strip_location_keeps_it_out_of_the_database(tmp_path: Path) -> None:
    env = {"PHOTOARCHIVE_DATA_DIR": str(tmp_path / "data"), "PHOTOARCHIVE_STRIP_LOCATION": "true"}
    assert Settings.from_env(env).strip_location is True
    settings = make_settings(tmp_path / "data", strip_location=True)
    with live_server(settings) as server:
        sign_up(server, "alice")
        alice = api_login(server, "alice")
        photo = upload(alice, GEOTAGGED[0]).json()["items"][0]
        assert "location" not in photo
        with server.db() as conn:
            row = conn.execute("SELECT gps_lat, gps_lon FROM photos").fetchone()
        assert tuple(row) == (None, None)
        page = server.clients[0].get(f"/photos/{photo['id']}").text
        assert not _leaks(page, _coordinates(GEOTAGGED[0]))


def test_photo_page_and_api_show_the_camera_metadata(server: LiveServer) -> None:
    browser = sign_up(server, "alice")
    alice = api_login(server, "alice")
    path = PHOTOS / "heic" / "IMG_5195.HEIC"
    photo = upload(alice, path).json()["items"][0]
    assert photo["taken_at"] == "2021-04-11T15:47:53-05:00"
    assert photo["exif"] == {
        "make": "Apple",
        "model": "iPhone 11 Pro Max",
        "lens": "iPhone 11 Pro Max back triple camera 4.25mm f/1.8",
        "focal_length": 4.25,
        "aperture": 1.8,
        "exposure_time": "1/385",
        "iso": 32,
    }
    assert (photo["width"], photo["height"], photo["bytes"]) == (2566, 3313, path.stat().st_size)
    assert photo["content_type"] == "image/heic"
    page = parse(browser.get(f"/photos/{photo['id']}").text)
    text = page.text
    for expected in ("iPhone 11 Pro Max", "4.25 mm", "f/1.8", "1/385 s", "ISO 32", "2566 × 3313"):
        assert expected in text, expected
    assert "triple camera" in text  # the lens
    times = page.find_all("time", datetime="2021-04-11T15:47:53-05:00")
    assert times, "the date taken, with its offset"


@pytest.mark.parametrize("path", sorted((PHOTOS / "odd-exif").iterdir()), ids=lambda p: p.name)
def test_every_odd_exif_file_uploads(server: LiveServer, path: Path) -> None:
    sign_up(server, "alice")
    alice = api_login(server, "alice")
    response = upload(alice, path)
    assert response.status_code == 201, response.text
    photo = response.json()["items"][0]
    assert photo["width"] > 0
    assert re.fullmatch(r"data:image/webp;base64,[A-Za-z0-9+/=]+", photo["placeholder"])
    assert len(photo["placeholder"]) < 600


@pytest.mark.parametrize("suffix", [".gif", ".webp"])
def test_animation_original_keeps_every_frame(
    server: LiveServer, tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"animated{suffix}"
    first, *rest = (
        Image.new("RGB", (80, 60), c) for c in [(220, 30, 40), (0, 0, 255), (0, 255, 0)]
    )
    first.save(path, save_all=True, append_images=rest, duration=100, loop=0)
    sign_up(server, "alice")
    alice = api_login(server, "alice")
    photo = upload(alice, path).json()["items"][0]
    original = alice.get(photo["urls"]["original"]).content
    assert original == path.read_bytes()
    with Image.open(io.BytesIO(original)) as image:
        assert image.n_frames == 3
    with Image.open(io.BytesIO(alice.get(photo["urls"]["preview"]).content)) as preview:
        assert getattr(preview, "n_frames", 1) == 1  # the rendition is the first frame, still
        red, green, blue = preview.convert("RGB").getpixel((40, 30))
        assert red > 180 and green < 80 and blue < 80
