"""Sharing an album from its page, over HTTP: the share controls (the form and the album's
links) are its owner's alone, a member who posts the form anyway is refused, and the link's
password form, posted the way a browser posts it from a `no-referrer` page, opens the link."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import (
    PHOTOS,
    LiveServer,
    api_login,
    archive_of,
    browser,
    csrf,
    form_post,
    parse,
    uploaded,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

CAMERA = PHOTOS / "cameras" / "Canon_40D.jpg"
SECRET = "a family secret"


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[LiveServer]:
    with archive_of(tmp_path / "data", ("owner", "helper", "looker")) as server:
        yield server


def shared_album(archive: LiveServer) -> tuple[int, dict[str, object]]:
    """An album of the owner's with a photo, `helper` contributing, `looker` viewing, and a
    password link to it."""
    owner = api_login(archive, "owner")
    album_id = owner.post("/api/v1/albums", json={"title": "Summer"}).json()["id"]
    photo_id = uploaded(owner, CAMERA)
    owner.post(f"/api/v1/albums/{album_id}/photos", json={"photo_ids": [photo_id]})
    for name, role in (("helper", "contributor"), ("looker", "viewer")):
        joined = owner.put(f"/api/v1/albums/{album_id}/members/{name}", json={"role": role})
        assert joined.status_code == 200, joined.text
    made = owner.post("/api/v1/shares", json={"album_id": album_id, "password": SECRET})
    assert made.status_code == 201, made.text
    return album_id, made.json()


def share_controls(html: str) -> tuple[list[object], list[object], list[object]]:
    page = parse(html)
    return (
        page.find_all("form", action="/shares"),
        page.find_all("input", class_="share-url"),
        [f for f in page.find_all("form") if str(f.get("action", "")).startswith("/shares/")],
    )


def test_only_the_owner_sees_the_share_controls(archive: LiveServer) -> None:
    album_id, link = shared_album(archive)
    page = browser(archive, "owner").get(f"/albums/{album_id}")
    assert page.status_code == 200
    made_form, urls, turn_off = share_controls(page.text)
    assert len(made_form) == 1 and len(turn_off) == 1
    (url,) = urls
    assert url["value"] == link["url"] and "readonly" in url

    for name in ("helper", "looker"):
        member = browser(archive, name)
        page = member.get(f"/albums/{album_id}")
        assert page.status_code == 200  # they see the album
        assert share_controls(page.text) == ([], [], [])
        assert str(link["token"]) not in page.text
        refused = form_post(member, "/shares", {"album_id": str(album_id), "allow_download": "1"})
        assert refused.status_code == 403, (name, refused.text[:200])
        assert api_login(archive, name).get("/api/v1/shares").json()["items"] == []
        # Nor can they turn the owner's link off.
        assert form_post(member, f"/shares/{link['id']}/revoke").status_code == 404

    owner = api_login(archive, "owner")
    assert [item["id"] for item in owner.get("/api/v1/shares").json()["items"]] == [link["id"]]


def test_the_album_page_makes_and_turns_off_links_and_comes_back(archive: LiveServer) -> None:
    album_id, link = shared_album(archive)
    owner = browser(archive, "owner")
    made = form_post(owner, "/shares", {"album_id": str(album_id), "allow_download": "1"})
    assert made.status_code == 303
    # It lands on its notice, in the share links' section, above the links.
    landed = made.headers["location"]
    assert landed == f"/albums/{album_id}?saved=share#album-share-notice"
    page = owner.get(landed.split("#")[0]).text
    assert len(share_controls(page)[1]) == 2
    section = page.split('id="album-share"', 1)[1]
    assert '<p class="notice" role="status" id="album-share-notice">Your link is made' in section
    assert section.index('id="album-share-notice"') < section.index('class="share-link"')
    # Each link's "Copy link", hidden until scripts show it, names the field it copies.
    (copy, *_) = parse(page).find_all("button", **{"data-copies": f"shared-link-url-{link['id']}"})
    assert "hidden" in copy and copy["aria-describedby"] == f"shared-link-url-{link['id']}"
    # A value it does not know says nothing.
    unknown = owner.get(f"/albums/{album_id}?saved=<b>x</b>").text
    assert 'id="album-notice"' not in unknown and 'id="album-share-notice"' not in unknown

    off = form_post(owner, f"/shares/{link['id']}/revoke", {"back": "album"})
    assert off.status_code == 303
    assert off.headers["location"] == f"/albums/{album_id}?saved=share-revoked#album-share-notice"
    assert "That link is turned off." in owner.get(off.headers["location"].split("#")[0]).text
    assert archive.client().get(f"/s/{link['token']}").status_code == 404
    # From Settings, back to Settings.
    (other,) = api_login(archive, "owner").get("/api/v1/shares").json()["items"]
    off = form_post(owner, f"/shares/{other['id']}/revoke")
    assert off.status_code == 303 and off.headers["location"].startswith("/settings")


def test_the_password_form_posts_from_a_no_referrer_page(archive: LiveServer) -> None:
    """A page sent with `Referrer-Policy: no-referrer` makes the browser post `Origin: null`;
    its Sec-Fetch-Site says the post is the site's own (sent without one, from a plain-http
    address, the token decides: see test_csrf_binding)."""
    _, link = shared_album(archive)
    path = f"/s/{link['token']}"
    guest = archive.client()
    assert guest.get(path).headers["referrer-policy"] == "no-referrer"
    body = {"password": SECRET, "_csrf_token": csrf(guest)}
    for whence in ("same-site", "cross-site"):
        refused = {"origin": "null", "sec-fetch-site": whence}
        assert guest.post(f"{path}/unlock", data=body, headers=refused).status_code == 403
    opened = guest.post(
        f"{path}/unlock", data=body, headers={"origin": "null", "sec-fetch-site": "same-origin"}
    )
    assert opened.status_code == 303 and opened.headers["location"] == path
    assert parse(guest.get(path).text).find_all("ul", id="share-grid")
