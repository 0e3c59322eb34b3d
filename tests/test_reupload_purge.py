"""Uploading a photo again at the moment its earlier copy is purged from the trash: the upload
keeps the photo (as a new one), with every file it needs and none that nobody uses."""

from __future__ import annotations

import pytest

from photoarchive.accounts.users import User
from photoarchive.library import ingest, trash
from photoarchive.services import Services
from tests.support import PHOTOS, LiveServer, api_login, sign_up, upload

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

PHOTO = PHOTOS / "gps" / "DSCN0010.jpg"


def test_a_reupload_racing_the_purge_of_its_trashed_copy_keeps_the_photo_and_its_files(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_up(server, "alice")
    alice = api_login(server, "alice")
    first = upload(alice, PHOTO).json()["items"][0]
    assert alice.delete(f"/api/v1/photos/{first['id']}").status_code == 204
    files = server.blobs()
    found_own_copy = ingest._own_copy

    async def purged_right_after_it_is_found(svc: Services, owner: User, digest: str) -> int | None:
        # The moment between the upload finding its trashed copy and reusing it: the owner's
        # "delete for good" (or the hourly purge) takes the copy and its files.
        found = await found_own_copy(svc, owner, digest)
        if found is not None:
            await trash.purge(svc, owner, found)
        return found

    monkeypatch.setattr(ingest, "_own_copy", purged_right_after_it_is_found)

    again = upload(alice, PHOTO)

    assert again.status_code == 201, again.text
    photo = again.json()["items"][0]
    assert alice.get(photo["urls"]["original"]).content == PHOTO.read_bytes()
    assert alice.get(photo["urls"]["thumbnail"]).status_code == 200
    assert server.count("photos") == 1
    assert server.blobs() == files  # the same files again: none missing, none left over
    assert server.temp_files() == []
