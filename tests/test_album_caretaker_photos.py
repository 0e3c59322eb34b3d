"""The administrator looking after an album whose owner is disabled takes photos out of it, as
its owner would: every photo they see, never a private one (they are no member, so its
members' private photos stay hidden from them, and stay in it). The rule (access.may_take_out)
for each kind of person, then over HTTP on both engines: the JSON API, the album page's
"Remove from album" and a photo's page opened from the album.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from photoarchive.accounts.users import User
from photoarchive.library.access import may_take_out
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

ADMIN = User(1, "admin", "admin@example.org", "", True, False, "")
PERSON = User(2, "person", "person@example.org", "", False, False, "")
OWNER, ADDER = 7, 8  # a photo's owner, and who put it in the album


@pytest.mark.parametrize(
    ("account", "role", "manages", "seen", "expected"),
    [
        # The administrator looking after it: what they see, as its owner would.
        (ADMIN, "caretaker", True, True, True),
        (ADMIN, "caretaker", True, False, False),
        # An administrator who is a member looks after it with what their role sees.
        (ADMIN, "viewer", True, True, True),
        # Without the care (the owner's account works), an administrator has nothing of it.
        (ADMIN, None, False, True, False),
        (PERSON, "viewer", False, True, False),
        (PERSON, "contributor", False, True, False),
        (PERSON, "owner", True, True, True),
        # A photo in its owner's trash (not seen by anyone else): the album's owner, and the
        # contributor who added it, leave it there, so that a restore puts it back.
        (PERSON, "owner", True, False, False),
        (PERSON, "owner", False, False, False),
        (ADMIN, "owner", True, False, False),
    ],
)
def test_who_takes_a_photo_out(
    account: User, role: str | None, manages: bool, seen: bool, expected: bool
) -> None:
    assert may_take_out(account, role, OWNER, ADDER, manages=manages, seen=seen) is expected


def test_a_photo_s_owner_and_its_adder_keep_their_say() -> None:
    adder = User(ADDER, "adder", "adder@example.org", "", False, False, "")
    owner = User(OWNER, "owner", "owner@example.org", "", False, False, "")
    assert may_take_out(adder, "contributor", OWNER, ADDER, manages=False, seen=True)
    assert may_take_out(owner, None, OWNER, ADDER, manages=False, seen=True)
    # Their own photo in their trash is theirs to take out still; not the adder's.
    assert may_take_out(owner, "viewer", OWNER, ADDER, manages=False, seen=False)
    assert not may_take_out(adder, "contributor", OWNER, ADDER, manages=False, seen=False)


# --- over HTTP, on both engines ----------------------------------------------------------------


@dataclass
class Archive:
    server: LiveServer
    names: Iterator[int]


@pytest.fixture(scope="module")
def archive(
    tmp_path_factory: pytest.TempPathFactory, module_database: Callable[[], str]
) -> Iterator[Archive]:
    data_dir: Path = tmp_path_factory.mktemp("care-photos") / "data"
    settings = make_settings(data_dir, registration="open", database_url=module_database())
    with live_server(settings) as server:
        for name in ("admin", "viewer", "contributor"):  # the first is the administrator
            sign_up(server, name)
        yield Archive(server, itertools.count(1))


@dataclass
class Album:
    id: int
    family: list[int]  # the owner's and the contributor's family photos
    private: list[int]  # and their private ones
    owner: str = ""


def upload(client: httpx.Client, visibility: str) -> int:
    made = client.post(
        "/api/v1/photos", files=[("file", ("g.jpg", jpeg()))], data={"visibility": visibility}
    )
    assert made.status_code == 201, made.text
    return int(made.json()["items"][0]["id"])


def new_album(archive: Archive, *, disable_owner: bool = True) -> Album:
    """An album of a new account's with a viewer and a contributor, and a family and a private
    photo each of its owner and of the contributor; its owner's account then disabled."""
    owner = f"owner{next(archive.names)}"
    sign_up(archive.server, owner)
    api = api_login(archive.server, owner)
    album_id = api.post("/api/v1/albums", json={"title": "Grandpa's garden"}).json()["id"]
    for name in ("viewer", "contributor"):
        put = api.put(f"/api/v1/albums/{album_id}/members/{name}", json={"role": name})
        assert put.status_code == 200, put.text
    album = Album(album_id, [], [], owner)
    for client in (api, api_login(archive.server, "contributor")):
        ids = [upload(client, "family"), upload(client, "private")]
        added = client.post(f"/api/v1/albums/{album_id}/photos", json={"photo_ids": ids})
        assert added.json()["added"] == ids, added.text
        album.family.append(ids[0])
        album.private.append(ids[1])
    if disable_owner:
        admin = api_login(archive.server, "admin")
        off = admin.patch(f"/api/v1/admin/users/{owner}", json={"disabled": True})
        assert off.status_code == 200, off.text
    return album


def held(archive: Archive, album: Album) -> set[int]:
    """The photos the album holds, as a member (who sees them all) reads them."""
    got = api_login(archive.server, "viewer").get(f"/api/v1/albums/{album.id}/photos")
    assert got.status_code == 200, got.text
    return {p["id"] for p in got.json()["items"]}


def test_the_caretaker_takes_out_what_they_see_and_the_private_photos_stay(
    archive: Archive,
) -> None:
    album = new_album(archive)
    every = [*album.family, *album.private]
    admin = api_login(archive.server, "admin")
    taken = admin.post(f"/api/v1/albums/{album.id}/photos/remove", json={"photo_ids": every})
    assert taken.status_code == 200, taken.text
    assert taken.json()["removed"] == album.family
    assert held(archive, album) == set(album.private)


def test_without_the_care_an_administrator_takes_nothing_out(archive: Archive) -> None:
    album = new_album(archive, disable_owner=False)
    admin = api_login(archive.server, "admin")
    taken = admin.post(f"/api/v1/albums/{album.id}/photos/remove", json={"photo_ids": album.family})
    assert taken.status_code == 404, taken.text
    # Nor does a viewer, while it is looked after.
    looked_after = new_album(archive)
    viewer = api_login(archive.server, "viewer")
    url = f"/api/v1/albums/{looked_after.id}/photos/remove"
    assert viewer.post(url, json={"photo_ids": looked_after.family}).status_code == 403
    assert held(archive, album) == {*album.family, *album.private}
    assert held(archive, looked_after) == {*looked_after.family, *looked_after.private}


def test_a_photo_in_its_owner_s_trash_stays_in_the_album_for_its_restore(
    archive: Archive,
) -> None:
    """Neither the album's owner nor anyone else but the photo's owner takes a trashed photo
    out of an album (they do not see it); restored, it is back in the album."""
    album = new_album(archive, disable_owner=False)
    contributor = api_login(archive.server, "contributor")
    theirs = album.family[1]
    assert contributor.delete(f"/api/v1/photos/{theirs}").status_code == 204
    owner = api_login(archive.server, album.owner)
    url = f"/api/v1/albums/{album.id}/photos/remove"
    taken = owner.post(url, json={"photo_ids": [theirs, album.family[0]]})
    assert taken.status_code == 200, taken.text
    assert taken.json()["removed"] == [album.family[0]]
    restored = contributor.post("/api/v1/trash/restore", json={"photo_ids": [theirs]})
    assert restored.status_code == 200, restored.text
    assert held(archive, album) == {theirs, *album.private}


def test_the_album_page_offers_remove_from_album_to_the_caretaker(archive: Archive) -> None:
    album = new_album(archive)
    admin = browser(archive.server, "admin")
    page = parse(admin.get(f"/albums/{album.id}").text)
    assert page.find_all("form", action=f"/albums/{album.id}/photos/remove")
    chosen = {"photo_ids": [str(album.family[0]), str(album.private[1])]}
    removed = form_post(admin, f"/albums/{album.id}/photos/remove", chosen)
    assert removed.status_code == 303, removed.text
    assert removed.headers["location"] == f"/albums/{album.id}?removed=1&kept=1"
    assert held(archive, album) == {album.family[1], *album.private}
    # A photo's page opened from the album offers it too.
    opened = admin.get(f"/photos/{album.family[1]}", params={"from": f"album:{album.id}"})
    assert opened.status_code == 200, opened.text
    assert parse(opened.text).find_all("form", action=f"/albums/{album.id}/photos/remove")
