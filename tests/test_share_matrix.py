"""The link holder's column of the authorization matrix: every URL under a link (its page, the
password form's post, each media file, the zip, the API read) x every state a link is in, for
a guest with no account, and proof that what opens one link opens nothing else: not another
photo through the link, not the archive's own media or API, not a second link."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.support import (
    PHOTOS,
    FrozenClock,
    LiveServer,
    api_login,
    csrf,
    live_server,
    make_settings,
    parse,
    sign_up,
    upload,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

CAMERAS = sorted((PHOTOS / "cameras").glob("*.jpg"))
SECRET = "a family secret"
WRONG = "not the password"
UNKNOWN = "A" * 32

COLUMNS = (
    "page",
    "unlock",
    "unlock, wrong password",
    "thumbnail",
    "preview",
    "original",
    "download",
    "api",
    "api, wrong password",
)
# What a guest gets under a link in each state. "locked": has never typed the password;
# "unlocked": typed it on the form (the cookie), and sends X-Share-Password to the API.
# A fresh client posts each unlock, so that cell never unlocks the others.
EXPECTED: dict[str, tuple[int, ...]] = {
    "unknown": (404, 404, 404, 404, 404, 404, 404, 404, 404),
    "revoked": (404, 404, 404, 404, 404, 404, 404, 404, 404),
    "revoked, password": (404, 404, 404, 404, 404, 404, 404, 404, 404),
    "expired": (410, 410, 410, 410, 410, 410, 410, 410, 410),
    "expired, password": (410, 410, 410, 410, 410, 410, 410, 410, 410),
    "open, downloads off": (200, 303, 303, 200, 200, 403, 403, 200, 200),
    "open, downloads on": (200, 303, 303, 200, 200, 200, 200, 200, 200),
    "password, locked, downloads off": (200, 303, 401, 401, 401, 401, 401, 401, 401),
    "password, locked, downloads on": (200, 303, 401, 401, 401, 401, 401, 401, 401),
    "password, unlocked, downloads off": (200, 303, 401, 200, 200, 403, 403, 200, 401),
    "password, unlocked, downloads on": (200, 303, 401, 200, 200, 200, 200, 200, 401),
}


@dataclass
class World:
    server: LiveServer
    owner: httpx.Client
    photo_id: int  # in every link
    not_shared: int  # the owner's, in no link
    someone_else_s: int  # another member's
    tokens: dict[str, str]  # state -> token
    share_ids: dict[str, int]

    def holder(self, state: str) -> httpx.Client:
        guest = self.server.client()
        if "unlocked" in state:
            unlocked = unlock(guest, self.tokens[state], SECRET)
            assert unlocked.status_code == 303, unlocked.text
        return guest


def unlock(client: httpx.Client, token: str, password: str) -> httpx.Response:
    return client.post(
        f"/s/{token}/unlock", data={"password": password, "_csrf_token": csrf(client)}
    )


def make(owner: httpx.Client, photo_ids: list[int], **body: object) -> dict[str, object]:
    made = owner.post("/api/v1/shares", json={"photo_ids": photo_ids, **body})
    assert made.status_code == 201, made.text
    return made.json()


@pytest.fixture
def world(tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[World]:
    # Every wrong password here counts against 127.0.0.1's sign-in budget; its limit has tests
    # of its own (test_shares_web.py).
    settings = make_settings(tmp_path / "data", login_max_failures=100_000)
    with live_server(settings) as server:
        sign_up(server, "owner")
        sign_up(server, "other")
        owner = api_login(server, "owner")
        photo_id, not_shared = (upload(owner, p).json()["items"][0]["id"] for p in CAMERAS[:2])
        someone_else_s = upload(api_login(server, "other"), CAMERAS[2]).json()["items"][0]["id"]
        soon = datetime.fromtimestamp(frozen_clock.moment + 60, UTC).isoformat()
        bodies: dict[str, dict[str, object]] = {
            "revoked": {},
            "revoked, password": {"password": SECRET},
            "expired": {"expires_at": soon, "allow_download": True},
            "expired, password": {"expires_at": soon, "password": SECRET},
            "open, downloads off": {},
            "open, downloads on": {"allow_download": True},
            "password, locked, downloads off": {"password": SECRET},
            "password, locked, downloads on": {"password": SECRET, "allow_download": True},
            "password, unlocked, downloads off": {"password": SECRET},
            "password, unlocked, downloads on": {"password": SECRET, "allow_download": True},
        }
        made = {state: make(owner, [photo_id], **body) for state, body in bodies.items()}
        for state in ("revoked", "revoked, password"):
            assert owner.delete(f"/api/v1/shares/{made[state]['id']}").status_code == 204
        frozen_clock.advance(61)
        tokens = {state: str(share["token"]) for state, share in made.items()}
        tokens["unknown"] = UNKNOWN
        share_ids = {state: int(str(share["id"])) for state, share in made.items()}
        yield World(server, owner, photo_id, not_shared, someone_else_s, tokens, share_ids)


def answers(world: World, state: str) -> tuple[int, ...]:
    token, photo_id = world.tokens[state], world.photo_id
    holder = world.holder(state)
    password = {"X-Share-Password": SECRET} if "unlocked" in state else {}
    media = f"/s/{token}/media/{photo_id}"
    got = {
        "page": holder.get(f"/s/{token}"),
        "unlock": unlock(world.server.client(), token, SECRET),
        "unlock, wrong password": unlock(world.server.client(), token, WRONG),
        "thumbnail": holder.get(f"{media}/thumbnail"),
        "preview": holder.get(f"{media}/preview"),
        "original": holder.get(f"{media}/original"),
        "download": holder.get(f"/s/{token}/download"),
        "api": holder.get(f"/api/v1/s/{token}", headers=password),
        "api, wrong password": holder.get(
            f"/api/v1/s/{token}", headers={"X-Share-Password": WRONG}
        ),
    }
    for name, response in got.items():
        # Whatever the answer, a link's URL leaks no referrer and asks not to be indexed.
        assert response.headers["referrer-policy"] == "no-referrer", (state, name)
        assert "noindex" in response.headers["x-robots-tag"], (state, name)
    if got["page"].status_code == 200:
        page = parse(got["page"].text)
        locked = "locked" in state and "unlocked" not in state
        assert bool(page.find_all("form", id="unlock-form")) == locked, state
        assert bool(page.find_all("ul", id="share-grid")) == (not locked), state
    for name in ("unlock", "unlock, wrong password"):
        if got[name].status_code == 303:
            assert got[name].headers["location"] == f"/s/{token}"
    return tuple(got[name].status_code for name in COLUMNS)


@pytest.mark.parametrize("state", list(EXPECTED))
def test_every_url_under_a_link_in_every_state(world: World, state: str) -> None:
    assert dict(zip(COLUMNS, answers(world, state), strict=True)) == dict(
        zip(COLUMNS, EXPECTED[state], strict=True)
    )


def test_a_link_opens_nothing_outside_it(world: World) -> None:
    state = "password, unlocked, downloads on"
    token = world.tokens[state]
    holder = world.holder(state)
    cookie = holder.cookies.get("share_unlock")
    assert cookie
    assert holder.get(f"/s/{token}/media/{world.photo_id}/original").status_code == 200

    # Another photo through this link: the owner's, someone else's, none at all.
    for other in (world.not_shared, world.someone_else_s, world.photo_id + 1000):
        for name in ("thumbnail", "preview", "original"):
            response = holder.get(f"/s/{token}/media/{other}/{name}")
            assert response.status_code == 404, (other, name)

    # The archive's own URLs, even with the link's cookie sent there on purpose: the holder
    # is nobody (the archive does not let guests look here).
    sent = {"Cookie": f"share_unlock={cookie}"}
    guest = world.server.client()
    for url in (
        f"/media/{world.photo_id}/thumbnail",
        f"/media/{world.photo_id}/preview",
        f"/media/{world.photo_id}/original",
        f"/api/v1/photos/{world.photo_id}",
        f"/api/v1/photos/{world.photo_id}/comments",
        "/api/v1/photos",
        "/api/v1/me",
        "/api/v1/shares",
    ):
        response = guest.get(url, headers=sent)
        assert response.status_code in (401, 404), url
        assert response.status_code == 401 or "/media/" in url, url
    assert guest.get(f"/photos/{world.photo_id}", headers=sent).status_code in (303, 401, 404)
    # The API of a link is not opened by the form's cookie: only by the password.
    assert guest.get(f"/api/v1/s/{token}", headers=sent).status_code == 401

    # A second link with the same password, holding the same photo: the first one's cookie
    # (sent there by hand; a browser would not send it at all) leaves it locked.
    second = str(make(world.owner, [world.photo_id], password=SECRET, allow_download=True)["token"])
    for url in (
        f"/s/{second}/media/{world.photo_id}/thumbnail",
        f"/s/{second}/media/{world.photo_id}/original",
        f"/s/{second}/download",
    ):
        assert guest.get(url, headers=sent).status_code == 401, url
    form = guest.get(f"/s/{second}", headers=sent)
    assert form.status_code == 200 and parse(form.text).find_all("form", id="unlock-form")
    # Nor does the browser that holds it send it there.
    assert holder.get(f"/s/{second}/media/{world.photo_id}/thumbnail").status_code == 401
    # A cookie from another of the owner's links, of its own password, is no key either.
    other_state = "password, unlocked, downloads off"
    other_cookie = world.holder(other_state).cookies.get("share_unlock")
    assert other_cookie and other_cookie != cookie
    stolen = {"Cookie": f"share_unlock={other_cookie}"}
    assert guest.get(f"/s/{token}/download", headers=stolen).status_code == 401


def test_an_unlock_ends_when_the_link_does(world: World) -> None:
    state = "password, unlocked, downloads on"
    token, share_id = world.tokens[state], world.share_ids[state]
    holder = world.holder(state)
    media = f"/s/{token}/media/{world.photo_id}/thumbnail"
    assert holder.get(media).status_code == 200
    assert world.owner.delete(f"/api/v1/shares/{share_id}").status_code == 204
    for url in (f"/s/{token}", media, f"/s/{token}/download"):
        assert holder.get(url).status_code == 404, url
    response = holder.get(f"/api/v1/s/{token}", headers={"X-Share-Password": SECRET})
    assert response.status_code == 404
