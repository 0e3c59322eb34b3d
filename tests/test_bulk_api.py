"""POST /api/v1/photos/bulk over HTTP: each action by script (Bearer) and by the page's own
session (with the CSRF header); a mix of photos the caller may and may not touch answers 200
with each refusal as a single request would give it; refused requests (a count of 0 or 1001
ids, an unknown action, a parameter missing or extra, a guest, a share link's holder) change
nothing; the answers keep the OpenAPI document's shape."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from PIL import Image

from photoarchive.library import bulk
from tests.state import snapshot
from tests.support import LiveServer, api_login, csrf, live_server, make_settings, sign_up
from tests.test_openapi_contract import check

BULK = "/api/v1/photos/bulk"


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.frombytes("RGB", (16, 12), os.urandom(16 * 12 * 3)).save(buffer, "JPEG")
    return buffer.getvalue()


@dataclass
class World:
    server: LiveServer
    alice: httpx.Client  # Bearer
    bob: httpx.Client  # Bearer
    alice_page: httpx.Client  # the session cookie, as the grids' script sends it
    document: dict[str, Any]

    def photo(self, client: httpx.Client, visibility: str = "family") -> int:
        sent = client.post(
            "/api/v1/photos", files=[("file", ("p.jpg", jpeg()))], data={"visibility": visibility}
        )
        assert sent.status_code == 201, sent.text
        return int(sent.json()["items"][0]["id"])

    def bulk(self, client: httpx.Client, body: dict[str, Any], **kw: Any) -> httpx.Response:
        response = client.post(BULK, json=body, **kw)
        check(self.document, "post", BULK, response)
        return response


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
    module_database: Callable[[], str],
) -> Iterator[World]:
    settings = make_settings(
        tmp_path_factory.mktemp("bulk") / "data", database_url=module_database()
    )
    with live_server(settings) as server:
        alice_page = sign_up(server, "alice")
        sign_up(server, "bob")
        document = server.client().get("/schema/openapi.json").json()
        yield World(
            server, api_login(server, "alice"), api_login(server, "bob"), alice_page, document
        )


def test_each_action_by_script_with_mixed_photos(world: World) -> None:
    mine = [world.photo(world.alice) for _ in range(2)]
    hidden = world.photo(world.alice, "private")
    bobs = world.photo(world.bob)

    answer = world.bulk(world.bob, {"photo_ids": [*mine, hidden, mine[0]], "action": "favorite"})
    assert answer.status_code == 200
    single = world.bob.put(f"/api/v1/photos/{hidden}/favorite")
    assert single.status_code == 404
    assert answer.json() == {
        "done": mine,
        "failed": [{"id": hidden, "status": 404, "detail": single.json()["detail"]}],
    }
    assert [p["id"] for p in world.bob.get("/api/v1/favorites").json()["items"]] == mine[::-1]
    answer = world.bulk(world.bob, {"photo_ids": mine, "action": "unfavorite"})
    assert answer.json() == {"done": mine, "failed": []}
    assert world.bob.get("/api/v1/favorites").json()["items"] == []

    answer = world.bulk(world.alice, {"photo_ids": [mine[0], bobs], "action": "archive"})
    single = world.alice.patch(f"/api/v1/photos/{bobs}", json={"archived": True})
    assert single.status_code == 403
    assert answer.json() == {
        "done": [mine[0]],
        "failed": [{"id": bobs, "status": 403, "detail": single.json()["detail"]}],
    }
    feed = world.bob.get("/api/v1/photos").json()["items"]
    assert mine[0] not in [p["id"] for p in feed] and mine[1] in [p["id"] for p in feed]
    answer = world.bulk(world.alice, {"photo_ids": [mine[0]], "action": "unarchive"})
    assert answer.json() == {"done": [mine[0]], "failed": []}
    assert mine[0] in [p["id"] for p in world.bob.get("/api/v1/photos").json()["items"]]

    body = {"photo_ids": mine, "action": "set_visibility", "visibility": "private"}
    assert world.bulk(world.alice, body).json() == {"done": mine, "failed": []}
    for photo_id in mine:
        assert world.bob.get(f"/api/v1/photos/{photo_id}").status_code == 404
    body["visibility"] = "family"
    assert world.bulk(world.alice, body).json() == {"done": mine, "failed": []}
    assert world.bob.get(f"/api/v1/photos/{mine[0]}").json()["visibility"] == "family"


def test_add_to_album_and_its_refusals(world: World) -> None:
    album = world.alice.post("/api/v1/albums", json={"title": "Trip"}).json()["id"]
    mine = world.photo(world.alice)
    bobs = world.photo(world.bob)
    body = {"photo_ids": [mine, bobs], "action": "add_to_album", "album_id": album}
    answer = world.bulk(world.alice, body)
    assert answer.status_code == 200
    assert answer.json()["done"] == [mine]
    assert [(f["id"], f["status"]) for f in answer.json()["failed"]] == [(bobs, 403)]
    photos = world.alice.get(f"/api/v1/albums/{album}/photos").json()["items"]
    assert [p["id"] for p in photos] == [mine]
    # Not a member: the album is not there (404); a viewer may not add (403). Nothing moves.
    stranger = world.bulk(world.bob, {**body, "photo_ids": [bobs]})
    assert (stranger.status_code, stranger.json()["detail"]) == (
        404,
        world.bob.get(f"/api/v1/albums/{album}").json()["detail"],
    )
    world.alice.put(f"/api/v1/albums/{album}/members/bob", json={"role": "viewer"})
    before = snapshot(world.server)
    viewer = world.bulk(world.bob, {**body, "photo_ids": [bobs]})
    assert viewer.status_code == 403
    assert not before.diff(snapshot(world.server))


def test_the_pages_session_needs_the_csrf_header(world: World) -> None:
    photo = world.photo(world.alice)
    body = {"photo_ids": [photo], "action": "favorite"}
    before = snapshot(world.server)
    forged = world.alice_page.post(BULK, json=body)
    assert forged.status_code == 403
    assert not before.diff(snapshot(world.server))
    sent = world.bulk(world.alice_page, body, headers={"x-csrftoken": csrf(world.alice_page)})
    assert sent.json() == {"done": [photo], "failed": []}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"photo_ids": [], "action": "favorite"}, 422, "photo_ids"),
        ({"photo_ids": list(range(1, bulk.IDS_MAX + 2)), "action": "favorite"}, 422, "photo_ids"),
        ({"photo_ids": [1], "action": "obliterate"}, 422, "action"),
        ({"photo_ids": [1], "action": "set_visibility"}, 422, "visibility"),
        ({"photo_ids": [1], "action": "set_visibility", "visibility": "all"}, 422, "visibility"),
        ({"photo_ids": [1], "action": "add_to_album"}, 422, "album_id"),
        ({"photo_ids": [1], "action": "favorite", "album_id": 1}, 422, "album_id"),
        ({"photo_ids": [1], "action": "archive", "visibility": "private"}, 422, "visibility"),
        ({"photo_ids": [1], "action": "favorite", "colour": "red"}, 400, None),
        ({"photo_ids": ["one"], "action": "favorite"}, 400, None),
        ({"action": "favorite"}, 400, None),
    ],
)
def test_a_wrong_request_is_refused_and_changes_nothing(
    world: World, body: dict[str, Any], status: int, field: str | None
) -> None:
    world.photo(world.alice)
    before = snapshot(world.server)
    answer = world.bulk(world.alice, body)
    assert answer.status_code == status, answer.text
    assert answer.json().get("field") == field
    assert not before.diff(snapshot(world.server))


def test_a_thousand_ids_with_duplicates_are_answered_once_each(world: World) -> None:
    photo = world.photo(world.bob)
    # 1,000 ids sent (the most), one of them twice.
    ids = [photo, photo, *range(photo + 10_000, photo + 10_000 + bulk.IDS_MAX - 2)]
    answer = world.bulk(world.bob, {"photo_ids": ids, "action": "archive"})
    assert answer.status_code == 200
    assert answer.json()["done"] == [photo]
    failed = answer.json()["failed"]
    assert len(failed) == bulk.IDS_MAX - 2 and {f["status"] for f in failed} == {404}


def test_guests_and_link_holders_are_refused(world: World) -> None:
    photo = world.photo(world.alice)
    made = world.alice.post("/api/v1/shares", json={"photo_ids": [photo]})
    assert made.status_code == 201
    holder = world.server.client()
    assert holder.get(f"/s/{made.json()['token']}").status_code == 200
    before = snapshot(world.server)
    for client in (world.server.client(), holder):
        answer = world.bulk(client, {"photo_ids": [photo], "action": "favorite"})
        assert answer.status_code == 401
    headers = {"X-Share-Password": "anything", "Authorization": "Bearer not-a-session"}
    forged = world.bulk(holder, {"photo_ids": [photo], "action": "favorite"}, headers=headers)
    assert forged.status_code == 401
    assert not before.diff(snapshot(world.server))


def test_trash_and_restore_many_each_photo_decided_alone(world: World) -> None:
    mine = [world.photo(world.alice) for _ in range(3)]
    theirs = world.photo(world.bob)
    private = world.photo(world.bob, "private")
    moved = world.bulk(
        world.alice, {"photo_ids": [*mine, theirs, private, mine[0]], "action": "trash"}
    )
    assert moved.status_code == 200, moved.text
    # alice is the administrator (the first account): bob's family photo goes to his trash;
    # his private one is not hers to see.
    assert moved.json()["done"] == [*mine, theirs]
    assert [(f["id"], f["status"]) for f in moved.json()["failed"]] == [(private, 404)]
    trashed = {item["id"] for item in world.alice.get("/api/v1/trash").json()["items"]}
    assert trashed >= set(mine)  # (other tests of this module trash photos of theirs too)
    assert world.bob.get(f"/api/v1/photos/{mine[0]}").status_code == 404
    # Only the owner restores, each photo on its own; one not in the trash fails alone.
    refused = world.bulk(world.bob, {"photo_ids": mine[:1], "action": "restore"})
    assert refused.json() == {
        "done": [],
        "failed": [{"id": mine[0], "status": 404, "detail": "That photo is not in your trash."}],
    }
    back = world.bulk(world.alice, {"photo_ids": [mine[0], mine[1], theirs], "action": "restore"})
    assert back.json()["done"] == mine[:2]
    assert [f["id"] for f in back.json()["failed"]] == [theirs]
    assert world.bob.get(f"/api/v1/photos/{mine[0]}").status_code == 200
    assert world.bulk(world.bob, {"photo_ids": [theirs], "action": "restore"}).json()["done"] == [
        theirs
    ]
    left = {item["id"] for item in world.alice.get("/api/v1/trash").json()["items"]}
    assert mine[2] in left and not left & set(mine[:2])


def test_shift_date_moves_each_dated_photo_of_ones_own(world: World) -> None:
    dated = world.photo(world.alice)
    assert world.alice.patch(
        f"/api/v1/photos/{dated}", json={"taken_at": "2019-07-01T14:00:00"}
    ).is_success
    undated = world.photo(world.alice)
    theirs = world.photo(world.bob)
    assert world.bob.patch(
        f"/api/v1/photos/{theirs}", json={"taken_at": "2019-07-01T14:00:00"}
    ).is_success
    body = {"photo_ids": [dated, undated, theirs], "action": "shift_date", "seconds": -3600}
    shifted = world.bulk(world.alice, body)
    assert shifted.status_code == 200, shifted.text
    assert shifted.json()["done"] == [dated]
    assert [f["id"] for f in shifted.json()["failed"]] == [undated, theirs]
    assert (
        world.alice.get(f"/api/v1/photos/{dated}").json()["taken_at"].startswith("2019-07-01T13:00")
    )
    assert (
        world.bob.get(f"/api/v1/photos/{theirs}").json()["taken_at"].startswith("2019-07-01T14:00")
    )
    for wrong in (10**12, "an hour", None):
        refused = world.bulk(world.alice, {**body, "seconds": wrong})
        assert refused.status_code in (400, 422), refused.text
    missing = world.bulk(world.alice, {"photo_ids": [dated], "action": "shift_date"})
    assert missing.status_code == 422 and missing.json()["field"] == "seconds"
