"""Feed, profiles, photo pages, comments and likes through pages and the API."""

from __future__ import annotations

from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.support import (
    PHOTOS,
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

CAMERAS = sorted((PHOTOS / "cameras").glob("*.jpg"))


def _seed_rows(server: LiveServer, owner: str, count: int, template_id: int) -> None:
    """Many photo rows sharing one stored blob: pagination cost does not depend on blobs."""
    with server.db() as conn:
        owner_id = conn.execute("SELECT id FROM users WHERE username = ?", (owner,)).fetchone()[0]
        row = conn.execute("SELECT * FROM photos WHERE id = ?", (template_id,)).fetchone()
        values = dict(zip(row.keys(), row, strict=True))  # a row iterates its values
        del values["id"]
        for n in range(count):
            values.update(owner_id=owner_id, sha256=f"{n:064x}", caption=f"seeded {n}")
            conn.execute(
                f"INSERT INTO photos ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                list(values.values()),
            )


def test_feed_api_pages_through_everything_newest_first(server: LiveServer) -> None:
    sign_up(server, "alice")
    client = api_login(server, "alice")
    first = upload(client, CAMERAS[0]).json()["items"][0]
    _seed_rows(server, "alice", 74, first["id"])
    seen: list[int] = []
    cursor = ""
    pages = 0
    while True:
        response = client.get("/api/v1/photos", params={"cursor": cursor, "limit": 20})
        assert response.status_code == 200
        body = response.json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        if body["next_cursor"] is None:
            break
        cursor = body["next_cursor"]
    assert pages == 4
    assert len(seen) == 75 == len(set(seen))
    assert seen == sorted(seen, reverse=True)
    assert client.get("/api/v1/photos").json()["items"].__len__() == 30
    assert client.get("/api/v1/photos", params={"limit": 101}).status_code == 400
    assert client.get("/api/v1/photos", params={"cursor": "abc"}).status_code == 400


def test_feed_page_and_profile_cost_a_fixed_number_of_queries(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    script = api_login(server, "alice")
    first = upload(script, CAMERAS[0]).json()["items"][0]
    _seed_rows(server, "alice", 150, first["id"])
    costs = {}
    for limit in (5, 30, 100):
        before = server.queries()
        assert script.get("/api/v1/photos", params={"limit": limit}).status_code == 200
        costs[limit] = server.queries() - before
    assert len(set(costs.values())) == 1, costs
    before = server.queries()
    alice.get("/")
    feed_cost = server.queries() - before
    before = server.queries()
    alice.get("/?cursor=50")
    assert server.queries() - before == feed_cost
    assert feed_cost <= 5  # one of them the memories strip (library/timeline.py)
    for path in ("/u/alice", "/api/v1/users/alice/photos"):
        per_size = set()
        for limit in (5, 100):
            before = server.queries()
            assert alice.get(path, params={"limit": limit}).status_code == 200
            per_size.add(server.queries() - before)
        assert len(per_size) == 1, (path, per_size)
    before = server.queries()
    alice.get("/u/alice", params={"cursor": "40"})
    deep = server.queries() - before
    before = server.queries()
    alice.get("/u/alice", params={"cursor": "140"})
    assert server.queries() - before == deep <= 6


def test_feed_html_infinite_scroll_and_htmx_partial(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    script = api_login(server, "alice")
    first = upload(script, CAMERAS[0]).json()["items"][0]
    _seed_rows(server, "alice", 40, first["id"])
    page = parse(alice.get("/").text)
    cards = page.find_all("article", class_="card")
    assert len(cards) == 30
    more = page.find_all("a", class_="more")[0]
    assert more["hx-trigger"] == "revealed" and more["href"].startswith("/?cursor=")
    partial = alice.get(more["href"], headers={"HX-Request": "true"})
    assert "<html" not in partial.text
    assert len(parse(partial.text).find_all("article", class_="card")) == 11
    images = page.find_all("img")
    assert all(
        img.get("loading") == "lazy" and img.get("width") and img.get("srcset") for img in images
    )


def test_comments_and_likes_via_api(server: LiveServer) -> None:
    sign_up(server, "alice")
    sign_up(server, "bob")
    alice, bob = api_login(server, "alice"), api_login(server, "bob")
    photo = upload(alice, CAMERAS[1], caption="sunset").json()["items"][0]
    pid = photo["id"]
    assert bob.put(f"/api/v1/photos/{pid}/like").json() == {"liked": True, "like_count": 1}
    assert bob.put(f"/api/v1/photos/{pid}/like").json() == {"liked": True, "like_count": 1}
    assert alice.put(f"/api/v1/photos/{pid}/like").json()["like_count"] == 2
    assert bob.get(f"/api/v1/photos/{pid}").json()["liked_by_me"] is True
    assert bob.delete(f"/api/v1/photos/{pid}/like").json() == {"liked": False, "like_count": 1}
    assert bob.delete(f"/api/v1/photos/{pid}/like").json() == {"liked": False, "like_count": 1}
    created = bob.post(f"/api/v1/photos/{pid}/comments", json={"text": "lovely"})
    assert created.status_code == 201
    assert created.json()["author"]["username"] == "bob"
    assert bob.post(f"/api/v1/photos/{pid}/comments", json={"text": "  "}).status_code == 422
    too_long = bob.post(f"/api/v1/photos/{pid}/comments", json={"text": "x" * 2001})
    assert too_long.status_code == 422
    listed = alice.get(f"/api/v1/photos/{pid}/comments").json()["items"]
    assert [c["text"] for c in listed] == ["lovely"]
    assert alice.get(f"/api/v1/photos/{pid}").json()["comment_count"] == 1
    profile = alice.get("/api/v1/users/alice").json()
    assert profile["counts"] == {"photos": 1, "likes": 1, "comments": 1}
    assert [p["id"] for p in alice.get("/api/v1/users/alice/photos").json()["items"]] == [pid]
    assert alice.get("/api/v1/users/bob/photos").json()["items"] == []
    assert alice.get("/api/v1/users/nobody").status_code == 404


def test_like_and_comment_in_place_with_htmx(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    photo = upload(alice, CAMERAS[2]).json()["items"][0]
    pid = photo["id"]
    liked = form_post(alice, f"/photos/{pid}/like", {"liked": "1"}, headers={"HX-Request": "true"})
    assert liked.status_code == 200 and "<html" not in liked.text
    fragment = parse(liked.text)
    assert fragment.find_all("button", **{"aria-pressed": "true"})
    assert "1 like" in fragment.text
    commented = form_post(
        alice,
        f"/photos/{pid}/comments",
        {"text": "<b>nice</b>", "view": "card"},
        headers={"HX-Request": "true"},
    )
    assert commented.status_code == 200
    assert "&lt;b&gt;nice&lt;/b&gt;" in commented.text
    assert "<b>nice</b>" not in commented.text
    without_js = form_post(alice, f"/photos/{pid}/comments", {"text": "second"})
    assert without_js.status_code == 303 and without_js.headers["location"] == f"/photos/{pid}"
    page = parse(alice.get(f"/photos/{pid}").text)
    assert "nice" in page.text and "second" in page.text
    assert "FUJIFILM FinePix E500" in page.text  # camera from EXIF is shown
    empty = form_post(
        alice, f"/photos/{pid}/comments", {"text": ""}, headers={"HX-Request": "true"}
    )
    assert empty.status_code == 422
    assert empty.headers["hx-retarget"] == "#messages"
    # What to do, under a heading that says it is the person's to fix.
    assert parse(empty.text).text == (
        "Please check and try again Write something before posting a comment."
    )


def test_profile_page_counts_grid_and_modal(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    bob = sign_up(server, "bob")
    ids = [upload(alice, path).json()["items"][0]["id"] for path in CAMERAS[:3]]
    form_post(bob, f"/photos/{ids[0]}/like", {"liked": "1"})
    form_post(bob, f"/photos/{ids[1]}/comments", {"text": "hi"})
    page = parse(bob.get("/u/alice").text)
    counts = {e["data-count"]: e for e in page.find_all("strong") if e.get("data-count")}
    assert set(counts) == {"photos", "likes", "comments"}
    assert "3 photos 1 like received 1 comment received" in page.text
    alone = upload(bob, CAMERAS[3]).json()["items"][0]["id"]
    assert "1 photo 0 likes received 0 comments received" in parse(bob.get("/u/bob").text).text
    form_post(alice, f"/photos/{alone}/like", {"liked": "1"})
    form_post(alice, f"/photos/{alone}/comments", {"text": "a"})
    assert "1 photo 1 like received 1 comment received" in parse(bob.get("/u/bob").text).text
    links = [a for a in page.find_all("a") if a.get("hx-target") == "#modal"]
    assert [a["href"] for a in links] == [f"/photos/{i}?from=user:alice" for i in reversed(ids)]
    assert all(a.get("hx-push-url") == "true" for a in links)
    modal = bob.get(f"/photos/{ids[1]}", headers={"HX-Request": "true", "HX-Target": "modal"})
    assert "<html" not in modal.text
    assert parse(modal.text).find_all("div", role="dialog")
    full = bob.get(f"/photos/{ids[1]}")
    assert "<html" in full.text and "hi" in parse(full.text).text
    assert bob.get("/u/nobody").status_code == 404


def test_caption_edit_and_delete_by_owner(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    pid = upload(alice, CAMERAS[3], caption="old").json()["items"][0]["id"]
    edited = form_post(
        alice, f"/photos/{pid}/caption", {"caption": "new words"}, headers={"HX-Request": "true"}
    )
    assert edited.status_code == 200 and "new words" in parse(edited.text).text
    deleted = form_post(alice, f"/photos/{pid}/delete", headers={"HX-Request": "true"})
    assert (
        deleted.status_code == 200 and deleted.headers["hx-redirect"] == f"/u/alice?trashed={pid}"
    )
    assert alice.get(f"/photos/{pid}").status_code == 404
    # In the trash until it is emptied: then the row and the files are gone.
    assert server.count("photos") == 1 and server.blobs() != []
    assert form_post(alice, "/trash/empty").status_code == 303
    assert server.count("photos") == 0 and server.blobs() == []


def test_guests_need_public_view(
    tmp_path: Path, engine: str, request: pytest.FixtureRequest
) -> None:
    for public in (False, True):
        settings = make_settings(tmp_path / str(public), public_view=public)
        if engine == "postgres":  # two archives: a database each
            settings = replace(
                settings, database_url=request.getfixturevalue("postgres").new_database()
            )
        with live_server(settings) as server:
            alice = sign_up(server, "alice")
            photo = upload(alice, CAMERAS[0]).json()["items"][0]
            guest = server.client()
            feed = guest.get("/")
            api = guest.get("/api/v1/photos")
            media = guest.get(photo["urls"]["thumbnail"])
            if public:
                assert feed.status_code == api.status_code == media.status_code == 200
                page = parse(feed.text)
                assert not page.find_all("form", class_="comment-form")
                assert guest.get(f"/photos/{photo['id']}").status_code == 200
                assert guest.get("/u/alice").status_code == 200
            else:
                assert feed.status_code == 303 and feed.headers["location"].startswith("/login")
                assert api.status_code == 401 and media.status_code == 401
            # guests never act
            like = guest.put(f"/api/v1/photos/{photo['id']}/like")
            assert like.status_code == 401
            assert server.count("likes") == 0


class _Links(HTMLParser):
    """Each link's attributes and all the text inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[dict[str, str | None], str]] = []
        self._open: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open.append(len(self.links))
            self.links.append((dict(attrs), ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for index in self._open:
            attrs, text = self.links[index]
            self.links[index] = (attrs, text + data)


def _names(html: str, username: str) -> list[tuple[str, str]]:
    """(class, text) of every link to `username`'s profile."""
    parser = _Links()
    parser.feed(html)
    return [
        (attrs.get("class") or "", text.strip())
        for attrs, text in parser.links
        if attrs.get("href") == f"/u/{username}"
    ]


def test_display_name_names_the_person_on_cards_comments_and_the_nav(server: LiveServer) -> None:
    name = 'Zoë <b>"&amp;</b>'
    alice = sign_up(server, "alice")
    saved = form_post(
        alice, "/settings/profile", {"display_name": name, "email": "alice@example.org"}
    )
    assert saved.status_code == 303
    pid = upload(alice, CAMERAS[0], caption="by the sea").json()["items"][0]["id"]
    assert form_post(alice, f"/photos/{pid}/comments", {"text": "mine"}).status_code == 303
    bob = sign_up(server, "bob")  # no display name: his username names him
    assert form_post(bob, f"/photos/{pid}/comments", {"text": "hers"}).status_code == 303

    feed = alice.get("/").text
    assert "<b>" not in feed and "&lt;b&gt;&#34;&amp;amp;&lt;/b&gt;" in feed
    names = _names(feed, "alice")
    # the nav, the card's head, the caption and her comment; the @username is the link target
    assert ("nav-link", name) in names
    assert names.count(("owner", name)) == 3
    assert ("owner", "bob") in _names(feed, "bob")
    assert "alice" not in [text for _, text in names]

    photo_page = alice.get(f"/photos/{pid}").text
    assert "<b>" not in photo_page
    assert _names(photo_page, "alice").count(("owner", name)) == 2  # the viewer's head, a comment
    assert ("owner", "bob") in _names(bob.get(f"/photos/{pid}").text, "bob")
