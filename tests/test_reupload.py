"""Uploading the same bytes again puts back a stored original that went missing or was damaged:
the photo's owner may still have the file when the archive lost it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import PHOTOS, LiveServer, api_login, sign_up, upload

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

PHOTO = PHOTOS / "gps" / "DSCN0010.jpg"


def _stored_original(server: LiveServer, digest: str) -> Path:
    return server.settings.blob_dir / "originals" / digest[:2] / digest[2:4] / digest


def test_the_owners_reupload_puts_back_a_missing_original(server: LiveServer) -> None:
    sign_up(server, "alice")
    alice = api_login(server, "alice")
    photo = upload(alice, PHOTO).json()["items"][0]
    _stored_original(server, photo["sha256"]).unlink()
    assert alice.get(photo["urls"]["original"]).status_code == 404

    again = upload(alice, PHOTO)

    assert again.status_code == 200, again.text
    assert again.json()["items"][0]["id"] == photo["id"]
    assert alice.get(photo["urls"]["original"]).content == PHOTO.read_bytes()
    assert server.count("photos") == 1
    assert server.temp_files() == []


def test_an_upload_of_the_same_bytes_replaces_a_damaged_original(server: LiveServer) -> None:
    sign_up(server, "alice")
    sign_up(server, "bob")
    alice, bob = api_login(server, "alice"), api_login(server, "bob")
    photo = upload(alice, PHOTO).json()["items"][0]
    stored = _stored_original(server, photo["sha256"])
    stored.write_bytes(PHOTO.read_bytes()[:1000])  # cut short, as by a failing disk

    bobs = upload(bob, PHOTO)  # another person's copy of the same file

    assert bobs.status_code == 201, bobs.text
    assert stored.read_bytes() == PHOTO.read_bytes()
    assert alice.get(photo["urls"]["original"]).content == PHOTO.read_bytes()
    upload(alice, PHOTO)  # and the owner's own re-upload, once more, changes nothing
    assert stored.read_bytes() == PHOTO.read_bytes()
    assert server.temp_files() == []
