"""Sign out from a stale tab: a page opened before a sign-in elsewhere renewed the session holds
a CSRF token minted for the session that ended. The browser still says the request comes from
this site's own page, so the person is signed out as they asked; a page of another site (or a
request that proves nothing about where it comes from) is refused as before."""

from __future__ import annotations

import httpx
import pytest

from tests.support import PASSWORD, LiveServer, csrf, form_post, parse, sign_up

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


def stale_tab(server: LiveServer) -> tuple[httpx.Client, str]:
    """Alice's browser after she signed out and in again in another tab, and the token the
    first tab's forms still hold."""
    browser = sign_up(server, "alice")
    old_token = csrf(browser)
    assert form_post(browser, "/logout").status_code == 303
    signed = form_post(browser, "/login", {"login": "alice", "password": PASSWORD})
    assert signed.status_code == 303
    assert csrf(browser) != old_token
    return browser, old_token


def signed_in(client: httpx.Client) -> bool:
    return client.get("/api/v1/me").status_code == 200


def sessions(server: LiveServer) -> int:
    return server.count("sessions")


def own_page(server: LiveServer) -> dict[str, str]:
    return {"origin": server.url, "sec-fetch-site": "same-origin"}


@pytest.mark.parametrize(
    "kind",
    ["origin and fetch site", "origin alone (plain http on a LAN)", "fetch site, origin null"],
)
def test_a_stale_tab_of_this_site_signs_out(server: LiveServer, kind: str) -> None:
    browser, old_token = stale_tab(server)
    headers = {
        "origin and fetch site": own_page(server),
        "origin alone (plain http on a LAN)": {"origin": server.url},
        "fetch site, origin null": {"origin": "null", "sec-fetch-site": "same-origin"},
    }[kind]
    out = browser.post("/logout", data={"_csrf_token": old_token}, headers=headers)
    assert out.status_code == 303, out.text
    assert out.headers["location"] == "/login?notice=signed-out"
    assert not signed_in(browser)
    assert sessions(server) == 0
    landing = browser.get(out.headers["location"])
    assert "You are signed out" in parse(landing.text).text


def test_a_stale_tab_with_htmx_signs_out_too(server: LiveServer) -> None:
    browser, old_token = stale_tab(server)
    out = browser.post(
        "/logout", headers={"x-csrftoken": old_token, "hx-request": "true", **own_page(server)}
    )
    assert out.status_code in (200, 303), out.text
    assert not signed_in(browser)


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "cross-site", "origin": "https://evil.example"},
        {"origin": "https://evil.example"},
        # a sibling on the same host (another port: the same site, so the cookie goes along)
        {"sec-fetch-site": "same-site", "origin": "http://127.0.0.1:1"},
        {"sec-fetch-site": "same-site", "origin": "null"},
        {"sec-fetch-site": "cross-site"},
    ],
)
def test_another_site_cannot_sign_anyone_out(server: LiveServer, headers: dict[str, str]) -> None:
    browser, old_token = stale_tab(server)
    for token in (old_token, None, csrf(browser)):
        data = {} if token is None else {"_csrf_token": token}
        refused = browser.post("/logout", data=data, headers=headers)
        assert refused.status_code == 403, (token, refused.text)
    assert signed_in(browser)
    assert sessions(server) == 1


def test_a_request_that_does_not_say_where_it_comes_from_needs_a_valid_token(
    server: LiveServer,
) -> None:
    browser, old_token = stale_tab(server)
    for data in ({"_csrf_token": old_token}, {}):
        refused = browser.post("/logout", data=data)
        assert refused.status_code == 403
    assert signed_in(browser)
    assert form_post(browser, "/logout").status_code == 303  # its own token still works
    assert not signed_in(browser)


def test_a_stale_token_still_does_nothing_else(server: LiveServer) -> None:
    browser, old_token = stale_tab(server)
    refused = browser.post(
        "/settings/time-zone",
        data={"_csrf_token": old_token, "time_zone": "Europe/Paris"},
        headers=own_page(server),
    )
    assert refused.status_code == 403
    assert signed_in(browser)
