"""The page cache: a reload costs no query, yet no one ever sees a stale or someone else's page."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx

from tests.support import (
    PHOTOS,
    LiveServer,
    api_login,
    form_post,
    live_server,
    make_settings,
    parse,
    sign_up,
    upload,
)

PHOTO = PHOTOS / "cameras" / "Canon_40D.jpg"


def like_count(html: str) -> str | None:
    return parse(html).find_all("span", class_="like-count")[0]["data-like-count"]


def test_a_reload_runs_no_query_and_keeps_its_headers(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    upload(alice, PHOTO, caption="first")
    first = alice.get("/")
    before = server.queries()
    again = alice.get("/")
    assert server.queries() == before
    assert again.status_code == 200 and again.text == first.text
    assert again.headers["content-security-policy"] == first.headers["content-security-policy"]
    assert again.headers["content-type"] == first.headers["content-type"]


def test_every_write_is_seen_by_the_next_request(server: LiveServer, tmp_path: Path) -> None:
    alice = sign_up(server, "alice")
    sign_up(server, "bob")
    bob = api_login(server, "bob")
    photo_id = upload(alice, PHOTO).json()["items"][0]["id"]
    assert like_count(alice.get("/").text) == "0"
    assert like_count(alice.get(f"/photos/{photo_id}").text) == "0"
    assert bob.put(f"/api/v1/photos/{photo_id}/like").status_code == 200
    assert like_count(alice.get("/").text) == "1"
    assert like_count(alice.get(f"/photos/{photo_id}").text) == "1"
    # a write by another process (an import, a command-line tool) is seen just the same
    assert "from elsewhere" not in alice.get("/").text
    with sqlite3.connect(server.settings.database_path) as conn:
        conn.execute("UPDATE photos SET caption = 'from elsewhere' WHERE id = ?", (photo_id,))
    assert "from elsewhere" in alice.get("/").text
    assert bob.get(f"/api/v1/photos/{photo_id}").json()["caption"] == "from elsewhere"


def test_a_signed_out_session_gets_no_cached_page(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    upload(alice, PHOTO)
    cookie = f"session={alice.cookies['session']}; csrftoken={alice.cookies['csrftoken']}"
    replay = server.client()
    assert replay.get("/", headers={"Cookie": cookie}).status_code == 200
    assert replay.get("/", headers={"Cookie": cookie}).status_code == 200
    assert form_post(alice, "/logout").status_code == 303
    assert replay.get("/", headers={"Cookie": cookie}).status_code in (302, 303, 401)
    script = api_login(server, "alice")
    assert script.get("/api/v1/photos").status_code == 200
    assert script.get("/api/v1/photos").status_code == 200
    assert script.post("/api/v1/auth/logout").status_code == 204
    assert script.get("/api/v1/photos").status_code == 401


def hrefs(html: str) -> set[str | None]:
    return {a.get("href") for a in parse(html).find_all("a")}


def test_no_one_is_answered_with_another_persons_page(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", public_view=True)
    with live_server(settings) as server:
        alice = sign_up(server, "alice")
        bob = sign_up(server, "bob")
        upload(alice, PHOTO)
        for _ in range(2):
            seen_by_alice, seen_by_bob = hrefs(alice.get("/").text), hrefs(bob.get("/").text)
            assert "/u/bob" in seen_by_bob and "/u/bob" not in seen_by_alice
            assert "/login" not in seen_by_alice | seen_by_bob
        # Two first visits without cookies: each gets its own CSRF token, in its cookie and its
        # page alike, never the one rendered for the other.
        tokens = []
        for _ in range(2):
            guest = httpx.get(server.url + "/")
            assert guest.status_code == 200
            assert "/login" in hrefs(guest.text) and "/u/alice" in hrefs(guest.text)
            tokens.append(guest.cookies["csrftoken"])
            assert guest.cookies["csrftoken"] in guest.text
        assert tokens[0] != tokens[1]


def test_scripts_get_no_csrf_cookie_and_cached_answers(server: LiveServer) -> None:
    sign_up(server, "alice")
    script = api_login(server, "alice")
    first = script.get("/api/v1/photos")
    assert "set-cookie" not in first.headers
    before = server.queries()
    assert script.get("/api/v1/photos").json() == first.json()
    assert server.queries() == before


def test_the_cache_can_be_turned_off(tmp_path: Path) -> None:
    with live_server(make_settings(tmp_path / "data", page_cache_mb=0)) as server:
        alice = sign_up(server, "alice")
        alice.get("/")
        before = server.queries()
        assert alice.get("/").status_code == 200
        assert server.queries() > before
