"""The renditions' front door (web/media_door.py) over HTTP: for every kind of viewer and every
state a photo can be in, a thumbnail or preview fetched with GET (which the door may answer)
gets the same status, headers and bytes as the same request made through the framework (HEAD
and `Range: bytes=0-`, which the door always passes on). The door only answers what the
framework would have, and whatever it does not answer, the framework still does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cloud import S3Server
from tests.support import PHOTOS, LiveServer, api_login, archive_of, browser, uploaded

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

CAMERA = PHOTOS / "cameras" / "Canon_40D.jpg"
# Headers that differ by nature between a whole answer and the same one as a range or HEAD;
# and the form token's cookie, which the first answer a browser gets without one sets.
VARYING = {"date", "content-range", "set-cookie"}


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[LiveServer]:
    with archive_of(tmp_path / "data", ("admin", "owner", "member", "viewer")) as server:
        yield server


def photos_in_every_state(archive: LiveServer) -> dict[str, int]:
    """The owner's photos: one the family sees, one private, one private but in an album
    `viewer` is a member of, one in the trash, one archived."""
    owner = api_login(archive, "owner")
    sources = sorted((PHOTOS / "cameras").glob("*.jpg"))[:5]
    ids = [uploaded(owner, path) for path in sources]
    family, private, in_album, trashed, archived = ids
    for photo_id in (private, in_album):
        made = owner.patch(f"/api/v1/photos/{photo_id}", json={"visibility": "private"})
        assert made.status_code == 200, made.text
    album = owner.post("/api/v1/albums", json={"title": "Just us"}).json()["id"]
    owner.post(f"/api/v1/albums/{album}/photos", json={"photo_ids": [in_album]})
    joined = owner.put(f"/api/v1/albums/{album}/members/viewer", json={"role": "viewer"})
    assert joined.status_code == 200, joined.text
    assert owner.delete(f"/api/v1/photos/{trashed}").status_code in (200, 204)
    put_away = owner.post(
        "/api/v1/photos/bulk", json={"action": "archive", "photo_ids": [archived]}
    )
    assert put_away.status_code == 200, put_away.text
    return {
        "family": family,
        "private": private,
        "private, in viewer's album": in_album,
        "trashed": trashed,
        "archived": archived,
    }


def answer(response: httpx.Response) -> tuple[int, dict[str, str]]:
    headers = {k: v for k, v in response.headers.items() if k not in VARYING}
    return response.status_code, headers


def test_the_door_answers_as_the_framework_would_for_every_viewer_and_photo(
    archive: LiveServer,
) -> None:
    states = photos_in_every_state(archive)
    door = archive.app.media_door
    answered = door.answered
    statuses: dict[tuple[str, str], int] = {}
    for who in (None, "owner", "member", "viewer", "admin"):
        client = browser(archive, who)
        for state, photo_id in states.items():
            for name in ("thumbnail", "preview"):
                url = f"/media/{photo_id}/{name}"
                got = client.get(url)
                head = client.head(url)
                ranged = client.get(url, headers={"Range": "bytes=0-"})
                assert answer(got) == answer(head), (who, state, name)
                if got.status_code == 200:
                    assert ranged.status_code == 206
                    assert got.content == ranged.content
                    assert got.headers["content-length"] == str(len(got.content))
                else:
                    assert answer(ranged) == answer(got) and got.content == ranged.content
                statuses[(who or "guest", state)] = got.status_code
    assert door.answered > answered  # the door did answer the plain requests
    # What each viewer gets: the access rule's answer, whichever way the request went.
    assert statuses[("guest", "family")] == 401
    assert statuses[("member", "family")] == 200
    assert statuses[("member", "private")] == 404
    assert statuses[("viewer", "private, in viewer's album")] == 200
    assert statuses[("member", "private, in viewer's album")] == 404
    assert statuses[("owner", "trashed")] == 200  # for the trash page
    assert statuses[("admin", "trashed")] == 404
    assert statuses[("member", "archived")] == 200
    assert statuses[("admin", "private")] == 404


def test_a_change_is_seen_by_the_very_next_thumbnail(archive: LiveServer) -> None:
    owner = api_login(archive, "owner")
    photo_id = uploaded(owner, CAMERA)
    member = browser(archive, "member")
    url = f"/media/{photo_id}/thumbnail"
    assert member.get(url).status_code == 200
    owner.patch(f"/api/v1/photos/{photo_id}", json={"visibility": "private"})
    assert member.get(url).status_code == 404
    owner.patch(f"/api/v1/photos/{photo_id}", json={"visibility": "family"})
    assert member.get(url).status_code == 200
    member.post("/logout", headers={"x-csrftoken": member.cookies.get("csrftoken", "")})
    assert member.get(url).status_code == 401


def test_what_the_door_passes_on_is_still_answered(archive: LiveServer) -> None:
    owner = api_login(archive, "owner")  # a Bearer token: the framework's
    photo_id = uploaded(owner, CAMERA)
    url = f"/media/{photo_id}/thumbnail"
    door = archive.app.media_door
    before = door.answered
    by_token = owner.get(url)
    assert by_token.status_code == 200 and by_token.content
    etag = by_token.headers["etag"]
    assert owner.get(url, headers={"If-None-Match": etag}).status_code == 304
    member = browser(archive, "member")
    assert member.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert member.get(f"/media/{photo_id}/original").status_code == 200
    assert member.get(f"/media/{photo_id}/nonsense").status_code == 404
    assert member.get(f"/media/{photo_id + 1000}/thumbnail").status_code == 404
    assert door.answered == before  # none of those was the door's
    assert member.get(url).content == by_token.content
    assert door.answered == before + 1


def test_a_missing_rendition_is_the_frameworks_to_answer(archive: LiveServer) -> None:
    owner = browser(archive, "owner")  # nothing asked for the thumbnail yet: none kept
    photo_id = uploaded(owner, CAMERA)
    for path in archive.blobs():
        if "thumbnails" in path.parts:
            path.unlink()
    missing = owner.get(f"/media/{photo_id}/thumbnail")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "This file is missing from the store."


def test_a_store_that_signs_urls_leaves_every_request_to_the_framework(
    rclone: S3Server, tmp_path: Path
) -> None:
    """The door settles once, when it is built, that such a store's files are the framework's
    to send: it asks nothing per request, and the framework's answers come as before, a
    redirect to the store after its own access check (or the bytes, when the stored file's
    name would tell another viewer of a location kept in the original)."""
    bucket = rclone.new_bucket()
    names = ("admin", "owner", "member")
    with archive_of(
        tmp_path / "data", names, **rclone.settings(bucket, s3_serve="presign")
    ) as server:
        owner = browser(server, "owner")
        plain = uploaded(owner, PHOTOS / "cameras" / "Nikon_D70.jpg")
        located = uploaded(owner, CAMERA)  # it has a GPS block
        member, guest = browser(server, "member"), browser(server, None)
        expected = [
            (owner, plain, 302),
            (owner, located, 302),
            (member, plain, 302),
            (member, located, 200),
            (guest, plain, 401),
        ]
        for client, photo_id, status in expected:
            for name in ("thumbnail", "preview"):
                sent = client.get(f"/media/{photo_id}/{name}")  # a plain GET with the cookie
                assert sent.status_code == status, (photo_id, name, sent.text[:200])
                if status != 302:
                    assert "location" not in sent.headers
                    continue
                assert sent.headers["location"].startswith(f"{rclone.endpoint}/")
                with httpx.Client() as store:
                    fetched = store.get(sent.headers["location"])
                assert fetched.status_code == 200
                assert fetched.headers["content-type"] == "image/webp"
        # Nor did it look anything up first: a plain GET costs what one it never reads does.
        url = f"/media/{plain}/thumbnail"
        costs = []
        for headers in ({}, {"Range": "bytes=0-"}, {}):
            before = server.queries()
            assert member.get(url, headers=headers).status_code == 302
            costs.append(server.queries() - before)
        assert costs[0] == costs[1] == costs[2] > 0, costs
        assert server.app.media_door.answered == 0
