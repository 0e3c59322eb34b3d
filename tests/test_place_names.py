"""Places by name leave an original with its position: IPTC's city, sub-location, state and
country (JPEG's Photoshop block, and the IPTC entry of an EXIF block), XMP's photoshop:City and
IPTC Core's and Extension's locations. Everyone but the owner gets them blanked, read back with
ExifTool; the owner gets the file they gave. Photos kept before are checked again at the
upgrade (migration 0034), and their originals go to their owner alone until then."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from PIL import Image

from photoarchive.db.readiness import newest_migration
from photoarchive.library import rechecks
from photoarchive.media import images, redaction
from photoarchive.settings import Settings
from tests.support import PHOTOS, api_login, live_server, run_sql, sign_up, uploaded
from tests.test_share_camera_containers import tags, written

GPS = PHOTOS / "gps" / "DSCN0010.jpg"
PLACE_WORDS = ("Springfield", "Rose Lane", "Oregon", "Freedonia", "QZX")
IPTC_PLACES = [
    "-IPTC:City=Springfield",
    "-IPTC:Sub-location=12 Rose Lane",
    "-IPTC:Province-State=Oregon",
    "-IPTC:Country-PrimaryLocationName=Freedonia",
    "-IPTC:Country-PrimaryLocationCode=QZX",
    "-IPTC:ContentLocationName=Rose Lane",
    "-IPTC:Caption-Abstract=At the lake",
]
XMP_PLACES = [
    "-XMP-photoshop:City=Springfield",
    "-XMP-photoshop:State=Oregon",
    "-XMP-photoshop:Country=Freedonia",
    "-XMP-iptcCore:Location=12 Rose Lane",
    "-XMP-iptcCore:CountryCode=QZX",
    "-XMP-iptcExt:LocationShownCity=Springfield",
    "-XMP-iptcExt:LocationCreatedSublocation=12 Rose Lane",
    "-XMP-iptcExt:LocationCreatedCountryName=Freedonia",
    "-XMP-iptcCore:CreatorAddress=12 Rose Lane",
    "-XMP-iptcCore:CreatorCity=Springfield",
    "-XMP-iptcCore:CreatorRegion=Oregon",
    "-XMP-dc:Description=At the lake",
]


def places_in(path: Path) -> list[str]:
    """Every tag whose value names one of the test's places, or any GPS tag."""
    return [
        name
        for name, value in tags(path).items()
        if any(word in str(value) for word in PLACE_WORDS) or name.split(":")[-1].startswith("GPS")
    ]


def iptc_datasets() -> bytes:
    """Bare IIM datasets, as the IPTC entry of an EXIF block holds them (Pillow writes it)."""
    values = {90: b"Springfield", 92: b"12 Rose Lane", 101: b"Freedonia", 120: b"At the lake"}
    return b"".join(
        b"\x1c\x02" + bytes([number]) + len(value).to_bytes(2, "big") + value
        for number, value in values.items()
    )


def sources(tmp_path: Path) -> list[Path]:
    jpeg = written(GPS, tmp_path / "places.jpg", *IPTC_PLACES, *XMP_PLACES)
    exif = Image.Exif()
    exif[0x0112] = 1
    exif[0x83BB] = iptc_datasets()
    made = tmp_path / "made.webp"
    Image.new("RGB", (48, 32), (20, 120, 200)).save(made, format="WEBP", exif=exif)
    webp = written(made, tmp_path / "places.webp", *XMP_PLACES)
    return [jpeg, webp]


def blanked(path: Path, to: Path) -> Path:
    patches = images.ingest(path, 100_000_000).location_patches
    assert patches is not None, path
    to.write_bytes(redaction.apply_patches(path.read_bytes(), 0, patches))
    return to


def test_places_by_name_are_blanked_with_the_position(tmp_path: Path) -> None:
    for source in sources(tmp_path):
        found = places_in(source)
        assert len(found) >= 3, (source, found)  # the reader sees the places written
        out = blanked(source, tmp_path / f"out-{source.name}")
        assert places_in(out) == [], (source, tags(out))
        assert out.stat().st_size == source.stat().st_size
        kept = tags(out)
        assert "At the lake" in (kept.get("XMP-dc:Description"), kept.get("IPTC:Caption-Abstract"))
        with Image.open(source) as before, Image.open(out) as after:
            assert before.tobytes() == after.tobytes()  # the same picture


@pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL
def test_family_get_an_original_without_its_places_and_the_owner_all_of_it(
    settings: Settings, tmp_path: Path
) -> None:
    with live_server(settings) as server:
        sign_up(server, "alice")
        sign_up(server, "bob")
        alice, bob = api_login(server, "alice"), api_login(server, "bob")
        for source in sources(tmp_path):
            photo_id = uploaded(alice, source)
            theirs = bob.get(f"/media/{photo_id}/original")
            assert theirs.status_code == 200, theirs.text
            out = tmp_path / f"bob-{source.name}"
            out.write_bytes(theirs.content)
            assert places_in(out) == [], tags(out)
            assert alice.get(f"/media/{photo_id}/original").content == source.read_bytes()


@pytest.mark.usefixtures("engine")
def test_photos_kept_before_are_checked_again_at_the_upgrade(
    settings: Settings, tmp_path: Path
) -> None:
    jpeg = sources(tmp_path)[0]
    with live_server(settings) as server:
        sign_up(server, "alice")
        sign_up(server, "bob")
        photo_id = uploaded(api_login(server, "alice"), jpeg)
    stored = "SELECT location_patches FROM photos WHERE id = ?"
    patches = json.loads(run_sql(settings, stored, (photo_id,))[0][0])
    older = [[at, blank] for at, blank in patches][:1]  # as older code left it: no places
    run_sql(
        settings,
        "UPDATE photos SET location_patches = ? WHERE id = ?",
        (json.dumps(older), photo_id),
    )
    postgres = settings.database_url.startswith("postgresql:")
    assert newest_migration(postgres) >= 34
    if postgres:
        run_sql(settings, "DELETE FROM schema_migrations WHERE version >= 34")
    else:
        run_sql(settings, "PRAGMA user_version = 33")
    pending = "SELECT COUNT(*) FROM photos WHERE location_patches = ?"
    with live_server(settings) as server:
        deadline = time.monotonic() + 60  # bounds a hang; the wait is for the re-check
        while run_sql(settings, pending, (rechecks.RECHECK,))[0][0]:
            assert time.monotonic() < deadline, "the server did not re-check the photos"
            time.sleep(0.05)
        theirs = api_login(server, "bob").get(f"/media/{photo_id}/original")
        assert theirs.status_code == 200, theirs.text  # blanked, not withheld
        out = tmp_path / "bob.jpg"
        out.write_bytes(theirs.content)
        assert places_in(out) == [], tags(out)
