"""User B never changes user A's things; cookie-authenticated changes need the CSRF token."""

from __future__ import annotations

from tests.support import PHOTOS, LiveServer, api_login, csrf, form_post, sign_up, upload

PHOTO = PHOTOS / "cameras" / "Canon_40D.jpg"


def _state(server: LiveServer) -> list[tuple]:
    with server.db() as conn:
        return [
            tuple(
                conn.execute("SELECT id, caption, like_count, comment_count FROM photos").fetchall()
            ),
            tuple(conn.execute("SELECT id, text FROM comments").fetchall()),
        ]


def test_other_user_cannot_edit_or_delete_photos_or_comments(server: LiveServer) -> None:
    sign_up(server, "alice")
    sign_up(server, "bob")
    sign_up(server, "carol")
    alice, bob, carol = (api_login(server, n) for n in ("alice", "bob", "carol"))
    pid = upload(alice, PHOTO, caption="mine").json()["items"][0]["id"]
    alice_comment = alice.post(f"/api/v1/photos/{pid}/comments", json={"text": "by alice"}).json()
    carol_comment = carol.post(f"/api/v1/photos/{pid}/comments", json={"text": "by carol"}).json()
    before = _state(server)
    assert bob.patch(f"/api/v1/photos/{pid}", json={"caption": "hijacked"}).status_code == 403
    assert bob.delete(f"/api/v1/photos/{pid}").status_code == 403
    assert bob.delete(f"/api/v1/comments/{alice_comment['id']}").status_code == 403
    assert bob.delete(f"/api/v1/comments/{carol_comment['id']}").status_code == 403
    bob_browser = server.client()
    form_post(bob_browser, "/login", {"login": "bob", "password": "correct horse battery"})
    assert form_post(bob_browser, f"/photos/{pid}/caption", {"caption": "x"}).status_code == 403
    assert form_post(bob_browser, f"/photos/{pid}/delete").status_code == 403
    assert form_post(bob_browser, f"/comments/{alice_comment['id']}/delete").status_code == 403
    assert _state(server) == before
    # the photo's owner may delete any comment on it; authors may delete their own
    assert alice.delete(f"/api/v1/comments/{carol_comment['id']}").status_code == 204
    assert alice.delete(f"/api/v1/comments/{alice_comment['id']}").status_code == 204
    assert (
        alice.patch(f"/api/v1/photos/{pid}", json={"caption": "edited"}).json()["caption"]
        == "edited"
    )
    assert alice.get(f"/api/v1/photos/{pid}").json()["comment_count"] == 0


def test_admin_may_delete_any_photo_but_not_edit_its_caption(server: LiveServer) -> None:
    sign_up(server, "admin")
    sign_up(server, "alice")
    admin, alice = api_login(server, "admin"), api_login(server, "alice")
    pid = upload(alice, PHOTO).json()["items"][0]["id"]
    assert admin.patch(f"/api/v1/photos/{pid}", json={"caption": "x"}).status_code == 403
    assert admin.delete(f"/api/v1/photos/{pid}").status_code == 204
    assert alice.get(f"/api/v1/photos/{pid}").status_code == 404
    assert [p["id"] for p in alice.get("/api/v1/trash").json()["items"]] == [pid]


def test_unknown_ids_and_malformed_bodies(server: LiveServer) -> None:
    sign_up(server, "alice")
    alice = api_login(server, "alice")
    assert alice.get("/api/v1/photos/999").status_code == 404
    assert alice.delete("/api/v1/comments/999").status_code == 404
    assert alice.put("/api/v1/photos/999/like").status_code == 404
    bad_json = alice.post(
        "/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert bad_json.status_code == 400 and "detail" in bad_json.json()
    wrong_type = alice.post("/api/v1/photos/1/comments", json={"text": 5})
    assert wrong_type.status_code == 400
    assert alice.get("/photos/1/delete").status_code == 405


def test_csrf_needed_for_cookie_sessions_not_for_bearer(server: LiveServer) -> None:
    browser = sign_up(server, "alice")
    pid = upload(browser, PHOTO).json()["items"][0]["id"]
    # no token: refused, nothing changed
    assert browser.post(f"/photos/{pid}/like", data={"liked": "1"}).status_code == 403
    assert browser.put(f"/api/v1/photos/{pid}/like").status_code == 403
    forged = browser.put(f"/api/v1/photos/{pid}/like", headers={"x-csrftoken": "0" * 128})
    assert forged.status_code == 403
    assert server.count("likes") == 0
    # with the header (what htmx sends) it works
    ok = browser.put(f"/api/v1/photos/{pid}/like", headers={"x-csrftoken": csrf(browser)})
    assert ok.status_code == 200
    # a Bearer client needs no token
    script = api_login(server, "alice")
    assert script.delete(f"/api/v1/photos/{pid}/like").status_code == 200
    # a Bearer header is judged alone: a bad token is refused even with a good cookie
    bad = browser.put(f"/api/v1/photos/{pid}/like", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
