"""Share links' real API answers against the OpenAPI document (closed schemas: see
test_openapi_contract.py): one's own links made, listed, changed and revoked, what a link's
holder reads, and every refusal of them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import (
    PHOTOS,
    FrozenClock,
    LiveServer,
    api_login,
    live_server,
    make_settings,
    sign_up,
    upload,
)
from tests.test_openapi_contract import check

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

CAMERAS = sorted((PHOTOS / "cameras").glob("*.jpg"))
SHARES = "/api/v1/shares"
ONE = "/api/v1/shares/{share_id}"
HELD = "/api/v1/s/{share_token}"
SECRET = "a family secret"


@pytest.fixture
def document(server: LiveServer) -> dict[str, Any]:
    answer = server.client().get("/schema/openapi.json")
    assert answer.status_code == 200
    return dict(answer.json())


def test_share_answers_match_the_document(
    server: LiveServer, document: dict[str, Any], frozen_clock: FrozenClock
) -> None:
    sign_up(server, "alice")
    alice = api_login(server, "alice")
    first, second = (upload(alice, p).json()["items"][0]["id"] for p in CAMERAS[:2])
    album = alice.post("/api/v1/albums", json={"title": "Summer", "description": "by the sea"})
    assert album.status_code == 201, album.text
    added = alice.post(
        f"/api/v1/albums/{album.json()['id']}/photos", json={"photo_ids": [first, second]}
    )
    assert added.status_code == 200, added.text

    soon = datetime.fromtimestamp(frozen_clock.moment + 3600, UTC).isoformat()
    made = alice.post(
        SHARES,
        json={
            "photo_ids": [first, second],
            "expires_at": soon,
            "password": SECRET,
            "allow_download": True,
            "show_metadata": True,
        },
    )
    assert made.status_code == 201, made.text
    check(document, "post", SHARES, made)
    plain = alice.post(SHARES, json={"album_id": album.json()["id"]})
    assert plain.status_code == 201, plain.text
    check(document, "post", SHARES, plain)
    assert plain.json()["kind"] == "album" and plain.json()["expires_at"] is None

    listed = alice.get(SHARES)
    check(document, "get", SHARES, listed)
    assert [s["id"] for s in listed.json()["items"]] == [plain.json()["id"], made.json()["id"]]
    share_id, token = made.json()["id"], made.json()["token"]
    for change in (
        {"show_metadata": False},
        {"password": None, "expires_at": None},
        {"password": "a new secret", "allow_download": False},
    ):
        changed = alice.patch(f"{SHARES}/{share_id}", json=change)
        assert changed.status_code == 200, changed.text
        check(document, "patch", ONE, changed)

    # The holder: with every extra (download, metadata), and with none, page by page.
    alice.patch(f"{SHARES}/{share_id}", json={"allow_download": True, "show_metadata": True})
    guest = server.client()
    held = guest.get(f"/api/v1/s/{token}", headers={"X-Share-Password": "a new secret"})
    assert held.status_code == 200, held.text
    check(document, "get", HELD, held)
    item = held.json()["items"][0]
    assert "original" in item["urls"] and "exif" in item
    # Its media URLs open with the same header; without it, or with a wrong one, they do not.
    for url in item["urls"].values():
        media = guest.get(url, headers={"X-Share-Password": "a new secret"})
        assert media.status_code == 200 and media.content, (url, media.status_code)
        assert guest.get(url).status_code == 401
    wrong = guest.get(item["urls"]["thumbnail"], headers={"X-Share-Password": "a guess"})
    assert wrong.status_code == 401, wrong.text
    bare = guest.get(f"/api/v1/s/{plain.json()['token']}", params={"limit": 1})
    check(document, "get", HELD, bare)
    assert bare.json()["next_cursor"] and "exif" not in bare.json()["items"][0]
    assert "original" not in bare.json()["items"][0]["urls"]
    last = guest.get(
        f"/api/v1/s/{plain.json()['token']}", params={"cursor": bare.json()["next_cursor"]}
    )
    check(document, "get", HELD, last)
    assert last.json()["next_cursor"] is None

    revoked = alice.delete(f"{SHARES}/{share_id}")
    assert revoked.status_code == 204 and not revoked.content


def test_share_refusals_match_the_document(
    tmp_path: Path, document: dict[str, Any], frozen_clock: FrozenClock
) -> None:
    # Its own archive: two wrong passwords use up the client's sign-in budget here.
    settings = make_settings(tmp_path / "refusals", login_max_failures=2)
    with live_server(settings) as server:
        for name in ("alice", "bob"):
            sign_up(server, name)
        alice, bob = api_login(server, "alice"), api_login(server, "bob")
        photo_id = upload(alice, CAMERAS[0]).json()["items"][0]["id"]
        album_id = alice.post("/api/v1/albums", json={"title": "Ours"}).json()["id"]
        member = alice.put(f"/api/v1/albums/{album_id}/members/bob", json={"role": "viewer"})
        assert member.status_code == 200, member.text
        guest = server.client()
        seen: set[tuple[str, int]] = set()

        def refused(method: str, path: str, response: httpx.Response, status: int) -> None:
            assert response.status_code == status, (method, path, response.text)
            check(document, method, path, response)
            assert response.json()["status"] == status and response.json()["detail"]
            seen.add((f"{method} {path}", status))

        # A second ago: "now" itself, rounded to microseconds, can land a hair in the future.
        now = datetime.fromtimestamp(frozen_clock.moment - 1, UTC).isoformat()
        soon = datetime.fromtimestamp(frozen_clock.moment + 60, UTC).isoformat()
        as_json = {"Content-Type": "application/json"}
        as_text = {"Content-Type": "text/plain"}
        mine = {"photo_ids": [photo_id]}

        refused("post", SHARES, guest.post(SHARES, json=mine), 401)
        refused("post", SHARES, alice.post(SHARES, content=b'{"photo_ids": ', headers=as_json), 400)
        refused("post", SHARES, alice.post(SHARES, content=b"photo_ids", headers=as_text), 415)
        refused("post", SHARES, bob.post(SHARES, json=mine), 422)  # not bob's photo
        refused("post", SHARES, bob.post(SHARES, json={"album_id": album_id}), 403)  # a member
        refused("post", SHARES, bob.post(SHARES, json={"album_id": album_id + 50}), 404)
        refused("post", SHARES, alice.post(SHARES, json={**mine, "expires_at": now}), 422)
        far = {**mine, "expires_at": "9999-12-31T23:59:59-12:00"}
        refused("post", SHARES, alice.post(SHARES, json=far), 422)
        both = {**mine, "album_id": album_id}
        refused("post", SHARES, alice.post(SHARES, json=both), 422)
        refused("post", SHARES, alice.post(SHARES, json={**mine, "secret": 1}), 400)
        refused("get", SHARES, guest.get(SHARES), 401)

        made = alice.post(SHARES, json={**mine, "password": SECRET, "expires_at": soon}).json()
        path, token = f"{SHARES}/{made['id']}", str(made["token"])
        refused("patch", ONE, guest.patch(path, json={"show_metadata": True}), 401)
        refused("patch", ONE, bob.patch(path, json={"show_metadata": True}), 404)
        refused("patch", ONE, alice.patch(path, content=b"{", headers=as_json), 400)
        refused("patch", ONE, alice.patch(path, json={"expires_at": now}), 422)
        refused("delete", ONE, guest.delete(path), 401)
        refused("delete", ONE, bob.delete(path), 404)

        held = f"/api/v1/s/{token}"
        refused("get", HELD, guest.get("/api/v1/s/" + "A" * 32), 404)
        refused("get", HELD, guest.get(held), 401)
        refused("get", HELD, guest.get(held, params={"limit": 0}), 400)
        wrong = {"X-Share-Password": "not the password"}
        refused("get", HELD, guest.get(held, headers=wrong), 401)
        refused("get", HELD, guest.get(held, headers=wrong), 401)
        throttled = guest.get(held, headers={"X-Share-Password": SECRET})
        refused("get", HELD, throttled, 429)
        frozen_clock.advance(61)
        refused("get", HELD, guest.get(held, headers={"X-Share-Password": SECRET}), 410)
        assert alice.delete(path).status_code == 204
        refused("delete", ONE, alice.delete(path), 404)
        refused("get", HELD, guest.get(held), 404)
        assert {status for _, status in seen} == {400, 401, 403, 404, 410, 415, 422, 429}
