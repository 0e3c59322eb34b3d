"""The CSRF token belongs to one session, and browsers' requests from other sites are refused.

The attacker here can plant cookies in the victim's browser (a sibling subdomain, or a
plain-http network) and knows any token the site hands out to the attacker, but never the
victim's session cookie.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.state import snapshot
from tests.support import (
    PASSWORD,
    LiveServer,
    api_login,
    csrf,
    live_server,
    make_settings,
    sign_up,
    upload_bytes,
)
from tests.test_csrf import CSRF_MESSAGE, jpeg


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
    module_database: Callable[[], str],
) -> Iterator[dict[str, object]]:
    data = tmp_path_factory.mktemp("binding") / "data"
    with live_server(make_settings(data, database_url=module_database())) as server:
        alice = sign_up(server, "alice")
        bob = sign_up(server, "bob")
        photo = upload_bytes(alice, "a.jpg", jpeg((10, 20, 30))).json()["items"][0]["id"]
        yield {"server": server, "alice": alice, "bob": bob, "photo": photo}


def as_browser(server: LiveServer, session: str | None, token: str, **headers: str) -> httpx.Client:
    """A browser holding exactly these cookies (`session` may be None: signed out)."""
    cookie = f"csrftoken={token}" + (f"; session={session}" if session else "")
    client = server.client()
    client.headers.update({"cookie": cookie, **headers})
    return client


def anonymous_token(server: LiveServer) -> str:
    stranger = server.client()
    # /signup answers a stranger on any archive (/login sends a fresh one to /signup).
    assert stranger.get("/signup").status_code == 200
    return stranger.cookies["csrftoken"]


def forgeries(client: httpx.Client, token: str, photo: int) -> list[httpx.Response]:
    """A comment by form and by API, and a settings change: what a forged request would do."""
    return [
        client.post(f"/photos/{photo}/comments", data={"_csrf_token": token, "text": "forged"}),
        client.post(
            f"/api/v1/photos/{photo}/comments",
            json={"text": "forged"},
            headers={"x-csrftoken": token},
        ),
        client.post(
            "/settings/profile",
            data={"_csrf_token": token, "display_name": "pwned", "email": "x@example.org"},
        ),
    ]


def test_an_anonymous_token_planted_next_to_a_session_is_refused(
    world: dict[str, object],
) -> None:
    server: LiveServer = world["server"]  # type: ignore[assignment]
    alice: httpx.Client = world["alice"]  # type: ignore[assignment]
    planted = anonymous_token(server)
    victim = as_browser(server, alice.cookies["session"], planted)
    before = snapshot(server)
    for response in forgeries(victim, planted, world["photo"]):  # type: ignore[arg-type]
        assert response.status_code == 403, (response.request.url, response.status_code)
        assert CSRF_MESSAGE in response.text
    assert not before.diff(snapshot(server))


def test_another_accounts_token_is_refused(world: dict[str, object]) -> None:
    server: LiveServer = world["server"]  # type: ignore[assignment]
    alice: httpx.Client = world["alice"]  # type: ignore[assignment]
    bob: httpx.Client = world["bob"]  # type: ignore[assignment]
    bobs = csrf(bob)
    victim = as_browser(server, alice.cookies["session"], bobs)
    before = snapshot(server)
    for response in forgeries(victim, bobs, world["photo"]):  # type: ignore[arg-type]
        assert response.status_code == 403, (response.request.url, response.status_code)
    assert not before.diff(snapshot(server))
    # The victim's own token, in the same browser, works: the refusals were the binding's.
    own = as_browser(server, alice.cookies["session"], csrf(alice))
    ok = own.post(
        f"/api/v1/photos/{world['photo']}/comments",
        json={"text": "mine"},
        headers={"x-csrftoken": csrf(alice)},
    )
    assert ok.status_code == 201


def test_a_planted_session_cookie_beside_the_victims_is_refused(
    world: dict[str, object],
) -> None:
    """An attacker's own session and its token, planted (a cookie for a narrower path comes
    first) beside the victim's session, which comes last: the token is judged against the
    session the request is then served as, so it is refused."""
    server: LiveServer = world["server"]  # type: ignore[assignment]
    alice: httpx.Client = world["alice"]  # type: ignore[assignment]
    bob: httpx.Client = world["bob"]  # type: ignore[assignment]
    bobs = csrf(bob)
    victim = server.client()
    victim.headers.update(
        {
            "cookie": f"session={bob.cookies['session']}; csrftoken={bobs};"
            f" session={alice.cookies['session']}"
        }
    )
    before = snapshot(server)
    for response in forgeries(victim, bobs, world["photo"]):  # type: ignore[arg-type]
        assert response.status_code == 403, (response.request.url, response.status_code)
    assert not before.diff(snapshot(server))
    # A quoted cookie is the same cookie to the check and to the app.
    own = server.client()
    mine = csrf(alice)
    own.headers.update({"cookie": f'session="{alice.cookies["session"]}"; csrftoken={mine}'})
    ok = own.post(
        f"/api/v1/photos/{world['photo']}/comments",
        json={"text": "mine"},
        headers={"x-csrftoken": mine},
    )
    assert ok.status_code == 201, ok.text


def test_signing_in_and_out_renews_the_token(world: dict[str, object]) -> None:
    server: LiveServer = world["server"]  # type: ignore[assignment]
    browser = server.client()
    browser.get("/login")
    before_sign_in = browser.cookies["csrftoken"]
    signed = browser.post(
        "/login", data={"login": "alice", "password": PASSWORD, "_csrf_token": before_sign_in}
    )
    assert signed.status_code == 303
    after_sign_in = browser.cookies["csrftoken"]
    assert after_sign_in != before_sign_in
    stale = as_browser(server, browser.cookies["session"], before_sign_in)
    photo = world["photo"]
    refused = stale.post(f"/photos/{photo}/like", data={"_csrf_token": before_sign_in, "liked": 1})
    assert refused.status_code == 403
    liked = browser.post(f"/photos/{photo}/like", data={"_csrf_token": after_sign_in, "liked": 1})
    assert liked.status_code == 303
    # The page the browser lands on carries the new token in its forms and htmx header.
    assert after_sign_in in browser.get(f"/photos/{photo}").text

    out = browser.post("/logout", data={"_csrf_token": after_sign_in})
    assert out.status_code == 303
    signed_out = browser.cookies["csrftoken"]
    assert signed_out not in (after_sign_in, before_sign_in)
    again = browser.post(
        "/login", data={"login": "alice", "password": PASSWORD, "_csrf_token": signed_out}
    )
    assert again.status_code == 303


def test_unsafe_requests_from_another_site_are_refused(world: dict[str, object]) -> None:
    server: LiveServer = world["server"]  # type: ignore[assignment]
    alice: httpx.Client = world["alice"]  # type: ignore[assignment]
    token = csrf(alice)
    session = alice.cookies["session"]
    before = snapshot(server)
    for headers in (
        {"sec-fetch-site": "cross-site"},
        {"origin": "https://evil.example"},
        {"origin": "null", "sec-fetch-site": "same-site"},
        {"origin": "http://127.0.0.1.evil.example"},
    ):
        victim = as_browser(server, session, token, **headers)
        for response in forgeries(victim, token, world["photo"]):  # type: ignore[arg-type]
            assert response.status_code == 403, (headers, response.request.url)
    # A page elsewhere signing its visitor in to the attacker's account (login CSRF).
    anonymous = anonymous_token(server)
    visitor = as_browser(server, None, anonymous, origin="https://evil.example")
    login = visitor.post(
        "/login", data={"login": "bob", "password": PASSWORD, "_csrf_token": anonymous}
    )
    assert login.status_code == 403 and "session" not in login.cookies
    api = visitor.post("/api/v1/auth/login", json={"login": "bob", "password": PASSWORD})
    assert api.status_code == 403 and "token" not in api.json()
    assert not before.diff(snapshot(server))


def test_this_sites_own_pages_pass_on_any_address_it_is_reached_at(
    world: dict[str, object],
) -> None:
    server: LiveServer = world["server"]  # type: ignore[assignment]
    alice: httpx.Client = world["alice"]  # type: ignore[assignment]
    token, session, photo = csrf(alice), alice.cookies["session"], world["photo"]
    for headers in (
        {"origin": server.url, "sec-fetch-site": "same-origin"},
        # A family's box on the LAN, reached by address or by a name of its own.
        {"host": "192.168.1.20:8000", "origin": "http://192.168.1.20:8000"},
        {"host": "photos.lan", "origin": "http://photos.lan"},
        {"host": "Photos.LAN", "origin": "http://photos.lan"},
    ):
        browser = as_browser(server, session, token, **headers)
        ok = browser.post(f"/photos/{photo}/like", data={"_csrf_token": token, "liked": "1"})
        assert ok.status_code == 303, (headers, ok.status_code)


def test_a_no_referrer_page_on_a_plain_http_address_is_judged_by_its_token(
    world: dict[str, object],
) -> None:
    """A form on a `no-referrer` page (a share link's password form) posts `Origin: null`, and
    Chromium sends Sec-Fetch-Site only to https or localhost addresses: from a box reached by
    plain http on the LAN, that is all the browser says. The session-bound token decides then,
    as for a client that sends no Origin, on a share link's pages alone; a browser that does
    say whence is still believed."""
    server: LiveServer = world["server"]  # type: ignore[assignment]
    alice: httpx.Client = world["alice"]  # type: ignore[assignment]
    bob: httpx.Client = world["bob"]  # type: ignore[assignment]
    token, session, photo = csrf(alice), alice.cookies["session"], world["photo"]
    lan = {"host": "photos.lan:8000", "origin": "null"}
    before = snapshot(server)
    for planted in (anonymous_token(server), csrf(bob)):
        victim = as_browser(server, session, planted, **lan)
        for response in forgeries(victim, planted, photo):  # type: ignore[arg-type]
            assert response.status_code == 403, (response.request.url, response.status_code)
    for whence in ("cross-site", "same-site"):
        victim = as_browser(server, session, token, **lan, **{"sec-fetch-site": whence})
        for response in forgeries(victim, token, photo):  # type: ignore[arg-type]
            assert response.status_code == 403, (whence, response.request.url)
    assert not before.diff(snapshot(server))
    # Only a share link's pages are sent so: anywhere else `null` is a page of another site.
    own = as_browser(server, session, token, **lan)
    refused = own.post(f"/photos/{photo}/like", data={"_csrf_token": token, "liked": "1"})
    assert refused.status_code == 403, refused.text
    assert not before.diff(snapshot(server))
    made = alice.post(
        "/api/v1/shares",
        json={"photo_ids": [photo], "password": "a family secret"},
        headers={"x-csrftoken": token},
    )
    assert made.status_code == 201, made.text
    guest_token = anonymous_token(server)
    holder = as_browser(server, None, guest_token, **lan)
    unlocked = holder.post(
        f"/s/{made.json()['token']}/unlock",
        data={"_csrf_token": guest_token, "password": "a family secret"},
    )
    assert unlocked.status_code == 303, unlocked.text


def test_the_public_url_is_this_sites_origin_behind_a_proxy(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", public_url="https://photos.example.org")
    with live_server(settings) as server:
        # The cookies are Secure, and this client speaks plain http to the proxy's backend:
        # it carries them by hand, as the browser on the other side of the proxy would.
        anonymous = anonymous_token(server)
        stranger = as_browser(server, None, anonymous, origin="https://photos.example.org")
        signed = stranger.post(
            "/signup",
            data={
                "_csrf_token": anonymous,
                "username": "alice",
                "email": "alice@example.org",
                "password": PASSWORD,
            },
        )
        assert signed.status_code == 303, signed.text
        token, session = signed.cookies["csrftoken"], signed.cookies["session"]
        proxied = as_browser(server, session, token, origin="https://photos.example.org")
        ok = proxied.put("/api/v1/photos/1/like", headers={"x-csrftoken": token})
        assert ok.status_code == 404  # past both checks: there is no photo 1
        for origin in ("http://photos.example.org", "https://photos.example.org.evil.example"):
            other = as_browser(server, session, token, origin=origin)
            refused = other.put("/api/v1/photos/1/like", headers={"x-csrftoken": token})
            assert refused.status_code == 403, origin
        # A proxy that passes the Host on: the public host's plain-http page (a downgrade, or
        # whatever answers on port 80) is still not this site.
        as_proxied = {"x-csrftoken": token, "Host": "photos.example.org"}
        ok = proxied.put("/api/v1/photos/1/like", headers=as_proxied)
        assert ok.status_code == 404, ok.text
        downgraded = as_browser(server, session, token, origin="http://photos.example.org")
        refused = downgraded.put("/api/v1/photos/1/like", headers=as_proxied)
        assert refused.status_code == 403, refused.text


def test_bearer_requests_are_not_judged_by_origin(world: dict[str, object]) -> None:
    server: LiveServer = world["server"]  # type: ignore[assignment]
    script = api_login(server, "alice")
    response = script.post(
        f"/api/v1/photos/{world['photo']}/comments",
        json={"text": "from a tool that says where it runs"},
        headers={"origin": "https://tool.example", "sec-fetch-site": "cross-site"},
    )
    assert response.status_code == 201
