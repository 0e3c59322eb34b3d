"""Renditions' bytes kept in memory, and sent only after the handler has decided, for this
request, that the viewer may see the photo: never to someone it would have refused."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from photoarchive.web.mediacache import RenditionBodies
from tests.support import (
    PHOTOS,
    LiveServer,
    api_login,
    form_post,
    live_server,
    make_settings,
    sign_up,
    upload,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

PHOTO = PHOTOS / "cameras" / "Canon_40D.jpg"


def _photo(client: httpx.Client) -> tuple[int, str]:
    item = upload(client, PHOTO).json()["items"][0]
    return item["id"], item["urls"]["thumbnail"]


def _cookie(client: httpx.Client) -> dict[str, str]:
    return {"Cookie": f"session={client.cookies['session']}"}


def test_every_rendition_request_is_decided_afresh_and_gets_the_same_answer(
    server: LiveServer,
) -> None:
    alice = sign_up(server, "alice")
    _, url = _photo(alice)
    first = alice.get(url)
    assert first.status_code == 200 and first.headers["content-type"] == "image/webp"
    before = server.queries()
    again = alice.get(url)
    assert server.queries() > before  # the session and the photo, looked up again
    assert again.status_code == 200 and again.content == first.content
    for header in (
        "content-security-policy",
        "x-content-type-options",
        "cache-control",
        "etag",
        "content-length",
    ):
        assert again.headers[header] == first.headers[header], header
    # The same file for another person is decided afresh (their session is looked up), and
    # the bytes are the same.
    bob = sign_up(server, "bob")
    before = server.queries()
    assert bob.get(url).content == first.content
    assert server.queries() > before


def test_no_credentials_no_rendition_even_after_someone_elses_reload(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    _, url = _photo(alice)
    assert alice.get(url).status_code == 200
    assert alice.get(url).status_code == 200
    guest = httpx.get(server.url + url)
    assert guest.status_code == 401 and not guest.content.startswith(b"RIFF")
    forged = httpx.get(server.url + url, headers={"Cookie": "session=not-a-session"})
    assert forged.status_code == 401 and not forged.content.startswith(b"RIFF")
    script = httpx.get(server.url + url, headers={"Authorization": "Bearer not-a-token"})
    assert script.status_code == 401


def test_a_signed_out_session_is_refused_at_once(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    _, url = _photo(alice)
    replay, cookie = server.client(), _cookie(alice)
    assert replay.get(url, headers=cookie).status_code == 200
    assert replay.get(url, headers=cookie).status_code == 200
    assert form_post(alice, "/logout").status_code == 303
    refused = replay.get(url, headers=cookie)
    assert refused.status_code == 401 and not refused.content.startswith(b"RIFF")
    script = api_login(server, "alice")
    assert script.get(url).status_code == 200
    assert script.get(url).status_code == 200
    assert script.post("/api/v1/auth/logout").status_code == 204
    assert script.get(url).status_code == 401


def test_a_deleted_photo_is_gone_at_once(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    bob = sign_up(server, "bob")
    photo_id, url = _photo(alice)
    assert bob.get(url).status_code == 200
    assert bob.get(url).status_code == 200
    assert form_post(alice, f"/photos/{photo_id}/delete").status_code in (200, 303)
    assert bob.get(url).status_code == 404
    assert alice.get(url).status_code == 200  # its owner's trash page shows it
    assert form_post(alice, f"/trash/{photo_id}/delete").status_code == 303
    assert alice.get(url).status_code == 404


def test_range_and_conditional_requests_take_the_usual_road(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    _, url = _photo(alice)
    whole = alice.get(url)
    assert alice.get(url).status_code == 200
    part = alice.get(url, headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == whole.content[:10]
    assert part.headers["content-range"] == f"bytes 0-9/{len(whole.content)}"
    unchanged = alice.get(url, headers={"If-None-Match": whole.headers["etag"]})
    assert unchanged.status_code == 304 and unchanged.content == b""


def test_the_media_cache_can_be_turned_off(tmp_path: Path) -> None:
    with live_server(make_settings(tmp_path / "data", media_cache_mb=0)) as server:
        alice = sign_up(server, "alice")
        _, url = _photo(alice)
        first = alice.get(url)
        before = server.queries()
        assert alice.get(url).content == first.content
        assert server.queries() > before


def test_doubled_credentials_are_never_remembered_for_someone_else(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    _, url = _photo(alice)
    token = api_login(server, "alice").headers["Authorization"]
    # The app reads the first of each header; the remembered answer must be keyed on exactly
    # that, or a request without credentials could be answered with it.
    for headers in (
        [("Authorization", token), ("Authorization", "")],
        [("Cookie", f"session={alice.cookies['session']}"), ("Cookie", "x=1")],
    ):
        for _ in range(2):
            assert httpx.get(server.url + url, headers=headers).status_code == 200
        assert httpx.get(server.url + url).status_code == 401
        assert httpx.get(server.url + url, headers={"Cookie": "x=1"}).status_code == 401


def test_the_least_recently_used_file_leaves_first() -> None:
    bodies = RenditionBodies(budget=80_000)  # room for eight 9,000-byte files

    def body(n: int) -> bytes:
        return bytes([n]) * 9_000

    for n in range(1, 9):
        bodies.put(f"blob{n}", body(n))
    assert bodies.get("blob1") == body(1)  # blob1 is now the newest
    bodies.put("blob9", body(9))  # over budget: blob2 goes
    assert bodies.get("blob2") is None
    assert all(bodies.get(f"blob{n}") == body(n) for n in (1, 3, 4, 5, 6, 7, 8, 9))
    bodies.put("huge", bytes(20_000))  # more than an eighth of the budget: never kept
    assert bodies.get("huge") is None
    off = RenditionBodies(budget=0)
    off.put("blob1", body(1))
    assert off.get("blob1") is None
