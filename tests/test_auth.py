"""Accounts and sessions through the HTTP surface."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import (
    PASSWORD,
    PHOTOS,
    LiveServer,
    api_login,
    csrf,
    form_post,
    live_server,
    make_settings,
    parse,
    run_sql,
    sign_up,
    upload,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


def test_signup_signs_in_and_first_user_is_admin(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    me = alice.get("/api/v1/me", headers={"x-csrftoken": csrf(alice)})
    assert me.status_code == 200
    assert me.json()["user"]["username"] == "alice"
    assert me.json()["user"]["is_admin"] is True
    bob = sign_up(server, "bob")
    assert bob.get("/api/v1/me").json()["user"]["is_admin"] is False


def test_password_is_stored_as_argon2id(server: LiveServer) -> None:
    sign_up(server, "alice")
    with server.db() as conn:
        stored = conn.execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", "ab", "3 to 32 characters"),
        ("username", "has space", "3 to 32 characters"),
        ("username", "x" * 33, "3 to 32 characters"),
        ("email", "not-an-email", "valid email"),
        # Mail headers read these as other recipients than the address kept and shown.
        ("email", "a,carol@example.org", "valid email"),
        ("email", "a:carol@example.org", "valid email"),
        ("email", '"x" <carol@example.org>', "valid email"),
        ("email", "carol@example.org;b@c.de", "valid email"),
        ("email", "carol\x01@example.org", "valid email"),
        ("password", "short", "at least 8"),
        ("password", "p" * 1025, "at most 1024"),
    ],
)
def test_signup_rejects_bad_fields(
    server: LiveServer, field: str, value: str, message: str
) -> None:
    body = {"username": "carol", "email": "carol@example.org", "password": PASSWORD, field: value}
    response = server.client().post("/api/v1/auth/signup", json=body)
    assert response.status_code == 422
    assert message in response.json()["detail"]
    assert server.count("users") == 0


def test_usernames_and_emails_are_unique_case_insensitively(server: LiveServer) -> None:
    sign_up(server, "Alice")
    client = server.client()
    taken = client.post(
        "/api/v1/auth/signup",
        json={"username": "aLiCe", "email": "other@example.org", "password": PASSWORD},
    )
    assert taken.status_code == 409
    assert "username is taken" in taken.json()["detail"]
    email = client.post(
        "/api/v1/auth/signup",
        json={"username": "alice2", "email": "ALICE@example.org", "password": PASSWORD},
    )
    assert email.status_code == 409
    assert "email" in email.json()["detail"]


def test_sign_in_with_username_or_email_and_wrong_password(server: LiveServer) -> None:
    sign_up(server, "alice")
    client = server.client()
    for login in ("alice", "ALICE@example.org"):
        ok = client.post("/api/v1/auth/login", json={"login": login, "password": PASSWORD})
        assert ok.status_code == 200
        assert len(ok.json()["token"]) >= 40
    wrong = client.post("/api/v1/auth/login", json={"login": "alice", "password": "nope-nope"})
    unknown = client.post("/api/v1/auth/login", json={"login": "nobody", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"] == "Wrong username or password."


def test_page_login_rotates_session_and_ignores_planted_cookie(server: LiveServer) -> None:
    sign_up(server, "alice")
    browser = server.client()
    browser.cookies.set("session", "planted-by-an-attacker", domain="127.0.0.1")
    assert browser.get("/api/v1/me").status_code == 401
    response = form_post(
        browser, "/login", {"login": "alice", "password": PASSWORD, "next": "/u/alice"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/u/alice"
    token = response.cookies.get("session")
    assert token and token != "planted-by-an-attacker"
    cookie_header = response.headers["set-cookie"].lower()
    assert "httponly" in cookie_header and "samesite=lax" in cookie_header
    assert "secure" not in cookie_header  # plain http public URL
    assert browser.get("/api/v1/me").status_code == 200
    with server.db() as conn:
        hashes = [row[0] for row in conn.execute("SELECT token_hash FROM sessions")]
    assert all(token.encode() not in bytes(h) for h in hashes)


def test_login_page_shows_error_and_never_follows_offsite_next(server: LiveServer) -> None:
    sign_up(server, "alice")
    browser = server.client()
    bad = form_post(browser, "/login", {"login": "alice", "password": "wrong-password"})
    assert bad.status_code == 401
    assert "Wrong username or password." in parse(bad.text).text
    ok = form_post(
        browser, "/login", {"login": "alice", "password": PASSWORD, "next": "//evil.example/"}
    )
    assert ok.headers["location"] == "/"


def test_logout_ends_the_session(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    old = alice.cookies.get("session")
    response = form_post(alice, "/logout")
    assert response.status_code == 303
    # What the browser keeps of the session's pages (thumbnails kept a year) goes with it.
    assert response.headers["clear-site-data"] == '"cache"'
    reuse = server.client()
    reuse.cookies.set("session", old, domain="127.0.0.1")
    assert reuse.get("/api/v1/me").status_code == 401
    assert server.count("sessions") == 0


def test_bearer_logout_and_me(server: LiveServer) -> None:
    sign_up(server, "alice")
    script = api_login(server, "alice")
    assert script.get("/api/v1/me").json()["user"]["username"] == "alice"
    assert script.post("/api/v1/auth/logout").status_code == 204
    assert script.get("/api/v1/me").status_code == 401


def test_secure_cookie_when_public_url_is_https(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, public_url="https://photos.example.org")
    with live_server(settings) as server:
        client = server.client()
        response = client.get("/login")
        assert "secure" in response.headers["set-cookie"].lower()
        body = {
            "username": "alice",
            "email": "a@example.org",
            "password": PASSWORD,
            "_csrf_token": response.cookies["csrftoken"],
        }
        # The client would not send a Secure cookie over plain http: present it by hand.
        signed = client.post(
            "/signup", data=body, headers={"cookie": f"csrftoken={body['_csrf_token']}"}
        )
        assert signed.status_code == 303
        session_cookie = [
            c for c in signed.headers.get_list("set-cookie") if c.startswith("session=")
        ]
        assert session_cookie and "secure" in session_cookie[0].lower()


def test_invite_only_registration(tmp_path: Path) -> None:
    with live_server(make_settings(tmp_path, registration="invite")) as server:
        admin = sign_up(server, "admin")  # the very first account may always sign up
        refused = server.client().post(
            "/api/v1/auth/signup",
            json={"username": "bob", "email": "bob@example.org", "password": PASSWORD},
        )
        assert refused.status_code == 403
        assert "invite" in refused.json()["detail"]
        page = form_post(admin, "/admin/invites")
        assert page.status_code == 200
        link = next(e["value"] for e in parse(page.text).find_all("input", id="invite-url"))
        token = link.split("invite=")[1]
        signup_page = server.client().get(f"/signup?invite={token}")
        assert parse(signup_page.text).find_all("input", name="invite", value=token)
        bob = sign_up(server, "bob", invite=token)
        assert bob.get("/api/v1/me").json()["user"]["username"] == "bob"
        again = server.client().post(
            "/api/v1/auth/signup",
            json={
                "username": "carol",
                "email": "carol@example.org",
                "password": PASSWORD,
                "invite": token,
            },
        )
        assert again.status_code == 403
        assert "already been used" in again.json()["detail"]


def test_closed_registration(tmp_path: Path) -> None:
    with live_server(make_settings(tmp_path, registration="closed")) as server:
        sign_up(server, "admin")
        refused = server.client().post(
            "/api/v1/auth/signup",
            json={"username": "bob", "email": "bob@example.org", "password": PASSWORD},
        )
        assert refused.status_code == 403
        assert "closed" in refused.json()["detail"]
        assert server.count("users") == 1


def test_admin_disables_user_and_their_sessions_end(server: LiveServer) -> None:
    admin = sign_up(server, "admin")
    bob = sign_up(server, "bob")
    bob_script = api_login(server, "bob")
    assert form_post(bob, "/admin/invites").status_code == 403
    # The button asks once more, on a page that says what disabling does; nothing changes yet.
    asked = form_post(admin, "/admin/users/bob/disable")
    assert asked.status_code == 200
    page = parse(asked.text)
    assert "signed out on every device" in page.text
    assert page.find_all("form", action="/admin/users/bob/disable")
    assert page.find_all("input", name="confirmed", value="1")
    assert page.find_all("a", href="/admin")
    assert bob.get("/api/v1/me").status_code == 200
    assert form_post(admin, "/admin/users/admin/disable").status_code == 422  # not oneself
    assert form_post(admin, "/admin/users/bob/disable", {"confirmed": "1"}).status_code == 303
    assert bob.get("/api/v1/me").status_code == 401
    assert bob_script.get("/api/v1/me").status_code == 401
    relogin = server.client().post(
        "/api/v1/auth/login", json={"login": "bob", "password": PASSWORD}
    )
    assert relogin.status_code == 403
    listing = parse(admin.get("/admin").text).text
    assert "bob" in listing and "disabled" in listing


def test_rehash_on_login_when_parameters_change(tmp_path: Path) -> None:
    with live_server(make_settings(tmp_path)) as server:
        sign_up(server, "alice")
        with server.db() as conn:
            before = conn.execute("SELECT password_hash FROM users").fetchone()[0]
    with live_server(make_settings(tmp_path, argon2_time_cost=2)) as server:
        api_login(server, "alice")
        with server.db() as conn:
            after = conn.execute("SELECT password_hash FROM users").fetchone()[0]
    assert before != after and ",t=2," in after


def test_unknown_admin_action_is_not_found_and_changes_nothing(server: LiveServer) -> None:
    admin = sign_up(server, "admin")
    sign_up(server, "bob")
    response = form_post(admin, "/admin/users/bob/delete-everything")
    assert response.status_code == 404
    with server.db() as conn:
        assert conn.execute("SELECT disabled FROM users WHERE username = 'bob'").fetchone()[0] == 0


def test_settings_never_print_their_secrets(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, secret_key="s3cr3t-value").with_secret()
    assert "s3cr3t-value" not in repr(settings)


def test_page_sign_out_with_a_bearer_header_ends_that_session_only(server: LiveServer) -> None:
    browser = sign_up(server, "alice")
    script = api_login(server, "alice")
    token = script.headers["Authorization"]
    response = browser.post(
        "/logout", headers={"Authorization": token}, data={"_csrf_token": csrf(browser)}
    )
    assert response.status_code == 303
    assert script.get("/api/v1/me").status_code == 401
    assert server.count("sessions") == 1  # the cookie session was not the one asked about


def test_next_never_points_back_at_the_sign_in_pages(server: LiveServer) -> None:
    browser = sign_up(server, "alice")
    for target in ("/login", "/login?next=/login", "/signup", "/logout/"):
        response = browser.get("/login", params={"next": target})
        assert response.status_code == 303
        assert response.headers["location"] == "/"
    assert browser.get("/login", params={"next": "/u/alice"}).headers["location"] == "/u/alice"


def test_a_stale_bearer_token_is_shown_the_sign_in_form_not_a_redirect_loop(
    server: LiveServer,
) -> None:
    sign_up(server, "alice")
    script = api_login(server, "alice")
    assert script.post("/api/v1/auth/logout").status_code == 204
    feed = script.get("/")
    assert feed.status_code == 303 and feed.headers["location"].startswith("/login")
    form = script.get(feed.headers["location"])
    assert form.status_code == 200
    assert parse(form.text).find_all("input", name="login")


def test_a_click_after_the_session_ended_signs_in_back_to_its_page(server: LiveServer) -> None:
    """A comment sent (htmx) from a photo's page once the session has ended: the sign-in page,
    and after it that photo's page again, not the feed."""
    alice = sign_up(server, "alice")
    photo = upload(alice, PHOTOS / "gps" / "DSCN0010.jpg").json()["items"][0]
    page = f"{server.url}/photos/{photo['id']}"
    run_sql(server.settings, "DELETE FROM sessions")  # ended: signed out elsewhere, say
    sent = form_post(
        alice,
        f"/photos/{photo['id']}/comments",
        {"text": "Lovely"},
        headers={"HX-Request": "true", "Referer": page},
    )
    assert sent.headers["hx-redirect"] == f"/login?next=/photos/{photo['id']}"
    # Without a page of this site to go back to, the sign-in page alone.
    sent = form_post(
        alice, f"/photos/{photo['id']}/comments", {"text": "Lovely"}, headers={"HX-Request": "true"}
    )
    assert sent.headers["hx-redirect"] == "/login"
