"""An album's share links follow the album when it changes hands: they keep working for
whoever holds them, and they are its new owner's to see, change and turn off (only an album's
owner shares it). Its previous owner, its other members, an administrator and anyone else
have none of them. Over HTTP, on both engines, for the link's holder, the old owner, the new
owner and the rest.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import (
    PHOTOS,
    LiveServer,
    api_login,
    browser,
    form_post,
    live_server,
    make_settings,
    parse,
    sign_up,
    uploaded,
)

CAMERA = PHOTOS / "cameras" / "Canon_40D.jpg"
OTHERS = ("admin", "looker", "stranger")  # the first is the administrator


@dataclass
class Archive:
    server: LiveServer
    names: Iterator[int]


@pytest.fixture(scope="module")
def archive(
    tmp_path_factory: pytest.TempPathFactory, module_database: Callable[[], str]
) -> Iterator[Archive]:
    data_dir: Path = tmp_path_factory.mktemp("handover-links") / "data"
    settings = make_settings(data_dir, registration="open", database_url=module_database())
    with live_server(settings) as server:
        for name in OTHERS:
            sign_up(server, name)
        yield Archive(server, itertools.count(1))


@dataclass
class Shared:
    album_id: int
    photo_id: int
    old: str  # the owner who made the link
    new: str  # the member it was handed to
    link: dict[str, object]


def shared_album(archive: Archive, *, hand_over: bool = True) -> Shared:
    """A new album with a photo, shared by its owner with a link, `looker` a viewer in it and
    a new contributor it is then handed to."""
    number = next(archive.names)
    old, new = f"maker{number}", f"heir{number}"
    for name in (old, new):
        sign_up(archive.server, name)
    owner = api_login(archive.server, old)
    album_id = owner.post("/api/v1/albums", json={"title": "Grandma's birthday"}).json()["id"]
    photo_id = uploaded(owner, CAMERA)
    owner.post(f"/api/v1/albums/{album_id}/photos", json={"photo_ids": [photo_id]})
    for name, role in ((new, "contributor"), ("looker", "viewer")):
        joined = owner.put(f"/api/v1/albums/{album_id}/members/{name}", json={"role": role})
        assert joined.status_code == 200, joined.text
    made = owner.post("/api/v1/shares", json={"album_id": album_id})
    assert made.status_code == 201, made.text
    if hand_over:
        handed = owner.put(f"/api/v1/albums/{album_id}/owner", json={"username": new})
        assert handed.status_code == 204, handed.text
    return Shared(album_id, photo_id, old, new, made.json())


def holder_sees(archive: Archive, link: dict[str, object]) -> int:
    """The status the link's holder gets for its page and its JSON (the same, or a failure)."""
    guest = archive.server.client()
    page = guest.get(f"/s/{link['token']}")
    api = guest.get(f"/api/v1/s/{link['token']}")
    assert page.status_code == api.status_code, (page.status_code, api.status_code)
    return page.status_code


def links_of(archive: Archive, name: str) -> list[object]:
    listed = api_login(archive.server, name).get("/api/v1/shares")
    assert listed.status_code == 200, listed.text
    return [item["id"] for item in listed.json()["items"]]


def test_the_link_keeps_working_for_its_holder_after_a_hand_over(archive: Archive) -> None:
    shared = shared_album(archive)
    assert holder_sees(archive, shared.link) == 200
    got = archive.server.client().get(f"/api/v1/s/{shared.link['token']}")
    assert got.status_code == 200, got.text
    assert [p["id"] for p in got.json()["items"]] == [shared.photo_id]


def test_the_new_owner_sees_changes_and_turns_off_the_link(archive: Archive) -> None:
    shared = shared_album(archive)
    link_id = shared.link["id"]
    assert links_of(archive, shared.new) == [link_id]
    new_owner = api_login(archive.server, shared.new)
    (listed,) = new_owner.get("/api/v1/shares").json()["items"]
    assert listed["url"] == shared.link["url"] and listed["album_id"] == shared.album_id
    changed = new_owner.patch(f"/api/v1/shares/{link_id}", json={"allow_download": True})
    assert changed.status_code == 200 and changed.json()["allow_download"] is True

    # The album's page shows them its link, with the control that turns it off.
    page = parse(browser(archive.server, shared.new).get(f"/albums/{shared.album_id}").text)
    (url,) = page.find_all("input", class_="share-url")
    assert url["value"] == shared.link["url"]
    turn_off = [f for f in page.find_all("form") if f.get("action") == f"/shares/{link_id}/revoke"]
    assert len(turn_off) == 1

    off = form_post(browser(archive.server, shared.new), f"/shares/{link_id}/revoke")
    assert off.status_code == 303, off.text
    assert holder_sees(archive, shared.link) == 404
    assert links_of(archive, shared.new) == []


def test_the_old_owner_and_everyone_else_have_none_of_it(archive: Archive) -> None:
    shared = shared_album(archive)
    link_id = shared.link["id"]
    for name in (shared.old, *OTHERS):
        assert link_id not in links_of(archive, name), name
        api = api_login(archive.server, name)
        changed = api.patch(f"/api/v1/shares/{link_id}", json={"allow_download": True})
        assert changed.status_code == 404, (name, changed.text)
        assert api.delete(f"/api/v1/shares/{link_id}").status_code == 404, name
        off = form_post(browser(archive.server, name), f"/shares/{link_id}/revoke")
        assert off.status_code == 404, name
    # The old owner, a contributor now, shares it no more; their album page shows no link.
    old = api_login(archive.server, shared.old)
    again = old.post("/api/v1/shares", json={"album_id": shared.album_id})
    assert again.status_code == 403, again.text
    page = browser(archive.server, shared.old).get(f"/albums/{shared.album_id}")
    assert page.status_code == 200
    assert str(shared.link["token"]) not in page.text
    # Nothing they tried changed the link.
    assert holder_sees(archive, shared.link) == 200
    (listed,) = api_login(archive.server, shared.new).get("/api/v1/shares").json()["items"]
    assert listed["allow_download"] is False


def test_the_link_is_the_album_owner_s_whoever_made_it(archive: Archive) -> None:
    """Its maker's account disabled, the link still works (the album is its owner's); the
    album's owner disabled, it stops, as their own links do. The administrator looking after
    the album hands it on: the link stays ended (nobody chose to share the album again; the
    account may have been disabled for what it shared), and the new owner shares anew."""
    shared = shared_album(archive)
    admin = api_login(archive.server, "admin")

    def disable(name: str, disabled: bool = True) -> None:
        done = admin.patch(f"/api/v1/admin/users/{name}", json={"disabled": disabled})
        assert done.status_code == 200, done.text

    disable(shared.old)
    assert holder_sees(archive, shared.link) == 200
    disable(shared.new)
    assert holder_sees(archive, shared.link) == 404
    # The administrator looking after the album sees it, but it is not theirs to share: a
    # clear refusal, not "no such album", and no link made.
    before = links_of(archive, "admin")
    refused = admin.post("/api/v1/shares", json={"album_id": shared.album_id})
    assert refused.status_code == 403, refused.text
    assert "owner" in refused.json()["detail"]
    assert links_of(archive, "admin") == before
    # The administrator looking after the album hands it to its viewer: the link is theirs.
    handed = admin.put(f"/api/v1/albums/{shared.album_id}/owner", json={"username": "looker"})
    assert handed.status_code == 204, handed.text
    assert holder_sees(archive, shared.link) == 404
    assert links_of(archive, "looker") == []
    assert shared.link["id"] not in links_of(archive, "admin")
    # Its owner enabled again, the ended link stays ended.
    disable(shared.new, False)
    assert holder_sees(archive, shared.link) == 404
    # The new owner shares anew.
    again = api_login(archive.server, "looker").post(
        "/api/v1/shares", json={"album_id": shared.album_id}
    )
    assert again.status_code == 201, again.text
    assert holder_sees(archive, again.json()) == 200


def test_before_a_hand_over_the_link_is_its_maker_s(archive: Archive) -> None:
    shared = shared_album(archive, hand_over=False)
    assert holder_sees(archive, shared.link) == 200
    assert links_of(archive, shared.old) == [shared.link["id"]]
    for name in (shared.new, *OTHERS):  # `looker` may keep an album of an earlier test's
        assert shared.link["id"] not in links_of(archive, name), name


def test_a_private_photo_s_page_still_tells_its_owner_of_the_link(archive: Archive) -> None:
    """The old owner's private photo stays in the album they handed on, and its link still
    shows it: its page says so."""
    shared = shared_album(archive)
    old = api_login(archive.server, shared.old)
    hidden = old.patch(f"/api/v1/photos/{shared.photo_id}", json={"visibility": "private"})
    assert hidden.status_code == 200, hidden.text
    page = parse(browser(archive.server, shared.old).get(f"/photos/{shared.photo_id}").text)
    assert page.find_all("p", class_="held-in")
    assert "anyone with a share link to “Grandma's birthday”" in page.text
