"""Uploading a photo again at the moment its earlier copy is purged from the trash: the upload
keeps the photo (as a new one), with every file it needs and none that nobody uses."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from photoarchive.accounts import users
from photoarchive.accounts.users import User
from photoarchive.library import ingest, trash
from photoarchive.services import Services
from photoarchive.storage import StorageError, original_key
from tests.support import PHOTOS, LiveServer, api_login, run_sql, sign_up, upload

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


def trashed_copy(server: LiveServer) -> tuple[httpx.Client, int]:
    """alice, and the id of her photo of PHOTO, in her trash."""
    sign_up(server, "alice")
    alice = api_login(server, "alice")
    first = upload(alice, PHOTO).json()["items"][0]
    assert alice.delete(f"/api/v1/photos/{first['id']}").status_code == 204
    return alice, int(first["id"])


def assert_refused_and_nothing_kept(server: LiveServer, again: httpx.Response) -> None:
    assert again.status_code == 503, again.text
    assert ingest.GONE_AS_IT_CAME in again.text
    assert server.count("photos") == 0
    assert server.temp_files() == []


def test_a_reupload_whose_bytes_went_with_the_purge_is_refused_with_a_reason(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The trashed copy's original had gone missing, so the upload stores these bytes for it
    (taking them from the temp file); the purge then takes the copy and that file. Nothing is
    left to make a new photo of: a 503 that says so, and nothing kept (it was a 500, the
    decoder finding no file)."""
    alice, first = trashed_copy(server)
    ((digest,),) = run_sql(server.settings, "SELECT sha256 FROM photos WHERE id = ?", (first,))
    (server.settings.blob_dir / original_key(digest)).unlink()  # lost, say, by a bad disk
    put_back = ingest.put_back_original

    async def purged_right_after_it_is_put_back(
        svc: Services, incoming: ingest.IncomingFile, photo_id: int | None = None
    ) -> bool:
        stored = await put_back(svc, incoming, photo_id)
        assert stored and photo_id is not None
        await trash.purge(svc, await users.by_username(svc.db, "alice"), photo_id)
        return stored

    monkeypatch.setattr(ingest, "put_back_original", purged_right_after_it_is_put_back)

    assert_refused_and_nothing_kept(server, upload(alice, PHOTO))
    assert server.blobs() == []


def test_a_put_back_that_failed_and_took_the_temp_file_is_the_same_503(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As above, but the store fails (and, as both stores do, removes the file it was given)."""
    alice, _ = trashed_copy(server)

    async def store_failed_and_copy_purged(
        svc: Services, incoming: ingest.IncomingFile, photo_id: int | None = None
    ) -> bool:
        assert photo_id is not None
        incoming.path.unlink()
        await trash.purge(svc, await users.by_username(svc.db, "alice"), photo_id)
        raise StorageError("the store is not answering")

    monkeypatch.setattr(ingest, "put_back_original", store_failed_and_copy_purged)

    assert_refused_and_nothing_kept(server, upload(alice, PHOTO))


def test_an_import_putting_back_an_original_as_its_copy_is_purged_makes_a_new_photo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`photoarchive import` finds the owner's trashed copy of a file with its original lost,
    and stores the file back for it; at that moment the copy is purged. The put-back is
    guarded by that photo (nothing is stored for a photo gone), and the file is imported as a
    new photo: no stored file is left that no photo names (one was, for `verify --repair`)."""
    from photoarchive.ops import importer
    from tests.test_neighbours import person, scenario

    folder = tmp_path / "photos"
    folder.mkdir()
    source = folder / "DSCN0010.jpg"
    source.write_bytes(PHOTO.read_bytes())
    put_back = ingest.put_back_original

    async def purged_just_before(
        svc: Services, incoming: ingest.IncomingFile, photo_id: int | None = None
    ) -> bool:
        alice = await users.by_username(svc.db, "alice")
        assert alice is not None
        first = await svc.db.fetchval("SELECT id FROM photos WHERE owner_id = ?", (alice.id,))
        await trash.purge(svc, alice, first)
        return await put_back(svc, incoming, photo_id)

    async def body(svc: Services) -> None:
        alice = await person(svc, "alice")
        svc.settings.tmp_dir.mkdir(parents=True, exist_ok=True)
        outcome = await importer.import_one(svc, alice, source, caption_from_filename=False)
        assert outcome == ("imported", "")
        first = await svc.db.fetchval("SELECT id FROM photos")
        digest = await svc.db.fetchval("SELECT sha256 FROM photos WHERE id = ?", (first,))
        await trash.move(svc, alice, first)
        (svc.settings.blob_dir / original_key(digest)).unlink()  # lost, say, by a bad disk
        monkeypatch.setattr(ingest, "put_back_original", purged_just_before)

        outcome = await importer.import_one(svc, alice, source, caption_from_filename=False)

        assert outcome == ("imported", "")
        again = await svc.db.fetchval("SELECT id FROM photos WHERE owner_id = ?", (alice.id,))
        assert again is not None  # a new photo (SQLite may give it the purged one's id)
        assert await svc.db.fetchval("SELECT COUNT(*) FROM trashed_photos") == 0
        original = svc.settings.blob_dir / original_key(digest)
        assert original.read_bytes() == PHOTO.read_bytes()
        assert [p for p in svc.settings.tmp_dir.rglob("*") if p.is_file()] == []

    scenario(tmp_path, body)
