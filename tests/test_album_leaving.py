"""A member who leaves an album, or is removed from it, takes their photos with them; and a
photo's owner may always take their own photo out of an album, whatever their role in it.
Over HTTP, as a family would: a private photo put in a shared album stops being shown (to
the album's members and to its link's holders) once its owner is no longer in it."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from tests.support import (
    PHOTOS,
    LiveServer,
    api_login,
    archive_of,
    browser,
    form_post,
    live_server,
    parse,
    uploaded,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

CAMERAS = sorted((PHOTOS / "cameras").glob("*.jpg"))


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[LiveServer]:
    with archive_of(tmp_path / "data", ("admin", "bob", "carol", "dave")) as server:
        yield server


def shared_with_carol(archive: LiveServer) -> tuple[httpx.Client, httpx.Client, int, int, str]:
    """Bob's album with Carol contributing and a private photo of hers in it, and a share
    link to the album: (bob, carol, album id, photo id, link token)."""
    bob, carol = api_login(archive, "bob"), api_login(archive, "carol")
    album_id = bob.post("/api/v1/albums", json={"title": "Cousins"}).json()["id"]
    joined = bob.put(f"/api/v1/albums/{album_id}/members/carol", json={"role": "contributor"})
    assert joined.status_code == 200, joined.text
    photo_id = uploaded(carol, CAMERAS[0])
    made = carol.patch(f"/api/v1/photos/{photo_id}", json={"visibility": "private"})
    assert made.status_code == 200 and made.json()["visibility"] == "private"
    added = carol.post(f"/api/v1/albums/{album_id}/photos", json={"photo_ids": [photo_id]})
    assert added.json()["added"] == [photo_id]
    link = bob.post("/api/v1/shares", json={"album_id": album_id})
    assert link.status_code == 201, link.text
    token = link.json()["url"].rsplit("/", 1)[1]
    return bob, carol, album_id, photo_id, token


class _Texts(HTMLParser):
    """The text of every element with an id, and of every label (keyed by the value of the
    input it holds): enough to read what a page says without guessing at its markup."""

    VOID = frozenset({"input", "img", "br", "meta", "link", "hr", "source"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, str | None]] = []  # (tag, key) of elements being read
        self.texts: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and self.open and self.open[-1][0] == "label":
            label_key = f"label:{found.get('name')}={found.get('value')}"
            self.texts[label_key] = self.texts.pop(self.open[-1][1] or "", [])
            self.open[-1] = ("label", label_key)
        if tag in self.VOID:
            return
        key = (
            f"#{found['id']}"
            if found.get("id")
            else (f"label@{self.getpos()}" if tag == "label" else None)
        )
        self.open.append((tag, key))
        if key:
            self.texts.setdefault(key, [])

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            if self.open.pop()[0] == tag:
                return

    def handle_data(self, data: str) -> None:
        for _, key in self.open:
            if key:
                self.texts[key].append(data)


def said(html: str, key: str) -> str | None:
    """The text of `#id`, or of the label holding the input `label:name=value`; None if absent."""
    reader = _Texts()
    reader.feed(html)
    found = reader.texts.get(key)
    return None if found is None else " ".join("".join(found).split())


def album_ids(client: httpx.Client, album_id: int) -> list[int]:
    return [p["id"] for p in client.get(f"/api/v1/albums/{album_id}/photos").json()["items"]]


def link_ids(guest: httpx.Client, token: str) -> list[int]:
    return [p["id"] for p in guest.get(f"/api/v1/s/{token}").json()["items"]]


@pytest.mark.parametrize("how", ["removed", "leaving"])
def test_a_member_s_photos_leave_the_album_with_them(archive: LiveServer, how: str) -> None:
    bob, carol, album_id, photo_id, token = shared_with_carol(archive)
    guest = archive.client()
    assert album_ids(bob, album_id) == [photo_id]
    assert link_ids(guest, token) == [photo_id]
    who = bob if how == "removed" else carol
    assert who.delete(f"/api/v1/albums/{album_id}/members/carol").status_code == 204
    assert album_ids(bob, album_id) == []
    assert bob.get(f"/api/v1/albums/{album_id}").json()["photo_count"] == 0
    assert bob.get(f"/api/v1/photos/{photo_id}").status_code == 404
    assert bob.get(f"/media/{photo_id}/thumbnail").status_code == 404
    assert link_ids(guest, token) == []
    assert guest.get(f"/s/{token}/media/{photo_id}/thumbnail").status_code == 404
    # The photo itself is still Carol's, and private.
    mine = carol.get(f"/api/v1/photos/{photo_id}")
    assert mine.status_code == 200 and mine.json()["visibility"] == "private"


def test_photos_of_the_members_who_stay_stay(archive: LiveServer) -> None:
    bob, _carol, album_id, photo_id, _ = shared_with_carol(archive)
    bobs = uploaded(bob, CAMERAS[1])
    bob.post(f"/api/v1/albums/{album_id}/photos", json={"photo_ids": [bobs]})
    bob.put(f"/api/v1/albums/{album_id}/members/dave", json={"role": "viewer"})
    assert bob.delete(f"/api/v1/albums/{album_id}/members/dave").status_code == 204
    assert sorted(album_ids(bob, album_id)) == sorted([bobs, photo_id])


def test_a_photo_s_owner_takes_it_out_whatever_their_role(archive: LiveServer) -> None:
    bob, carol, album_id, photo_id, token = shared_with_carol(archive)
    other = uploaded(bob, CAMERAS[1])
    bob.post(f"/api/v1/albums/{album_id}/photos", json={"photo_ids": [other]})
    # Demoted to a viewer, Carol may no longer add, but her own photo is still hers to withdraw.
    bob.put(f"/api/v1/albums/{album_id}/members/carol", json={"role": "viewer"})
    out = carol.post(f"/api/v1/albums/{album_id}/photos/remove", json={"photo_ids": [other]})
    assert out.status_code == 200 and out.json() == {"removed": []}
    out = carol.post(
        f"/api/v1/albums/{album_id}/photos/remove", json={"photo_ids": [photo_id, other]}
    )
    assert out.status_code == 200 and out.json() == {"removed": [photo_id]}
    assert album_ids(bob, album_id) == [other]
    assert link_ids(archive.client(), token) == [other]
    assert carol.get(f"/api/v1/photos/{photo_id}").status_code == 200  # only out of the album
    # A viewer with no photo in the album still may not remove any.
    refused = carol.post(f"/api/v1/albums/{album_id}/photos/remove", json={"photo_ids": [other]})
    assert refused.status_code == 403
    dave = api_login(archive, "dave")
    gone = dave.post(f"/api/v1/albums/{album_id}/photos/remove", json={"photo_ids": [other]})
    assert gone.status_code == 404


def test_the_photo_page_tells_its_owner_who_sees_a_private_photo(archive: LiveServer) -> None:
    bob, _carol, album_id, photo_id, _ = shared_with_carol(archive)
    carol = browser(archive, "carol")
    html = carol.get(f"/photos/{photo_id}").text
    chosen = parse(html).find_all("input", name="visibility", value="private")
    assert len(chosen) == 1 and "checked" in chosen[0]
    private = "label:visibility=private"
    assert said(html, private) == "Private: only me, and the albums I put it in"
    assert said(html, f"#held-in-{photo_id}") == (
        "Also seen by the members of Cousins, and by anyone with a share link to “Cousins”."
    )
    assert parse(html).find_all("a", href=f"/albums/{album_id}")
    # Its members see it, but only its owner is told who else does.
    bob_page = browser(archive, "bob").get(f"/photos/{photo_id}")
    assert bob_page.status_code == 200 and said(bob_page.text, f"#held-in-{photo_id}") is None
    # Once out of the album, nothing more to tell.
    carol_api = api_login(archive, "carol")
    carol_api.post(f"/api/v1/albums/{album_id}/photos/remove", json={"photo_ids": [photo_id]})
    assert said(carol.get(f"/photos/{photo_id}").text, f"#held-in-{photo_id}") is None
    assert said(carol.get("/upload").text, private) == (
        "Private: only me, and the albums I put them in"
    )
    assert bob.get(f"/api/v1/photos/{photo_id}").status_code == 404


def test_remove_from_album_is_a_plain_form_that_says_how_many_left(archive: LiveServer) -> None:
    bob_api, carol_api, album_id, carols, _ = shared_with_carol(archive)
    bobs = [uploaded(bob_api, path) for path in CAMERAS[1:3]]
    bob_api.post(f"/api/v1/albums/{album_id}/photos", json={"photo_ids": bobs})
    bob, carol = browser(archive, "bob"), browser(archive, "carol")

    def remove_form(client: httpx.Client, path: str) -> object:
        action = f"/albums/{album_id}/photos/remove"
        forms = parse(client.get(path).text).find_all("form", action=action)
        return forms[0] if forms else None

    # The album's owner, and a contributor with a photo of their own in it, are offered it.
    assert remove_form(bob, f"/albums/{album_id}") is not None
    assert remove_form(carol, f"/albums/{album_id}") is not None
    assert remove_form(carol, f"/photos/{carols}?from=album:{album_id}") is not None
    assert remove_form(carol, f"/photos/{bobs[0]}?from=album:{album_id}") is None
    assert remove_form(carol, f"/photos/{carols}") is None  # not opened from the album
    # Carol chooses Bob's photos and her own: only hers leaves, and the notice says so.
    url = f"/albums/{album_id}/photos/remove"
    done = form_post(carol, url, {"photo_ids": [str(carols), str(bobs[0])]})
    assert done.status_code == 303
    assert done.headers["location"] == f"/albums/{album_id}?removed=1&kept=1"
    assert said(carol.get(done.headers["location"]).text, "#album-notice") == (
        "1 photo removed from the album. 1 left in: only the album's owner or a photo's owner"
        " can take it out."
    )
    done = form_post(bob, url, {"photo_ids": [str(i) for i in bobs]})
    assert done.headers["location"] == f"/albums/{album_id}?removed=2&kept=0"
    notice = said(bob.get(done.headers["location"]).text, "#album-notice")
    assert notice == "2 photos removed from the album."
    assert album_ids(bob_api, album_id) == []
    # Out of the album, never out of the archive.
    for owner, photo_id in ((carol_api, carols), (bob_api, bobs[0]), (bob_api, bobs[1])):
        assert owner.get(f"/api/v1/photos/{photo_id}").status_code == 200
    # A viewer with nothing of theirs in the album is not offered it, and is refused.
    bob_api.put(f"/api/v1/albums/{album_id}/members/dave", json={"role": "viewer"})
    bob_api.post(f"/api/v1/albums/{album_id}/photos", json={"photo_ids": bobs})
    dave = browser(archive, "dave")
    assert remove_form(dave, f"/albums/{album_id}") is None
    assert form_post(dave, url, {"photo_ids": [str(bobs[0])]}).status_code == 403
    for bad in ({"photo_ids": "x1"}, {}):
        refused = form_post(bob, url, bad)
        assert refused.status_code == 422
    assert sorted(album_ids(bob_api, album_id)) == sorted(bobs)
    assert client_without_token_refused(bob, url, bobs[0])


def client_without_token_refused(client: httpx.Client, url: str, photo_id: int) -> bool:
    return client.post(url, data={"photo_ids": str(photo_id)}).status_code == 403


def test_photos_left_behind_before_the_fix_leave_on_upgrade(tmp_path: Path) -> None:
    """Migration 0026: an archive where removing a member left their photos in the album."""
    with archive_of(tmp_path / "data", ("admin", "bob", "carol")) as server:
        bob, _carol, album_id, photo_id, token = shared_with_carol(server)
        bobs = uploaded(bob, CAMERAS[1])
        bob.post(f"/api/v1/albums/{album_id}/photos", json={"photo_ids": [bobs]})
        bob.patch(f"/api/v1/albums/{album_id}", json={"cover_photo_id": photo_id})
        settings = server.settings
        postgres = settings.database_url.startswith("postgresql:")
        with server.db() as conn:  # as the old code left it, and as its schema was
            conn.execute(
                "DELETE FROM album_members WHERE album_id = ? AND user_id ="
                " (SELECT id FROM users WHERE username = 'carol')",
                (album_id,),
            )
            if postgres:
                conn.execute("DELETE FROM schema_migrations WHERE version = 26")
            else:
                conn.execute("PRAGMA user_version = 25")
        assert sorted(album_ids(bob, album_id)) == sorted([photo_id, bobs])
        cover = bob.get(f"/api/v1/albums/{album_id}").json()["cover"]
        assert cover.startswith(f"/media/{photo_id}/")
    with live_server(settings) as upgraded:
        bob = api_login(upgraded, "bob")
        assert album_ids(bob, album_id) == [bobs]
        cover = bob.get(f"/api/v1/albums/{album_id}").json()["cover"]
        assert cover.startswith(f"/media/{bobs}/")  # the automatic cover again
        assert link_ids(upgraded.client(), token) == [bobs]
        assert api_login(upgraded, "carol").get(f"/api/v1/photos/{photo_id}").status_code == 200
