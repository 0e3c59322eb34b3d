"""An archive made through the app by two people (photos, comments, a like, a favorite, an
album shared with a member, a share link, a private photo, one in the trash), and what they
see of it as data: for tests that move an archive (db copy, backup and restore) and check
the moved one answers the same."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.processes import distinct_jpeg
from tests.support import LiveServer, api_login, parse, sign_up, upload_bytes

TABLES = ("users", "sessions", "photos", "comments", "likes", "albums", "shares", "trashed_photos")


@dataclass
class Archive:
    """What the people did, and what the server answered them."""

    photos: list[int] = field(default_factory=list)
    trashed: int = 0
    album: int = 0
    share_token: str = ""
    tokens: dict[str, str] = field(default_factory=dict)  # username -> Bearer token
    counts: dict[str, int] = field(default_factory=dict)


def make_archive(server: LiveServer) -> Archive:
    archive = Archive()
    for name in ("alice", "bob"):
        sign_up(server, name)
        archive.tokens[name] = api_login(server, name).headers["Authorization"]
    alice, bob = (client(server, archive, name) for name in ("alice", "bob"))
    for caption in ("At the lake", "Grandma's garden", "Rain", "Blurred"):
        made = upload_bytes(alice, "photo.jpg", distinct_jpeg(), caption=caption)
        assert made.status_code == 201, made.text
        archive.photos.append(made.json()["items"][0]["id"])
    first, second, third, archive.trashed = archive.photos
    for text in ("Lovely light", "<b>so</b> green & wet"):
        assert bob.post(f"/api/v1/photos/{first}/comments", json={"text": text}).status_code == 201
    assert bob.put(f"/api/v1/photos/{first}/like").status_code == 200
    assert alice.put(f"/api/v1/photos/{second}/favorite").status_code == 200
    album = alice.post("/api/v1/albums", json={"title": "Summer", "description": "sea"})
    assert album.status_code == 201, album.text
    archive.album = album.json()["id"]
    added = alice.post(f"/api/v1/albums/{archive.album}/photos", json={"photo_ids": [first, third]})
    assert added.status_code == 200, added.text
    member = alice.put(f"/api/v1/albums/{archive.album}/members/bob", json={"role": "viewer"})
    assert member.status_code == 200, member.text
    share = alice.post("/api/v1/shares", json={"photo_ids": [second, third]})
    assert share.status_code == 201, share.text
    archive.share_token = share.json()["token"]
    assert alice.patch(f"/api/v1/photos/{third}", json={"visibility": "private"}).status_code == 200
    assert alice.delete(f"/api/v1/photos/{archive.trashed}").status_code == 204
    with server.db() as conn:
        archive.counts = {
            t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES
        }
    assert all(archive.counts.values()), archive.counts
    return archive


def client(server: LiveServer, archive: Archive, name: str) -> httpx.Client:
    made = server.client()
    made.headers["Authorization"] = archive.tokens[name]
    return made


def answers(server: LiveServer, archive: Archive) -> dict[str, Any]:
    """What people see, as data: the API's answers, a rendition's bytes, a page's text."""
    alice, bob, guest = (*(client(server, archive, n) for n in ("alice", "bob")), server.client())
    first = archive.photos[0]
    photo = bob.get(f"/api/v1/photos/{first}")
    assert photo.status_code == 200, photo.text
    page = parse(bob.get(f"/photos/{first}").text)
    return {
        "photo": photo.json(),
        "thumbnail": bob.get(photo.json()["urls"]["thumbnail"]).content,
        "comments": bob.get(f"/api/v1/photos/{first}/comments").json(),
        "page": ("Lovely light" in page.text, "<b>so</b> green & wet" in page.text),
        "feed": [p["id"] for p in bob.get("/api/v1/photos").json()["items"]],
        "private": bob.get(f"/api/v1/photos/{archive.photos[2]}").status_code,
        "mine": [p["id"] for p in alice.get("/api/v1/photos").json()["items"]],
        "album": bob.get(f"/api/v1/albums/{archive.album}").json(),
        "album_photos": alice.get(f"/api/v1/albums/{archive.album}/photos").json(),
        "trash": alice.get("/api/v1/trash").json(),
        "share": guest.get(f"/api/v1/s/{archive.share_token}").json(),
        "favorites": [p["id"] for p in alice.get("/api/v1/favorites").json()["items"]],
        # Derived data each engine keeps itself: the search index (captions and comments),
        # and the timeline's months.
        "search": {
            q: [p["id"] for p in bob.get("/api/v1/search", params={"q": q}).json()["items"]]
            for q in ("garden", "green", "lake", "rain")
        },
        "months": alice.get("/api/v1/timeline/buckets").json(),
    }
