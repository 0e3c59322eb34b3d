"""A zip of chosen photos (library/downloads.py; POST /api/v1/downloads and POST /downloads),
read back with zipfile and ExifTool: the owner's originals byte for byte, others' with no
position, photos the asker may not see only counted, and the limits."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from photoarchive.accounts.users import User
from photoarchive.errors import Invalid
from photoarchive.library import downloads, photos, zips
from photoarchive.library.photos import Photo
from photoarchive.services import Services
from photoarchive.settings import Settings, SettingsError
from tests.cloud import S3Server
from tests.support import (
    PASSWORD,
    PHOTOS,
    LiveServer,
    api_login,
    archive_of,
    csrf,
    live_server,
    make_settings,
    parse,
    sign_up,
    upload,
    upload_bytes,
)
from tests.test_authz_matrix import jpeg
from tests.test_openapi_contract import check
from tests.test_redaction_xmp import _exiftool

GPS = PHOTOS / "gps" / "DSCN0010.jpg"
LIMIT = 4  # PHOTOARCHIVE_MAX_DOWNLOAD_ITEMS for this module's archive


@dataclass
class Archive:
    server: LiveServer
    gps_id: int
    twins: dict[int, bytes]  # two different photos both named IMG_0001.JPG
    private_id: int  # alice's, seen by nobody else


@pytest.fixture(scope="module")
def archive(
    tmp_path_factory: pytest.TempPathFactory, module_database: Callable[[], str]
) -> Iterator[Archive]:
    data_dir = tmp_path_factory.mktemp("downloads") / "data"
    settings = make_settings(data_dir, max_download_items=LIMIT, database_url=module_database())
    with live_server(settings) as server:
        sign_up(server, "admin")  # the first account is the administrator
        sign_up(server, "alice")
        sign_up(server, "bob")
        alice = api_login(server, "alice")
        gps_id = upload(alice, GPS).json()["items"][0]["id"]
        twins = {}
        for _ in range(2):
            data = jpeg()
            made = upload_bytes(alice, "IMG_0001.JPG", data)
            assert made.status_code == 201, made.text
            twins[made.json()["items"][0]["id"]] = data
        private = alice.post(
            "/api/v1/photos",
            files=[("file", ("secret-beach.jpg", jpeg(), "image/jpeg"))],
            data={"visibility": "private"},
        )
        assert private.status_code == 201, private.text
        yield Archive(server, gps_id, twins, private.json()["items"][0]["id"])


def opened(response: httpx.Response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"] == "application/zip"
    assert "content-length" not in response.headers  # streamed as it is made
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None  # every CRC checks
    assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    return archive


def gps_tags(exiftool: str, path: Path) -> list[str]:
    tags = json.loads(
        subprocess.run(
            [exiftool, "-j", "-n", "-G1", "-a", "-ee", str(path)],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
    )[0]
    return [key for key in tags if key.split(":")[-1].startswith("GPS")]


# --- the rules, on the library function ----------------------------------------------------


def test_ids_are_taken_once_each_in_order_and_bounded() -> None:
    assert downloads.chosen([3, 1, 3, 2, 1], 3) == [3, 1, 2]
    with pytest.raises(Invalid) as none:
        downloads.chosen([], 3)
    assert none.value.field == "photo_ids"
    with pytest.raises(Invalid) as many:
        downloads.chosen([1, 2, 3, 4], 3)
    assert "At most 3 photos" in many.value.message and many.value.field == "photo_ids"


def test_the_limit_is_a_typed_setting() -> None:
    assert Settings.from_env({}).max_download_items == 5000
    assert Settings.from_env({"PHOTOARCHIVE_MAX_DOWNLOAD_ITEMS": "12"}).max_download_items == 12
    with pytest.raises(SettingsError, match="PHOTOARCHIVE_MAX_DOWNLOAD_ITEMS"):
        Settings.from_env({"PHOTOARCHIVE_MAX_DOWNLOAD_ITEMS": "0"})


# --- the API -------------------------------------------------------------------------------


def test_the_owner_gets_each_original_once_byte_for_byte(archive: Archive) -> None:
    alice = api_login(archive.server, "alice")
    twin_a, twin_b = archive.twins
    ids = [archive.gps_id, twin_a, archive.gps_id, twin_b, twin_a]
    answer = alice.post("/api/v1/downloads", json={"photo_ids": ids})
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    assert answer.headers["content-disposition"].startswith(
        f'attachment; filename="photoarchive-{day}.zip"'
    )
    assert answer.headers["cache-control"] == "private, no-store"
    with opened(answer) as zipped:
        assert zipped.namelist() == ["DSCN0010.jpg", "IMG_0001.JPG", "IMG_0001 (2).JPG"]
        assert zipped.read("DSCN0010.jpg") == GPS.read_bytes()
        assert zipped.read("IMG_0001.JPG") == archive.twins[twin_a]
        assert zipped.read("IMG_0001 (2).JPG") == archive.twins[twin_b]


@pytest.mark.parametrize("who", ["bob", "admin"])
def test_others_get_no_position_and_photos_they_may_not_see_only_counted(
    archive: Archive, who: str, tmp_path: Path
) -> None:
    exiftool = _exiftool()
    client = api_login(archive.server, who)
    ids = [archive.private_id, archive.gps_id, 999_999]  # alice's private photo, and no photo
    with opened(client.post("/api/v1/downloads", json={"photo_ids": ids})) as zipped:
        assert zipped.namelist() == ["DSCN0010.jpg", zips.LEFT_OUT]
        data = zipped.read("DSCN0010.jpg")
        note = zipped.read(zips.LEFT_OUT).decode()
    assert len(data) == GPS.stat().st_size and data != GPS.read_bytes()
    copy = tmp_path / "copy.jpg"
    copy.write_bytes(data)
    assert gps_tags(exiftool, copy) == []
    assert gps_tags(exiftool, GPS)  # the reader does see a position where there is one
    # Not there and not theirs read the same, and neither is named.
    assert note.strip() == "2 photos could not be included."


def test_a_selection_of_photos_one_may_not_see_is_a_zip_of_the_note_alone(
    archive: Archive,
) -> None:
    bob = api_login(archive.server, "bob")
    answer = bob.post("/api/v1/downloads", json={"photo_ids": [archive.private_id]})
    with opened(answer) as zipped:
        assert zipped.namelist() == [zips.LEFT_OUT]
        assert zipped.read(zips.LEFT_OUT) == b"1 photo could not be included.\n"


def test_none_or_too_many_or_bad_ids_are_refused(archive: Archive) -> None:
    alice = api_login(archive.server, "alice")
    empty = alice.post("/api/v1/downloads", json={"photo_ids": []})
    assert empty.status_code == 422 and empty.json()["field"] == "photo_ids"
    many = alice.post("/api/v1/downloads", json={"photo_ids": [1, 2, 3, 4, 5, 5]})
    assert many.status_code == 422
    assert many.json()["detail"].startswith(f"At most {LIMIT} photos go in one download")
    for bad in ([0], [-1], ["one"], [2**63], [1.5]):
        refused = alice.post("/api/v1/downloads", json={"photo_ids": bad})
        assert refused.status_code == 400, (bad, refused.text)
    assert alice.post("/api/v1/downloads", json={}).status_code == 400
    assert archive.server.temp_files() == []


def test_guests_need_public_view_and_a_share_link_opens_nothing_here(
    archive: Archive, tmp_path: Path
) -> None:
    guest = archive.server.client()
    refused = guest.post("/api/v1/downloads", json={"photo_ids": [archive.gps_id]})
    assert refused.status_code == 401 and refused.json()["status"] == 401
    # A link's holder: the link's page was opened, the link holds the photo; still a guest.
    alice = api_login(archive.server, "alice")
    link = alice.post(
        "/api/v1/shares", json={"photo_ids": [archive.private_id], "allow_download": True}
    )
    assert link.status_code == 201, link.text
    holder = archive.server.client()
    assert holder.get(f"/s/{link.json()['token']}").status_code == 200
    held = holder.post("/api/v1/downloads", json={"photo_ids": [archive.private_id]})
    assert held.status_code == 401

    with live_server(make_settings(tmp_path / "data", public_view=True)) as public:
        sign_up(public, "carol")
        carol = api_login(public, "carol")
        family = upload(carol, GPS).json()["items"][0]["id"]
        hidden = carol.post(
            "/api/v1/photos",
            files=[("file", ("mine.jpg", jpeg(), "image/jpeg"))],
            data={"visibility": "private"},
        ).json()["items"][0]["id"]
        visitor = public.client()
        answer = visitor.post("/api/v1/downloads", json={"photo_ids": [family, hidden]})
        with opened(answer) as zipped:
            assert zipped.namelist() == ["DSCN0010.jpg", zips.LEFT_OUT]
            assert zipped.read("DSCN0010.jpg") != GPS.read_bytes()  # blanked for a guest
            assert zipped.read(zips.LEFT_OUT) == b"1 photo could not be included.\n"


def test_a_cookie_session_needs_the_csrf_token(archive: Archive) -> None:
    bob = archive.server.client()
    signed_in = bob.post(
        "/login", data={"login": "bob", "password": PASSWORD, "_csrf_token": csrf(bob)}
    )
    assert signed_in.status_code == 303
    body = {"photo_ids": [archive.gps_id]}
    forged = bob.post("/api/v1/downloads", json=body)
    assert forged.status_code == 403 and forged.json()["status"] == 403
    opened(bob.post("/api/v1/downloads", json=body, headers={"x-csrftoken": csrf(bob)})).close()


# --- the selection bar's form ----------------------------------------------------------------


def test_the_form_answers_the_zip_as_an_attachment(archive: Archive) -> None:
    bob = sign_in_browser(archive.server, "bob")
    twin_a, twin_b = archive.twins
    chosen = [str(i) for i in (twin_a, twin_b, twin_a, archive.private_id)]
    answer = bob.post("/downloads", data={"photo_ids": chosen, "_csrf_token": csrf(bob)})
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    assert answer.headers["content-disposition"].startswith(
        f'attachment; filename="photoarchive-{day}.zip"'
    )
    with opened(answer) as zipped:
        assert zipped.namelist() == ["IMG_0001.JPG", "IMG_0001 (2).JPG", zips.LEFT_OUT]
        assert zipped.read("IMG_0001 (2).JPG") == archive.twins[twin_b]


def test_the_forms_refusals_are_pages_that_say_why(archive: Archive) -> None:
    bob = sign_in_browser(archive.server, "bob")
    token = csrf(bob)
    too_many = [str(n) for n in range(1, LIMIT + 2)]
    cases: list[tuple[dict[str, str | list[str]], int, str]] = [
        ({"_csrf_token": token}, 422, "Choose at least one photo"),
        ({"photo_ids": too_many, "_csrf_token": token}, 422, f"At most {LIMIT}"),
        ({"photo_ids": ["seven"], "_csrf_token": token}, 422, "by its id"),
        ({"photo_ids": str(archive.gps_id)}, 403, "security token"),
    ]
    for fields, status, words in cases:
        answer = bob.post("/downloads", data=fields)
        assert answer.status_code == status, answer.text[:300]
        assert answer.headers["content-type"].startswith("text/html")
        assert words in parse(answer.text).text
    guest = archive.server.client()
    signed_out = guest.post(
        "/downloads", data={"photo_ids": str(archive.gps_id), "_csrf_token": csrf(guest)}
    )
    assert signed_out.status_code == 401 and "sign in" in parse(signed_out.text).text.lower()


def sign_in_browser(server: LiveServer, name: str) -> httpx.Client:
    client = server.client()
    response = client.post(
        "/login", data={"login": name, "password": PASSWORD, "_csrf_token": csrf(client)}
    )
    assert response.status_code == 303, response.text
    return client


def test_the_refusals_are_the_ones_the_openapi_document_gives(archive: Archive) -> None:
    document = archive.server.client().get("/schema/openapi.json").json()
    operation = document["paths"]["/api/v1/downloads"]["post"]
    assert "application/zip" in operation["responses"]["200"]["content"]
    alice = api_login(archive.server, "alice")
    for answer in (
        alice.post("/api/v1/downloads", json={"photo_ids": []}),
        alice.post("/api/v1/downloads", json={"photo_ids": [0]}),
        archive.server.client().post("/api/v1/downloads", json={"photo_ids": [1]}),
        alice.post(
            "/api/v1/downloads", content=b"photo_ids=1", headers={"content-type": "text/plain"}
        ),
    ):
        check(document, "post", "/api/v1/downloads", answer)


def test_a_private_photo_in_an_album_goes_to_its_members(archive: Archive) -> None:
    """The same decision as the photo's page: an album holding it lets its members have it."""
    alice = api_login(archive.server, "alice")
    data = jpeg()
    made = alice.post(
        "/api/v1/photos",
        files=[("file", ("album-only.jpg", data, "image/jpeg"))],
        data={"visibility": "private"},
    )
    photo_id = made.json()["items"][0]["id"]
    album = alice.post("/api/v1/albums", json={"title": "for bob"}).json()["id"]
    added = alice.post(f"/api/v1/albums/{album}/photos", json={"photo_ids": [photo_id]})
    assert added.json()["added"] == [photo_id]
    ask = {"photo_ids": [photo_id]}
    bob = api_login(archive.server, "bob")
    with opened(bob.post("/api/v1/downloads", json=ask)) as zipped:
        assert zipped.namelist() == [zips.LEFT_OUT]
    assert alice.put(f"/api/v1/albums/{album}/members/bob", json={"role": "viewer"}).is_success
    with opened(bob.post("/api/v1/downloads", json=ask)) as zipped:
        assert zipped.namelist() == ["album-only.jpg"]
        assert zipped.read("album-only.jpg") == data
    with opened(api_login(archive.server, "admin").post("/api/v1/downloads", json=ask)) as zipped:
        assert zipped.namelist() == [zips.LEFT_OUT]  # not an administrator's to have


def test_from_a_bucket_the_zip_streams_through_the_server_even_in_presign_mode(
    rclone: S3Server, tmp_path: Path
) -> None:
    """Originals in S3 (rclone checks every signature): the zip is made by the server, which
    blanks others' location on the way, never a redirect to the store."""
    exiftool = _exiftool()
    bucket = rclone.new_bucket()
    settings = make_settings(tmp_path / "data", **rclone.settings(bucket, s3_serve="presign"))
    with live_server(settings) as server:
        sign_up(server, "alice")
        sign_up(server, "bob")
        alice = api_login(server, "alice")
        twin = jpeg()
        ids = [
            upload(alice, GPS).json()["items"][0]["id"],
            upload_bytes(alice, "DSCN0010.jpg", twin).json()["items"][0]["id"],
        ]
        with opened(alice.post("/api/v1/downloads", json={"photo_ids": ids})) as zipped:
            assert zipped.namelist() == ["DSCN0010.jpg", "DSCN0010 (2).jpg"]
            assert zipped.read("DSCN0010.jpg") == GPS.read_bytes()
            assert zipped.read("DSCN0010 (2).jpg") == twin
        bob = api_login(server, "bob")
        with opened(bob.post("/api/v1/downloads", json={"photo_ids": ids})) as zipped:
            copy = tmp_path / "bob.jpg"
            copy.write_bytes(zipped.read("DSCN0010.jpg"))
        assert copy.stat().st_size == GPS.stat().st_size
        assert gps_tags(exiftool, copy) == []


def test_an_original_missing_from_the_store_is_told_in_the_note_not_a_broken_zip(
    tmp_path: Path,
) -> None:
    """A file lost by the store (a partial restore, a deleted blob) ended the zip at that
    photo, after its first entries had gone out: no directory, no note, every try the same."""
    with archive_of(tmp_path / "data", ("admin", "alice")) as server:
        alice = api_login(server, "alice")
        made = {}
        for name in ("first.jpg", "lost.jpg", "last.jpg"):
            data = jpeg()
            answer = upload_bytes(alice, name, data)
            assert answer.status_code == 201, answer.text
            made[name] = (answer.json()["items"][0]["id"], data)
        lost = made["lost.jpg"][1]
        stored = [
            p for p in (tmp_path / "data").rglob("*") if p.is_file() and p.read_bytes() == lost
        ]
        assert len(stored) == 1
        stored[0].unlink()
        ids = [photo_id for photo_id, _ in made.values()]
        with opened(alice.post("/api/v1/downloads", json={"photo_ids": ids})) as zipped:
            assert zipped.namelist() == ["first.jpg", "last.jpg", zips.LEFT_OUT]
            assert zipped.read("last.jpg") == made["last.jpg"][1]
            note = zipped.read(zips.LEFT_OUT).decode()
        assert f"lost.jpg: {zips.UNREADABLE}" in note


@pytest.mark.parametrize("what", ["chosen photos", "an album"])
def test_a_zip_stops_when_its_session_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, what: str
) -> None:
    """A long zip read every photo afresh but never its viewer: one signed out (or disabled,
    or whose password was changed to end a stolen session) meanwhile got the rest of the
    album, others' private photos in it too. The session is now asked again before each
    photo; once it has ended, the zip ends there, without the directory no unzip goes by."""
    with archive_of(tmp_path / "data", ("admin", "alice")) as server:
        alice = api_login(server, "alice")
        ids = []
        for name in ("one.jpg", "two.jpg", "three.jpg"):
            made = upload_bytes(alice, name, jpeg())
            assert made.status_code == 201, made.text
            ids.append(made.json()["items"][0]["id"])
        album = alice.post("/api/v1/albums", json={"title": "Trip"}).json()["id"]
        added = alice.post(f"/api/v1/albums/{album}/photos", json={"photo_ids": ids})
        assert added.is_success, added.text
        find = photos.find

        async def signed_out_while_the_second_is_read(
            svc: Services, photo_id: int, viewer: User | None
        ) -> Photo:
            if photo_id == ids[1] and viewer is not None:  # as if from another tab, now
                await svc.db.execute("DELETE FROM sessions WHERE user_id = ?", (viewer.id,))
            return await find(svc, photo_id, viewer)

        monkeypatch.setattr(photos, "find", signed_out_while_the_second_is_read)
        if what == "an album":
            answer = alice.get(f"/api/v1/albums/{album}/download")
        else:
            answer = alice.post("/api/v1/downloads", json={"photo_ids": ids})
        assert answer.status_code == 200
        # The middle photo (of either order) is the last to go: the session ended as it was read.
        sent = [name for name in (b"one.jpg", b"two.jpg", b"three.jpg") if name in answer.content]
        assert len(sent) == 2 and b"two.jpg" in sent, sent
        with pytest.raises(zipfile.BadZipFile):
            zipfile.ZipFile(io.BytesIO(answer.content))
        monkeypatch.setattr(photos, "find", find)
        assert alice.get("/api/v1/me").status_code == 401
