"""Session lifetimes, and the /settings page: profile, password, and one's sessions."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.cloud import S3Server, cognito_sign_up, make_pool
from tests.support import (
    PASSWORD,
    PHOTOS,
    FrozenClock,
    LiveServer,
    api_login,
    form_post,
    live_server,
    make_settings,
    parse,
    sign_up,
    upload,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

DAY = 86400.0
NEW_PASSWORD = "a much better passphrase"


def age_sessions(server: LiveServer, *, idle_days: float = 0, age_days: float = 0) -> None:
    """Pretend every session was last used `idle_days` ago and began `age_days` ago."""
    now = time.time()
    with server.db() as conn:
        conn.execute(
            "UPDATE sessions SET last_seen_at = ?, created_at = ?",
            (now - idle_days * DAY, now - max(age_days, idle_days) * DAY),
        )


def signed_in(client: httpx.Client) -> bool:
    status = client.get("/api/v1/me").status_code
    assert status in (200, 401)
    return status == 200


@pytest.mark.parametrize("kind", ["cookie", "bearer"])
def test_idle_timeout_is_seven_days_by_default(server: LiveServer, kind: str) -> None:
    browser = sign_up(server, "alice")
    client = browser if kind == "cookie" else api_login(server, "alice")
    age_sessions(server, idle_days=6.9)
    used_from = time.time()
    assert signed_in(client)
    used_until = time.time()
    with server.db() as conn:  # using the session refreshed last_seen_at
        last_seen = conn.execute(
            "SELECT MAX(last_seen_at) FROM sessions WHERE kind = ?", (kind,)
        ).fetchone()[0]
    assert used_from <= last_seen <= used_until
    age_sessions(server, idle_days=7.1)
    assert not signed_in(client)
    with server.db() as conn:  # expired sessions are deleted, not just refused
        assert (
            conn.execute("SELECT COUNT(*) FROM sessions WHERE kind = ?", (kind,)).fetchone()[0] == 0
        )


@pytest.mark.parametrize("kind", ["cookie", "bearer"])
def test_absolute_lifetime_is_thirty_days_however_active(server: LiveServer, kind: str) -> None:
    browser = sign_up(server, "alice")
    client = browser if kind == "cookie" else api_login(server, "alice")
    age_sessions(server, age_days=29.9)  # began long ago, used a moment ago
    assert signed_in(client)
    age_sessions(server, age_days=30.1)
    assert not signed_in(client)
    with server.db() as conn:  # expired sessions are deleted, not just refused
        assert (
            conn.execute("SELECT COUNT(*) FROM sessions WHERE kind = ?", (kind,)).fetchone()[0] == 0
        )


def test_lifetimes_are_configurable(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, session_idle_days=1, session_max_days=2)
    with live_server(settings) as server:
        alice = sign_up(server, "alice")
        age_sessions(server, idle_days=0.9)
        assert signed_in(alice)
        age_sessions(server, idle_days=1.1)
        assert not signed_in(alice)
        bob = sign_up(server, "bob")
        age_sessions(server, age_days=1.9)
        assert signed_in(bob)
        age_sessions(server, age_days=2.1)
        assert not signed_in(bob)


def test_sessions_that_ended_by_time_are_deleted_without_their_token_coming_back(
    tmp_path: Path,
) -> None:
    """A script that signs in each time it runs leaves a session each time: those that ended
    by time are deleted when the server starts (and hourly), not only when used again."""
    settings = make_settings(tmp_path, session_idle_days=1, session_max_days=2)
    with live_server(settings) as server:
        clients = {name: sign_up(server, name) for name in ("idle", "old", "fresh")}
        now = time.time()
        aged = {"idle": (now - 1.1 * DAY, now - 1.1 * DAY), "old": (now, now - 2.1 * DAY)}
        with server.db() as conn:
            for name, (seen, began) in aged.items():
                conn.execute(
                    "UPDATE sessions SET last_seen_at = ?, created_at = ? WHERE user_id ="
                    " (SELECT id FROM users WHERE username = ?)",
                    (seen, began, name),
                )
    with live_server(settings) as server:  # the next start, whose first job it is
        deadline = time.monotonic() + 30
        while True:
            with server.db() as conn:
                left = conn.execute(
                    "SELECT u.username FROM sessions s JOIN users u ON u.id = s.user_id"
                ).fetchall()
            if len(left) < 3 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert [row[0] for row in left] == ["fresh"]
        fresh = server.client()
        fresh.cookies.update(clients["fresh"].cookies)
        assert signed_in(fresh)


IDLE = 50.0  # seconds, under the 60 s after which a use is written down (no write here)


@pytest.mark.parametrize("limit", ["idle", "whole lifetime"])
@pytest.mark.parametrize("what", ["page", "thumbnail"])
def test_a_session_that_ends_by_time_ends_for_pages_and_renditions_at_that_moment(
    tmp_path: Path, what: str, limit: str, frozen_clock: FrozenClock
) -> None:
    """A session can end with no write at all, just by its age: a page or a rendition it was
    just given (the rendition's bytes kept in memory behind the access check) is refused half
    a second after the end. The app's clock stands still until the test moves it past the
    session's end, so a slow machine cannot let the session lapse early."""
    settings = make_settings(tmp_path / "data", session_idle_days=IDLE / DAY)
    with live_server(settings) as server:
        alice = sign_up(server, "alice")
        item = upload(alice, PHOTOS / "cameras" / "Canon_40D.jpg").json()["items"][0]
        url = "/" if what == "page" else item["urls"]["thumbnail"]
        ends_in, now = 3.0, frozen_clock.now()
        # Three seconds short of its idle limit, or used just now and three seconds short of
        # its whole lifetime.
        if limit == "idle":
            last_seen = created = now - IDLE + ends_in
        else:
            last_seen, created = now, now - 30 * DAY + ends_in
        with server.db() as conn:
            conn.execute(
                "UPDATE sessions SET last_seen_at = ?, created_at = ?", (last_seen, created)
            )
        assert alice.get(url).status_code == 200
        assert alice.get(url).status_code == 200
        frozen_clock.advance(ends_in - 0.5)  # still inside
        assert alice.get(url).status_code == 200
        frozen_clock.advance(1.0)  # half a second past the session's end
        refused = alice.get(url)
        if what == "page":
            assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
        else:
            assert refused.status_code == 401 and not refused.content.startswith(b"RIFF")
        assert server.count("sessions") == 0


def test_settings_needs_a_signed_in_user(server: LiveServer) -> None:
    response = server.client().get("/settings")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/settings"


def session_rows(server: LiveServer) -> list[tuple[int, str, str]]:
    with server.db() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                "SELECT s.id, u.username, s.kind FROM sessions s"
                " JOIN users u ON u.id = s.user_id ORDER BY s.id"
            )
        ]


def change_password(client: httpx.Client, current: str, new: str, again: str | None = None):
    return form_post(
        client,
        "/settings/password",
        {
            "current_password": current,
            "new_password": new,
            "new_password_again": new if again is None else again,
        },
    )


def test_changing_the_password_ends_every_other_session(server: LiveServer) -> None:
    laptop = sign_up(server, "alice")
    phone = server.client()
    assert form_post(phone, "/login", {"login": "alice", "password": PASSWORD}).status_code == 303
    script = api_login(server, "alice")
    bob = sign_up(server, "bob")
    assert len(session_rows(server)) == 4

    response = change_password(laptop, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/settings?saved=password"
    assert signed_in(laptop)
    assert not signed_in(phone)
    assert not signed_in(script)
    assert signed_in(bob)
    # (alice's is a new session: see the test below)
    assert sorted((name, kind) for _id, name, kind in session_rows(server)) == [
        ("alice", "cookie"),
        ("bob", "cookie"),
    ]
    notice = parse(laptop.get(response.headers["location"]).text)
    assert "signed out everywhere else" in notice.text

    old = server.client().post("/api/v1/auth/login", json={"login": "alice", "password": PASSWORD})
    assert old.status_code == 401
    api_login(server, "alice", NEW_PASSWORD)


def test_changing_the_password_gives_this_browser_a_new_session(server: LiveServer) -> None:
    """Someone who fears their session was copied changes their password: the copy must end
    too, while the browser they changed it in stays signed in and its forms keep working."""
    laptop = sign_up(server, "alice")
    copy = server.client()
    copy.cookies.set("session", laptop.cookies["session"])
    assert signed_in(copy)

    assert change_password(laptop, PASSWORD, NEW_PASSWORD).status_code == 303
    assert not signed_in(copy)
    assert signed_in(laptop)
    assert [(name, kind) for _id, name, kind in session_rows(server)] == [("alice", "cookie")]
    saved = form_post(laptop, "/settings/time-zone", {"time_zone": "Europe/Paris"})
    assert saved.status_code == 303, saved.text


@pytest.mark.parametrize(
    ("current", "new", "again", "status", "message"),
    [
        ("not my password", NEW_PASSWORD, None, 422, "That is not your current password."),
        (
            PASSWORD,
            NEW_PASSWORD,
            NEW_PASSWORD + "x",
            422,
            "The two new passwords are not the same.",
        ),
        (PASSWORD, "short", None, 422, "Passwords need at least 8 characters."),
        (PASSWORD, "p" * 1025, None, 422, "Passwords can have at most 1024 characters."),
    ],
)
def test_password_change_refusals_change_nothing(
    server: LiveServer, current: str, new: str, again: str | None, status: int, message: str
) -> None:
    laptop = sign_up(server, "alice")
    phone = api_login(server, "alice")
    with server.db() as conn:
        before = conn.execute("SELECT password_hash FROM users").fetchone()[0]
    response = change_password(laptop, current, new, again)
    assert response.status_code == status
    page = parse(response.text)
    assert message in page.text
    assert page.find_all("input", id="current_password")  # the form is shown again
    with server.db() as conn:
        assert conn.execute("SELECT password_hash FROM users").fetchone()[0] == before
    assert signed_in(laptop) and signed_in(phone)


def test_wrong_current_password_counts_towards_the_sign_in_limit(tmp_path: Path) -> None:
    with live_server(make_settings(tmp_path, login_max_failures=3)) as server:
        laptop = sign_up(server, "alice")
        for _ in range(3):
            assert change_password(laptop, "guess-guess", NEW_PASSWORD).status_code == 422
        blocked = change_password(laptop, PASSWORD, NEW_PASSWORD)
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) > 0
        assert "Too many failed sign-ins" in parse(blocked.text).text
        refused = server.client().post(
            "/api/v1/auth/login", json={"login": "alice", "password": PASSWORD}
        )
        assert refused.status_code == 429


CHROME_ON_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/131.0.0.0 Safari/537.36"
)
CHROME_ON_LINUX_NAME = "Chrome on Linux"


def test_sessions_are_listed_with_the_current_one_marked(server: LiveServer) -> None:
    laptop = sign_up(server, "alice")
    phone = server.client(headers={"user-agent": "PhoneBrowser/1.0 <b>"})
    assert form_post(phone, "/login", {"login": "alice", "password": PASSWORD}).status_code == 303
    desktop = server.client(headers={"user-agent": CHROME_ON_LINUX})
    assert form_post(desktop, "/login", {"login": "alice", "password": PASSWORD}).status_code == 303
    sign_up(server, "bob")
    page = laptop.get("/settings")
    assert page.status_code == 200
    html = parse(page.text)
    rows = [
        attrs for attrs in html.find_all("tr") if (attrs.get("id") or "").startswith("session-")
    ]
    alice_ids = [i for i, name, _kind in session_rows(server) if name == "alice"]
    assert sorted(int(r["id"].split("-")[1]) for r in rows) == sorted(alice_ids)
    current = [r for r in rows if r.get("aria-current") == "true"]
    assert len(current) == 1 and current[0]["id"] == f"session-{alice_ids[0]}"
    # A device is named as a person would; the header itself stays (escaped) in its title.
    names = {span.get("title"): span for span in html.find_all("span", **{"class": "device"})}
    assert "PhoneBrowser/1.0 <b>" in names
    assert "<b>" not in page.text  # escaped wherever it is shown
    assert "PhoneBrowser browser" in html.text
    assert f"{CHROME_ON_LINUX_NAME} browser" in html.text
    assert "127.0.0.1" in html.text
    assert "this device" in html.text


def test_end_one_session_others_and_the_current_one(server: LiveServer) -> None:
    laptop = sign_up(server, "alice")
    phone = server.client()
    form_post(phone, "/login", {"login": "alice", "password": PASSWORD})
    script = api_login(server, "alice")
    tablet = server.client()
    form_post(tablet, "/login", {"login": "alice", "password": PASSWORD})
    laptop_id, phone_id, script_id, tablet_id = (i for i, _n, _k in session_rows(server))

    ended = form_post(laptop, f"/settings/sessions/{phone_id}/end")
    assert ended.status_code == 303
    assert not signed_in(phone) and signed_in(script) and signed_in(tablet)

    others = form_post(laptop, "/settings/sessions/end-others")
    assert others.status_code == 303
    assert not signed_in(script) and not signed_in(tablet) and signed_in(laptop)

    again = form_post(laptop, f"/settings/sessions/{script_id}/end")
    assert again.status_code == 404

    own = form_post(laptop, f"/settings/sessions/{laptop_id}/end")
    assert own.status_code == 303 and own.headers["location"] == "/login"
    assert not signed_in(laptop)
    assert session_rows(server) == []
    assert tablet_id


def test_cannot_end_somebody_elses_session(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    bob = sign_up(server, "bob")
    bob_id = next(i for i, name, _k in session_rows(server) if name == "bob")
    response = form_post(alice, f"/settings/sessions/{bob_id}/end")
    assert response.status_code == 404
    assert signed_in(bob)


def test_profile_change_and_refusals(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    sign_up(server, "bob")
    saved = form_post(
        alice,
        "/settings/profile",
        {
            "display_name": "  Alice <i>Liddell</i> ",
            "email": "A@ex.org",
            "current_password": PASSWORD,
        },
    )
    assert saved.status_code == 303
    me = alice.get("/api/v1/me").json()["user"]
    assert me["display_name"] == "Alice <i>Liddell</i>"
    assert me["email"] == "A@ex.org"
    profile = alice.get("/u/alice")
    assert "Alice <i>Liddell</i>" in parse(profile.text).text
    assert "<i>Liddell</i>" not in profile.text  # escaped, not markup

    api_login(server, "a@EX.org")  # the new email signs in

    taken = form_post(
        alice,
        "/settings/profile",
        {"display_name": "", "email": "bob@example.org", "current_password": PASSWORD},
    )
    assert taken.status_code == 409
    assert "An account with that email already exists." in parse(taken.text).text
    long_name = form_post(
        alice, "/settings/profile", {"display_name": "x" * 65, "email": "A@ex.org"}
    )
    assert long_name.status_code == 422
    assert "at most 64 characters" in parse(long_name.text).text
    bad_email = form_post(alice, "/settings/profile", {"display_name": "", "email": "nope"})
    assert bad_email.status_code == 422
    me = alice.get("/api/v1/me").json()["user"]
    assert (me["display_name"], me["email"]) == ("Alice <i>Liddell</i>", "A@ex.org")


def test_with_an_identity_provider_password_and_email_are_its_own(
    moto: S3Server, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path / "data", **make_pool(moto).settings())
    with live_server(settings) as server:
        alice = cognito_sign_up(server, "alice")
        page = parse(alice.get("/settings").text)
        assert not page.find_all("input", id="current_password")
        assert not page.find_all("input", id="email")
        assert "Forgot your password?" in page.text
        refused = change_password(alice, PASSWORD, NEW_PASSWORD)
        assert refused.status_code == 403
        assert "sign-in provider keeps your password" in parse(refused.text).text
        saved = form_post(
            alice, "/settings/profile", {"display_name": "Alice", "email": "elsewhere@example.org"}
        )
        assert saved.status_code == 303
        me = alice.get("/api/v1/me").json()["user"]
        assert (me["display_name"], me["email"]) == ("Alice", "alice@example.org")
