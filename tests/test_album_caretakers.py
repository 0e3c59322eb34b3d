"""An album whose owner's account is disabled is looked after by an administrator: they may
rename it, choose its members, hand it to someone, or delete it, and nobody else gains
anything; its private photos stay hidden from them (they never become a member). While the
owner's account works, an administrator has nothing of it (404), as before.

The decision itself (access.decide_album) for every kind of viewer, then each operation over
HTTP, on both engines, for a guest, a signed-in non-member, a viewer, a contributor, the
(disabled) owner and an administrator.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from photoarchive.accounts.users import User
from photoarchive.library.access import AlbumAccess, Viewer, decide_album
from tests.support import (
    LiveServer,
    api_login,
    browser,
    form_post,
    live_server,
    make_settings,
    parse,
    sign_up,
)
from tests.test_bulk_api import jpeg


def _user(user_id: int, *, admin: bool = False, disabled: bool = False) -> User:
    return User(user_id, f"user{user_id}", f"u{user_id}@example.org", "", admin, disabled, "")


ADMIN = _user(1, admin=True)
MEMBER_ADMIN = _user(2, admin=True)
PERSON = _user(3)


@pytest.mark.parametrize(
    ("viewer", "role", "owner_disabled", "expected"),
    [
        (Viewer(None, public_view=True), None, True, AlbumAccess(None)),
        (Viewer(PERSON, public_view=False), None, True, AlbumAccess(None)),
        (Viewer(PERSON, public_view=False), "viewer", True, AlbumAccess("viewer")),
        (
            Viewer(PERSON, public_view=False),
            "contributor",
            True,
            AlbumAccess("contributor", add=True),
        ),
        (Viewer(PERSON, public_view=False), "owner", False, AlbumAccess("owner", True, True)),
        # A disabled account acts as nobody, its own album included.
        (Viewer(_user(3, disabled=True), False), "owner", False, AlbumAccess(None)),
        (Viewer(ADMIN, public_view=False), None, False, AlbumAccess(None)),
        (Viewer(ADMIN, public_view=False), None, True, AlbumAccess("caretaker", manage=True)),
        # An administrator who is a member keeps their role (and its photos) and manages it.
        (Viewer(MEMBER_ADMIN, False), "viewer", True, AlbumAccess("viewer", manage=True)),
        (Viewer(MEMBER_ADMIN, False), "viewer", False, AlbumAccess("viewer")),
        (Viewer(_user(1, admin=True, disabled=True), False), None, True, AlbumAccess(None)),
    ],
)
def test_who_may_do_what_with_an_album(
    viewer: Viewer, role: str | None, owner_disabled: bool, expected: AlbumAccess
) -> None:
    assert decide_album(viewer, role, owner_disabled=owner_disabled) == expected


# --- over HTTP, on both engines (the `archive` fixture's module_database) ---------------------

KINDS = ("guest", "other", "viewer", "contributor", "owner", "admin")


@dataclass
class Archive:
    server: LiveServer
    names: Iterator[int]
    clients: dict[str, httpx.Client]

    def api(self, name: str) -> httpx.Client:
        if name not in self.clients:
            self.clients[name] = api_login(self.server, name)
        return self.clients[name]


@dataclass
class Album:
    id: int
    owner: str
    family_photo: int
    private_photo: int
    owner_api: httpx.Client  # signed in before the account was disabled


@pytest.fixture(scope="module")
def archive(
    tmp_path_factory: pytest.TempPathFactory, module_database: Callable[[], str]
) -> Iterator[Archive]:
    data_dir: Path = tmp_path_factory.mktemp("album-care") / "data"
    settings = make_settings(data_dir, registration="open", database_url=module_database())
    with live_server(settings) as server:
        for name in ("admin", "other", "viewer", "contributor"):  # the first is the admin
            sign_up(server, name)
        yield Archive(server, itertools.count(1), {})


def new_album(archive: Archive, *, disable_owner: bool = True) -> Album:
    """An album of a new account's, with a viewer and a contributor, a family photo and a
    private one; its owner's account then disabled."""
    owner = f"owner{next(archive.names)}"
    sign_up(archive.server, owner)
    api = api_login(archive.server, owner)
    album_id = api.post("/api/v1/albums", json={"title": "Grandpa's garden"}).json()["id"]
    for name in ("viewer", "contributor"):
        put = api.put(f"/api/v1/albums/{album_id}/members/{name}", json={"role": name})
        assert put.status_code == 200, put.text
    photo_ids = []
    for visibility in ("family", "private"):
        made = api.post(
            "/api/v1/photos", files=[("file", ("g.jpg", jpeg()))], data={"visibility": visibility}
        )
        photo_ids.append(made.json()["items"][0]["id"])
    added = api.post(f"/api/v1/albums/{album_id}/photos", json={"photo_ids": photo_ids})
    assert added.json()["added"] == photo_ids, added.text
    if disable_owner:
        off = archive.api("admin").patch(f"/api/v1/admin/users/{owner}", json={"disabled": True})
        assert off.status_code == 200, off.text
    return Album(album_id, owner, photo_ids[0], photo_ids[1], api)


def client_of(archive: Archive, kind: str, album: Album) -> httpx.Client:
    if kind == "guest":
        return archive.server.client()
    if kind == "owner":
        return album.owner_api
    return archive.api(kind)


def members_of(archive: Archive, album_id: int) -> dict[str, str]:
    got = archive.api("viewer").get(f"/api/v1/albums/{album_id}")
    assert got.status_code == 200, got.text
    return {m["username"]: m["role"] for m in got.json()["members"]}


# What each kind of viewer gets for an album whose owner's account is disabled.
EXPECTED = {
    "read": dict(guest=401, other=404, viewer=200, contributor=200, owner=401, admin=200),
    "rename": dict(guest=401, other=404, viewer=403, contributor=403, owner=401, admin=200),
    # Not the administrator either: a newcomer would see the members' private photos.
    "add member": dict(guest=401, other=404, viewer=403, contributor=403, owner=401, admin=403),
    "change role": dict(guest=401, other=404, viewer=403, contributor=403, owner=401, admin=200),
    "remove member": dict(guest=401, other=404, viewer=403, contributor=403, owner=401, admin=204),
    "hand over": dict(guest=401, other=404, viewer=403, contributor=403, owner=401, admin=204),
    "delete": dict(guest=401, other=404, viewer=403, contributor=403, owner=401, admin=204),
}


@pytest.mark.parametrize("operation", list(EXPECTED))
def test_an_administrator_looks_after_an_album_whose_owner_is_disabled(
    archive: Archive, operation: str
) -> None:
    got = {}
    for kind in KINDS:
        album = new_album(archive)
        client = client_of(archive, kind, album)
        url = f"/api/v1/albums/{album.id}"
        before = members_of(archive, album.id)
        if operation == "read":
            answer = client.get(url)
        elif operation == "rename":
            answer = client.patch(url, json={"title": "Grandpa's roses"})
        elif operation == "add member":
            answer = client.put(f"{url}/members/other", json={"role": "viewer"})
        elif operation == "change role":
            answer = client.put(f"{url}/members/viewer", json={"role": "contributor"})
        elif operation == "remove member":  # someone else (removing oneself is leaving)
            target = "contributor" if kind == "viewer" else "viewer"
            answer = client.delete(f"{url}/members/{target}")
        elif operation == "hand over":
            answer = client.put(f"{url}/owner", json={"username": "contributor"})
        else:
            answer = client.delete(url)
        got[kind] = answer.status_code
        if answer.status_code >= 400:  # a refusal changes nothing
            assert members_of(archive, album.id) == before, (kind, answer.text)
            title = archive.api("viewer").get(url).json()["title"]
            assert title == "Grandpa's garden", kind
    assert got == EXPECTED[operation]


def test_what_the_administrator_changed_is_what_the_members_see(archive: Archive) -> None:
    album = new_album(archive)
    admin, viewer = archive.api("admin"), archive.api("viewer")
    url = f"/api/v1/albums/{album.id}"

    seen = admin.get(url).json()
    assert seen["role"] == "caretaker"
    # Not a member: the album's private photo stays hidden from them, as any private photo.
    assert seen["photo_count"] == 1
    listed = admin.get(f"{url}/photos").json()["items"]
    assert [p["id"] for p in listed] == [album.family_photo]
    assert admin.get(f"/api/v1/photos/{album.private_photo}").status_code == 404
    listed_albums = {a["id"]: a for a in admin.get("/api/v1/albums").json()["items"]}
    assert album.id in listed_albums
    # The private photo, added last, is the album's cover for its members; for them the
    # cover is the photo they may see (none at all would tell of a hidden one).
    assert f"/media/{album.private_photo}/" in archive.api("viewer").get(url).json()["cover"]
    assert f"/media/{album.family_photo}/" in seen["cover"]
    assert listed_albums[album.id]["cover"] == seen["cover"]
    # ...nor shown to everyone as its cover, nor gained by making themselves a member.
    cover = admin.patch(url, json={"cover_photo_id": album.private_photo})
    assert cover.status_code == 422, cover.text
    assert admin.put(f"{url}/members/admin", json={"role": "viewer"}).status_code == 403
    assert admin.put(f"{url}/owner", json={"username": "admin"}).status_code == 403
    assert "admin" not in members_of(archive, album.id)

    # ...nor by giving a place to anyone else (an account of their own making, a friend):
    # the members' private photos would be theirs to see.
    added = admin.put(f"{url}/members/other", json={"role": "viewer"})
    assert added.status_code == 403, added.text
    assert admin.put(f"{url}/owner", json={"username": "other"}).status_code == 403
    assert archive.api("other").get(f"/api/v1/photos/{album.private_photo}").status_code == 404

    assert admin.patch(url, json={"title": "Grandpa's roses"}).status_code == 200
    assert admin.put(f"{url}/members/viewer", json={"role": "contributor"}).status_code == 200
    assert viewer.get(url).json()["title"] == "Grandpa's roses"
    assert members_of(archive, album.id) == {
        album.owner: "owner",
        "contributor": "contributor",
        "viewer": "contributor",
    }

    handed = admin.put(f"{url}/owner", json={"username": "contributor"})
    assert handed.status_code == 204, handed.text
    # The new owner has it all (the private photo too); the care ends; the old owner stays.
    mine = archive.api("contributor").get(url).json()
    assert mine["role"] == "owner" and mine["owner"]["username"] == "contributor"
    assert mine["photo_count"] == 2
    assert members_of(archive, album.id)[album.owner] == "contributor"
    assert admin.get(url).status_code == 404
    assert archive.api("contributor").patch(url, json={"title": "Roses"}).status_code == 200


def test_while_the_owner_is_active_an_administrator_has_nothing_of_it(archive: Archive) -> None:
    album = new_album(archive, disable_owner=False)
    admin = archive.api("admin")
    url = f"/api/v1/albums/{album.id}"
    assert admin.get(url).status_code == 404
    assert admin.patch(url, json={"title": "x"}).status_code == 404
    assert admin.put(f"{url}/owner", json={"username": "viewer"}).status_code == 404
    assert album.id not in [a["id"] for a in admin.get("/api/v1/albums").json()["items"]]
    # The owner hands it over themselves, and stays in it as a contributor.
    assert album.owner_api.put(f"{url}/owner", json={"username": "viewer"}).status_code == 204
    assert members_of(archive, album.id) == {
        "viewer": "owner",
        album.owner: "contributor",
        "contributor": "contributor",
    }


def test_the_album_page_lets_the_administrator_look_after_it(archive: Archive) -> None:
    album = new_album(archive)
    admin = browser(archive.server, "admin")
    page = admin.get(f"/albums/{album.id}")
    assert page.status_code == 200, page.text
    shown = parse(page.text)
    assert "account is disabled" in shown.text
    assert shown.find_all("form", action=f"/albums/{album.id}/edit")
    assert shown.find_all("form", action=f"/albums/{album.id}/delete")
    # No field to add anyone (see test_what_the_administrator_changed_is_what_the_members_see);
    # each member's role and the hand-over are there.
    assert not shown.find_all("input", id="member-username")
    assert "but not add anyone" in shown.text
    assert shown.find_all("form", class_="member-role")
    tiles = [e["data-photo-id"] for e in shown.find_all("li", class_="grid-item")]
    assert tiles == [str(album.family_photo)]
    renamed = form_post(admin, f"/albums/{album.id}/edit", {"title": "Roses"})
    assert renamed.status_code == 303, renamed.text
    handed = form_post(
        admin, f"/albums/{album.id}/members", {"username": "viewer", "role": "owner"}
    )
    assert handed.status_code == 303 and handed.headers["location"] == "/albums"
    assert members_of(archive, album.id)["viewer"] == "owner"
    assert archive.api("viewer").get(f"/api/v1/albums/{album.id}").json()["title"] == "Roses"
    gone = form_post(admin, f"/albums/{album.id}/delete")
    assert gone.status_code == 404
