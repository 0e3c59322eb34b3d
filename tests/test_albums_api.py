"""The album API over HTTP: every operation, its refusals, and each answer held to the OpenAPI
document (tests/test_openapi_contract.py `check`); the zip read back; who sees a private photo
once it is in an album, and once it is out again."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from photoarchive.accounts.users import User
from photoarchive.library import originals, trash, zips
from photoarchive.library.photos import Photo
from photoarchive.services import Services
from tests.support import (
    PHOTOS,
    LiveServer,
    api_login,
    archive_of,
    upload_bytes,
    uploaded,
)
from tests.test_openapi_contract import check

CAMERAS = sorted((PHOTOS / "cameras").glob("*.jpg"))
GPS = PHOTOS / "gps" / "DSCN0010.jpg"
ONE = "/api/v1/albums/{album_id}"
PHOTOS_OF = "/api/v1/albums/{album_id}/photos"
MEMBER = "/api/v1/albums/{album_id}/members/{username}"


@pytest.fixture(scope="module")
def archive(
    tmp_path_factory: pytest.TempPathFactory,
    module_database: Callable[[], str],
) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("albums") / "data"
    names = ("admin", "owner", "helper", "looker", "stranger")
    with archive_of(data, names, database_url=module_database()) as server:
        yield server


@pytest.fixture(scope="module")
def document(archive: LiveServer) -> dict[str, Any]:
    return archive.client().get("/schema/openapi.json").json()


@pytest.fixture(scope="module")
def people(archive: LiveServer) -> dict[str, httpx.Client]:
    return {
        name: api_login(archive, name)
        for name in ("admin", "owner", "helper", "looker", "stranger")
    }


def new_photo(client: httpx.Client, path: Path, *, private: bool = False) -> int:
    photo_id: int = uploaded(client, path)
    if private:
        made = client.patch(f"/api/v1/photos/{photo_id}", json={"visibility": "private"})
        assert made.status_code == 200
    return photo_id


def new_album(doc: dict[str, Any], owner: httpx.Client, title: str = "Summer") -> dict[str, Any]:
    made = owner.post("/api/v1/albums", json={"title": title, "description": "by the sea"})
    assert made.status_code == 201, made.text
    check(doc, "post", "/api/v1/albums", made)
    return made.json()


def test_every_album_operation_answers_as_documented(
    document: dict[str, Any], people: dict[str, httpx.Client]
) -> None:
    owner, helper, looker = people["owner"], people["helper"], people["looker"]
    album = new_album(document, owner)
    assert album["role"] == "owner" and album["owner"] == {"username": "owner"}
    assert album["members"] == [{"username": "owner", "role": "owner"}]
    assert album["photo_count"] == 0 and album["cover"] is None and album["sort"] == "taken_desc"
    url = f"/api/v1/albums/{album['id']}"

    for name, role in (("helper", "contributor"), ("looker", "viewer")):
        made = owner.put(f"{url}/members/{name}", json={"role": role})
        assert made.status_code == 200, made.text
        check(document, "put", MEMBER, made)
    mine = [new_photo(owner, path) for path in CAMERAS[:2]]
    private = new_photo(owner, CAMERAS[2], private=True)
    theirs = new_photo(helper, CAMERAS[3])

    added = owner.post(
        f"{url}/photos", json={"photo_ids": [*mine, private, theirs, mine[0], 987654]}
    )
    check(document, "post", PHOTOS_OF, added)
    assert added.json() == {
        "added": [*mine, private],
        "skipped": [{"id": theirs, "reason": "not_yours"}, {"id": 987654, "reason": "not_found"}],
    }
    again = owner.post(f"{url}/photos", json={"photo_ids": [mine[0]]}).json()
    assert again["skipped"] == [{"id": mine[0], "reason": "already_in_album"}]
    by_helper = helper.post(f"{url}/photos", json={"photo_ids": [theirs]})
    assert by_helper.json()["added"] == [theirs]

    for who in (owner, helper, looker):
        got = who.get(url)
        check(document, "get", ONE, got)
        assert got.json()["photo_count"] == 4
        page = who.get(f"{url}/photos", params={"limit": 3})
        check(document, "get", PHOTOS_OF, page)
        rest = who.get(f"{url}/photos", params={"cursor": page.json()["next_cursor"]}).json()
        ids = [p["id"] for p in page.json()["items"] + rest["items"]]
        assert sorted(ids) == sorted([*mine, private, theirs]) and rest["next_cursor"] is None
    listed = looker.get("/api/v1/albums")
    check(document, "get", "/api/v1/albums", listed)
    assert [a["id"] for a in listed.json()["items"]] == [album["id"]]
    assert listed.json()["items"][0]["role"] == "viewer"

    edited = owner.patch(
        url, json={"title": "Summer 2024", "cover_photo_id": private, "sort": "added_desc"}
    )
    check(document, "patch", ONE, edited)
    body = edited.json()
    assert body["title"] == "Summer 2024" and body["sort"] == "added_desc"
    assert body["cover"].startswith(f"/media/{private}/thumbnail")
    order = [p["id"] for p in looker.get(f"{url}/photos").json()["items"]]
    assert order[0] == theirs  # added last

    # A contributor removes only what they added; the owner removes any.
    removed = helper.post(f"{url}/photos/remove", json={"photo_ids": [theirs, mine[0]]})
    check(document, "post", "/api/v1/albums/{album_id}/photos/remove", removed)
    assert removed.json() == {"removed": [theirs]}
    assert owner.post(f"{url}/photos/remove", json={"photo_ids": [private]}).json() == {
        "removed": [private]
    }
    assert owner.get(url).json()["cover"] != body["cover"]  # the cover left with its photo

    download = looker.get(f"{url}/download")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert 'filename="Summer 2024.zip"' in download.headers["content-disposition"]

    left = looker.delete(f"{url}/members/looker")
    assert left.status_code == 204
    assert looker.get(url).status_code == 404
    assert owner.delete(f"{url}/members/helper").status_code == 204
    assert owner.delete(url).status_code == 204
    assert owner.get(f"/api/v1/photos/{mine[0]}").status_code == 200  # the photos stay


def test_refusals_are_documented_and_reveal_no_album(
    archive: LiveServer, document: dict[str, Any], people: dict[str, httpx.Client]
) -> None:
    owner, looker, stranger, admin = (people[n] for n in ("owner", "looker", "stranger", "admin"))
    album = new_album(document, owner, "Refusals")
    url = f"/api/v1/albums/{album['id']}"
    owner.put(f"{url}/members/looker", json={"role": "viewer"})
    photo = new_photo(owner, CAMERAS[4])

    def refused(
        method: str, path: str, response: httpx.Response, status: int, field: str | None = None
    ) -> None:
        assert response.status_code == status, response.text
        check(document, method, path, response)
        if field:
            assert response.json()["field"] == field

    for who in (stranger, admin):  # not members: the album is not there for them
        refused("get", ONE, who.get(url), 404)
        refused("get", PHOTOS_OF, who.get(f"{url}/photos"), 404)
        refused("patch", ONE, who.patch(url, json={"title": "x"}), 404)
        refused("delete", ONE, who.delete(url), 404)
        refused("post", PHOTOS_OF, who.post(f"{url}/photos", json={"photo_ids": [photo]}), 404)
        refused("put", MEMBER, who.put(f"{url}/members/stranger", json={"role": "viewer"}), 404)
        refused("delete", MEMBER, who.delete(f"{url}/members/looker"), 404)
        refused("get", "/api/v1/albums/{album_id}/download", who.get(f"{url}/download"), 404)
    guest = archive.client()
    refused("get", "/api/v1/albums", guest.get("/api/v1/albums"), 401)
    refused("get", ONE, guest.get(url), 401)
    # A viewer may look, not change.
    refused("patch", ONE, looker.patch(url, json={"title": "mine now"}), 403)
    refused("post", PHOTOS_OF, looker.post(f"{url}/photos", json={"photo_ids": [photo]}), 403)
    refused("delete", ONE, looker.delete(url), 403)
    refused("delete", MEMBER, looker.delete(f"{url}/members/owner"), 403)
    refused("put", MEMBER, looker.put(f"{url}/members/stranger", json={"role": "viewer"}), 403)
    # Values refused.
    refused(
        "post", "/api/v1/albums", owner.post("/api/v1/albums", json={"title": " "}), 422, "title"
    )
    refused(
        "post",
        "/api/v1/albums",
        owner.post("/api/v1/albums", json={"title": "t" * 201}),
        422,
        "title",
    )
    long = {"title": "ok", "description": "d" * 2001}
    refused("post", "/api/v1/albums", owner.post("/api/v1/albums", json=long), 422, "description")
    refused("patch", ONE, owner.patch(url, json={"sort": "random"}), 422, "sort")
    refused("patch", ONE, owner.patch(url, json={"cover_photo_id": photo}), 422, "cover_photo_id")
    many = {"photo_ids": list(range(1, 1002))}
    refused("post", PHOTOS_OF, owner.post(f"{url}/photos", json=many), 422, "photo_ids")
    refused(
        "put", MEMBER, owner.put(f"{url}/members/stranger", json={"role": "owner"}), 422, "role"
    )
    refused("put", MEMBER, owner.put(f"{url}/members/nobody_here", json={"role": "viewer"}), 404)
    refused("delete", MEMBER, owner.delete(f"{url}/members/owner"), 422)
    refused("delete", MEMBER, owner.delete(f"{url}/members/stranger"), 404)
    refused("get", PHOTOS_OF, owner.get(f"{url}/photos", params={"cursor": "!!"}), 400)
    refused("post", "/api/v1/albums", owner.post("/api/v1/albums", json={"name": "x"}), 400)
    assert owner.post("/api/v1/albums", json=[1]).status_code == 400


def test_pages_keep_a_stable_order_under_each_sort(
    document: dict[str, Any], people: dict[str, httpx.Client]
) -> None:
    owner = people["owner"]
    album = new_album(document, owner, "Order")
    url = f"/api/v1/albums/{album['id']}"
    ids = [new_photo(owner, path) for path in CAMERAS[:5]]
    for photo_id in ids:  # one at a time: each its own added_at
        owner.post(f"{url}/photos", json={"photo_ids": [photo_id]})
    for sort in ("taken_desc", "taken_asc", "added_desc"):
        owner.patch(url, json={"sort": sort})
        whole = [p["id"] for p in owner.get(f"{url}/photos").json()["items"]]
        paged: list[int] = []
        cursor = None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = owner.get(f"{url}/photos", params=params).json()
            paged += [p["id"] for p in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert paged == whole and sorted(whole) == sorted(ids), sort
        if sort == "added_desc":
            assert whole == ids[::-1]
        stamps = [
            p["taken_at"] or p["created_at"] for p in owner.get(f"{url}/photos").json()["items"]
        ]
        if sort == "taken_asc":
            assert stamps == sorted(stamps)
        if sort == "taken_desc":
            assert stamps == sorted(stamps, reverse=True)


def test_the_zip_holds_the_originals_as_each_member_may_have_them(
    document: dict[str, Any], people: dict[str, httpx.Client]
) -> None:
    owner, looker = people["owner"], people["looker"]
    album = new_album(document, owner, "Zipped")
    url = f"/api/v1/albums/{album['id']}"
    owner.put(f"{url}/members/looker", json={"role": "viewer"})
    ids = [new_photo(owner, GPS, private=True), new_photo(owner, CAMERAS[0])]
    owner.post(f"{url}/photos", json={"photo_ids": ids})

    def read(client: httpx.Client) -> dict[str, bytes]:
        answer = client.get(f"{url}/download")
        assert answer.status_code == 200
        with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
            assert archive.testzip() is None
            return {name: archive.read(name) for name in archive.namelist()}

    mine, theirs = read(owner), read(looker)
    assert sorted(mine) == sorted(theirs) == sorted([GPS.name, CAMERAS[0].name])
    assert mine[GPS.name] == GPS.read_bytes()  # the owner's copy is byte for byte
    assert len(theirs[GPS.name]) == len(mine[GPS.name])
    assert theirs[GPS.name] != mine[GPS.name]  # the location blanked for a non-owner
    assert mine[CAMERAS[0].name] == CAMERAS[0].read_bytes()
    assert len(theirs[CAMERAS[0].name]) == len(mine[CAMERAS[0].name])


def test_long_names_in_the_zip_keep_their_endings(
    document: dict[str, Any], people: dict[str, httpx.Client]
) -> None:
    """Names are shortened in the zip; the ending a computer opens a file by must survive it:
    a photo uploaded as `<175 letters>.html<more>.jpg` goes out as a .jpg, never as the .html
    its first 180 characters would make of it, and a long title's zip is still a .zip."""
    owner, helper = people["owner"], people["helper"]
    title = "A summer by the sea with all the cousins " * 5  # the longest title there may be
    album = new_album(document, owner, title[:200])
    url = f"/api/v1/albums/{album['id']}"
    owner.put(f"{url}/members/helper", json={"role": "contributor"})
    sneaky = "x" * 175 + ".html" + "-page.jpg"
    made = upload_bytes(helper, sneaky, CAMERAS[4].read_bytes())
    assert made.status_code == 201, made.text
    photo_id = made.json()["items"][0]["id"]
    assert helper.post(f"{url}/photos", json={"photo_ids": [photo_id]}).json()["added"]
    answer = owner.get(f"{url}/download")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"].endswith(".zip")
    assert 'filename="A summer by the sea' in answer.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        (name,) = archive.namelist()
    assert name.endswith(".jpg") and ".html" not in name[-10:] and name.startswith("xxx")


def test_a_private_photo_in_an_album_is_its_members_only(
    archive: LiveServer, document: dict[str, Any], people: dict[str, httpx.Client]
) -> None:
    owner, looker, stranger, admin = (people[n] for n in ("owner", "looker", "stranger", "admin"))
    album = new_album(document, owner, "Private things")
    url = f"/api/v1/albums/{album['id']}"
    owner.put(f"{url}/members/looker", json={"role": "viewer"})
    photo = new_photo(owner, CAMERAS[1], private=True)
    one = f"/api/v1/photos/{photo}"
    assert looker.get(one).status_code == 404
    owner.post(f"{url}/photos", json={"photo_ids": [photo]})
    seen = looker.get(one)
    assert seen.status_code == 200 and seen.json()["visibility"] == "private"
    assert looker.get(f"/media/{photo}/thumbnail").status_code == 200
    # Members react to it as on the feed.
    assert looker.post(f"{one}/comments", json={"text": "lovely"}).status_code == 201
    assert looker.put(f"{one}/like").status_code == 200
    for other in (stranger, admin):
        assert other.get(one).status_code == 404
        assert photo not in [p["id"] for p in other.get("/api/v1/photos").json()["items"]]
    owner.post(f"{url}/photos/remove", json={"photo_ids": [photo]})
    assert looker.get(one).status_code == 404
    assert looker.get(f"/media/{photo}/thumbnail").status_code == 404


def test_a_photo_trashed_while_the_zip_is_sent_is_left_out(
    document: dict[str, Any], people: dict[str, httpx.Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The zip reads each photo again as it comes to it: one put in the trash while the zip
    is being sent (a long one takes minutes) goes out no more, and is only counted."""
    owner = people["owner"]
    album = new_album(document, owner, "A long zip")
    url = f"/api/v1/albums/{album['id']}"
    ids = [new_photo(owner, CAMERAS[1]), new_photo(owner, CAMERAS[2])]
    assert owner.post(f"{url}/photos", json={"photo_ids": ids}).json()["added"]
    as_sent = originals.holder_patches
    trashed: list[int] = []

    async def the_other_trashed_as_the_first_goes_out(
        svc: Services, photo: Photo, viewer: User | None, *, camera: bool
    ) -> list[tuple[int, bytes]]:
        if not trashed and viewer is not None:
            trashed.append(ids[1] if photo.id == ids[0] else ids[0])
            await trash.move(svc, viewer, trashed[0])
        return await as_sent(svc, photo, viewer, camera=camera)

    monkeypatch.setattr(originals, "holder_patches", the_other_trashed_as_the_first_goes_out)
    answer = owner.get(f"{url}/download")
    assert answer.status_code == 200
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        names = archive.namelist()
        note = archive.read(zips.LEFT_OUT).decode()
    assert len(trashed) == 1 and len(names) == 2, names
    assert note.strip() == "1 photo could not be included."
