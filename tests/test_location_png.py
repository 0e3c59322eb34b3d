"""PNG keeps metadata in text chunks too: a location hidden there never reaches another user."""

from __future__ import annotations

import io

import pytest
from PIL import Image, PngImagePlugin

from tests.support import LiveServer, api_login, sign_up, upload_bytes

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


def _exif_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Maker"
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 30.0, 0.0), 3: "E", 4: (13.0, 24.0, 0.0)})
    return exif.tobytes()


def _png(add: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    if add.startswith("raw-profile"):
        raw = _exif_with_gps()
        digits = raw.hex()
        text = f"\nexif\n{len(raw):8d}\n" + "\n".join(
            digits[i : i + 72] for i in range(0, len(digits), 72)
        )
        info.add_text("Raw profile type exif", text + "\n", zip=add.endswith("zip"))
    else:
        xmp = (
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
            'exif:GPSLatitude="52,30.0N" exif:GPSLongitude="13,24.0E"/></rdf:RDF></x:xmpmeta>'
        )
        info.add_itxt("XML:com.adobe.xmp", xmp, zip=True)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["raw-profile", "raw-profile-zip", "xmp-zip"])
def test_location_in_png_text_chunks_is_blanked_for_others(server: LiveServer, kind: str) -> None:
    sign_up(server, "alice")
    sign_up(server, "bob")
    alice, bob = api_login(server, "alice"), api_login(server, "bob")
    data = _png(kind)
    photo = upload_bytes(alice, "map.png", data).json()["items"][0]
    original = photo["urls"]["original"]
    assert alice.get(original).content == data  # the owner gets the stored bytes back
    theirs = bob.get(original)
    assert theirs.status_code == 200 and len(theirs.content) == len(data)
    with Image.open(io.BytesIO(theirs.content)) as image:
        image.load()  # still a valid PNG: every touched chunk got its CRC fixed
        assert not dict(image.getexif().get_ifd(0x8825))
        assert not any("xmp" in key.lower() or "raw profile" in key.lower() for key in image.info)
    assert b"GPSLatitude" not in theirs.content and b"52,30" not in theirs.content
    if kind.startswith("raw-profile"):
        assert alice.get(f"/api/v1/photos/{photo['id']}").json()["location"]["lat"] == 52.5
        assert "location" not in bob.get(f"/api/v1/photos/{photo['id']}").json()


def test_an_original_whose_location_cannot_be_blanked_is_the_owners_alone(
    server: LiveServer,
) -> None:
    sign_up(server, "alice")
    sign_up(server, "bob")
    alice, bob = api_login(server, "alice"), api_login(server, "bob")
    photo = upload_bytes(alice, "map.png", _png("raw-profile")).json()["items"][0]
    with server.db() as conn:  # what ingest stores when the patched bytes still hold a location
        conn.execute("UPDATE photos SET location_patches = 'null' WHERE id = ?", (photo["id"],))
    refused = bob.get(photo["urls"]["original"])
    assert refused.status_code == 403
    assert "location inside it could not be removed" in refused.json()["detail"]
    assert bob.get(photo["urls"]["preview"]).status_code == 200
    assert alice.get(photo["urls"]["original"]).status_code == 200
