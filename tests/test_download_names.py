"""An original is saved under its uploaded name, but always ending as the image it is: a JPEG
can also be a web page, and a computer opens a saved file by the ending of its name."""

from __future__ import annotations

import io
import struct
import zipfile
from urllib.parse import unquote

import pytest
from PIL import Image

from tests.support import LiveServer, api_login, sign_up

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


def _jpeg_that_is_also_a_page(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (shade, 90, 160)).save(buffer, "JPEG")
    data = buffer.getvalue()
    html = b"<html><body><script>alert(document.cookie)</script></body></html>"
    return data[:2] + b"\xff\xfe" + struct.pack(">H", len(html) + 2) + html + data[2:]


def _saved_as(disposition: str) -> str:
    return unquote(disposition.split("UTF-8''", 1)[1])


@pytest.mark.parametrize(
    ("sent", "saved"),
    [
        ("invitation.html", "invitation.html.jpg"),
        ("card.svg", "card.svg.jpg"),
        ("setup.exe", "setup.exe.jpg"),
        ("no ending", "no ending.jpg"),
        ("Holiday.JPEG", "Holiday.JPEG"),  # an image's own ending is kept as it was
        ("scan.png", "scan.png"),  # another image's: opened as an image all the same
    ],
)
def test_an_original_is_saved_under_an_image_ending(
    server: LiveServer, sent: str, saved: str
) -> None:
    sign_up(server, "alice")
    sign_up(server, "bob")
    alice, bob = api_login(server, "alice"), api_login(server, "bob")
    made = alice.post(
        "/api/v1/photos", files=[("file", (sent, _jpeg_that_is_also_a_page(len(sent))))]
    )
    assert made.status_code == 201, made.text
    photo = made.json()["items"][0]

    for client in (alice, bob):
        original = client.get(photo["urls"]["original"])
        assert original.status_code == 200
        assert _saved_as(original.headers["content-disposition"]) == saved
        zipped = client.post("/api/v1/downloads", json={"photo_ids": [photo["id"]]})
        assert zipped.status_code == 200, zipped.text
        assert zipfile.ZipFile(io.BytesIO(zipped.content)).namelist() == [saved]
