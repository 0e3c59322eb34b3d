"""The caption given to a whole upload is the batch's own: it shows on the batch's post in the
feed and on the batch's page, escaped, whatever becomes of its photos' captions since; photos
captioned one by one give their batch none. (Each photo is given the caption too: its page
shows it.) Migration 0030 gives the batches added before it the caption all their photos
still have, and runs again unharmed."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from photoarchive.library.photos import CAPTION_MAX
from tests.support import (
    PHOTOS,
    LiveServer,
    api_login,
    archive_of,
    browser,
    live_server,
    parse,
    sign_up,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

CAMERAS = sorted((PHOTOS / "cameras").glob("*.jpg"))
CAPTION = 'Grandma\'s 90th <script>alert("x")</script> & <b>cake</b>'


def send(client: httpx.Client, count: int, caption: str, *, skip: int = 0) -> list[int]:
    """New photos of `count` files, from the `skip`th on (the same bytes again are no new photo)."""
    chosen = CAMERAS[skip : skip + count]
    files = [("file", (p.name, p.read_bytes(), "image/jpeg")) for p in chosen]
    made = client.post("/api/v1/photos", files=files, data={"caption": caption})
    assert made.status_code == 201, made.text
    return [item["id"] for item in made.json()["items"]]


def captions_shown(html: str) -> list[str]:
    """The text of each batch caption on a page (its markup shown as text, never as tags)."""
    assert "<script>alert" not in html and "<b>cake</b>" not in html
    page = parse(html)
    assert not page.find_all("b") and not [s for s in page.find_all("script") if not s.get("src")]
    return [CAPTION] * html.count("batch-caption") if CAPTION in page.text else []


def test_a_batch_s_caption_shows_on_its_post_and_its_page(server: LiveServer) -> None:
    sign_up(server, "alice")
    bob = sign_up(server, "bob")
    ids = send(api_login(server, "alice"), 6, CAPTION)

    feed = bob.get("/")
    assert feed.status_code == 200
    assert parse(feed.text).find_all("article", class_="batch-card")
    assert captions_shown(feed.text) == [CAPTION]
    assert "Grandma&#39;s 90th &lt;script&gt;" in feed.text  # escaped, not dropped

    batch = parse(feed.text).find_all("a", class_="mosaic-more")[0]["href"] or ""
    page = bob.get(batch)
    assert page.status_code == 200
    assert captions_shown(page.text) == [CAPTION]
    # Each photo of it keeps the caption as its own, on its page.
    assert CAPTION in parse(bob.get(f"/photos/{ids[0]}").text).text


def batch_page(feed_html: str) -> str:
    return parse(feed_html).find_all("a", class_="mosaic-more")[0]["href"] or ""


def test_the_caption_stays_the_batch_s_when_a_photo_s_own_changes(server: LiveServer) -> None:
    sign_up(server, "alice")
    bob = sign_up(server, "bob")
    script = api_login(server, "alice")
    ids = send(script, 6, "Summer")
    for photo_id in ids[:2]:
        edited = script.patch(f"/api/v1/photos/{photo_id}", json={"caption": "Just Tom"})
        assert edited.is_success, edited.text
    feed = bob.get("/")
    cards = parse(feed.text).find_all("div", class_="batch-caption")
    assert len(cards) == 1
    assert "Summer" in parse(feed.text).text
    page = bob.get(batch_page(feed.text))
    assert page.status_code == 200
    assert parse(page.text).find_all("p", class_="batch-caption")
    assert "Summer" in parse(page.text).text
    assert "Just Tom" in parse(bob.get(f"/photos/{ids[0]}").text).text  # the photo's own


def test_photos_captioned_one_by_one_give_their_batch_none(server: LiveServer) -> None:
    sign_up(server, "alice")
    bob = sign_up(server, "bob")
    script = api_login(server, "alice")
    ids = send(script, 6, "")
    for photo_id in ids:
        edited = script.patch(f"/api/v1/photos/{photo_id}", json={"caption": "Beach"})
        assert edited.is_success, edited.text
    feed = bob.get("/")
    assert parse(feed.text).find_all("article", class_="batch-card")
    assert "batch-caption" not in feed.text
    page = bob.get(batch_page(feed.text))
    assert page.status_code == 200 and "batch-caption" not in page.text


def rewind(server: LiveServer) -> None:
    """The archive's record that 0030 ran taken back: it runs at the next start."""
    with server.db() as conn:
        if server.settings.database_url.startswith("postgresql:"):
            conn.execute("DELETE FROM schema_migrations WHERE version = 30")
        else:
            conn.execute("PRAGMA user_version = 29")


def test_batches_added_before_keep_the_caption_their_photos_share(tmp_path: Path) -> None:
    """An archive from before 0030 (no batch caption kept): the upgrade gives a batch the
    caption all its photos have, none to one whose photos differ; and running it again (the
    version rewound) changes nothing."""
    with archive_of(tmp_path / "data", ("alice", "bob")) as server:
        script = api_login(server, "alice")
        send(script, 3, "Summer")
        differ = send(script, 3, "Winter", skip=3)
        edited = script.patch(f"/api/v1/photos/{differ[0]}", json={"caption": "Just Tom"})
        assert edited.is_success, edited.text
        with server.db() as conn:  # as the archive was before 0030
            conn.execute("DROP TABLE batch_captions")
        rewind(server)
    for _ in range(2):  # upgraded, then the same file run once more
        with live_server(server.settings) as upgraded:
            feed = parse(browser(upgraded, "bob").get("/").text)
            assert len(feed.find_all("article", class_="batch-card")) == 2
            assert len(feed.find_all("div", class_="batch-caption")) == 1
            assert "Summer" in feed.text and "Winter" not in feed.text
        rewind(server)


def send_as_the_page(
    client: httpx.Client, path: Path, caption: str, batch_caption: str
) -> httpx.Response:
    """One file of an Upload as the upload page sends it: its own caption (or the Upload's),
    the Upload's caption, and the Upload's batch token."""
    return client.post(
        "/api/v1/photos",
        files=[("file", (path.name, path.read_bytes(), "image/jpeg"))],
        data={"caption": caption, "batch_caption": batch_caption, "batch": "upload-1"},
    )


def test_the_page_s_upload_caption_is_the_batch_s_not_a_photo_s_own(server: LiveServer) -> None:
    """A photo given its own caption on the upload page is sent first: its words are not the
    batch's, the Upload's caption is."""
    sign_up(server, "alice")
    bob = sign_up(server, "bob")
    script = api_login(server, "alice")
    sent = [("Just Tom", "Summer"), ("Summer", "Summer"), ("Summer", "Summer")]
    for path, (own, whole) in zip(CAMERAS, sent, strict=False):
        made = send_as_the_page(script, path, own, whole)
        assert made.status_code == 201, made.text
    feed = parse(bob.get("/").text)
    assert len(feed.find_all("div", class_="batch-caption")) == 1
    assert "Summer" in feed.text and "Just Tom" not in feed.text


def test_an_upload_without_its_own_caption_gives_its_batch_none(server: LiveServer) -> None:
    sign_up(server, "alice")
    bob = sign_up(server, "bob")
    script = api_login(server, "alice")
    for path in CAMERAS[:3]:
        assert send_as_the_page(script, path, "Beach", "").status_code == 201
    feed = bob.get("/")
    assert parse(feed.text).find_all("article", class_="batch-card")
    assert "batch-caption" not in feed.text


def test_a_batch_caption_too_long_is_refused_and_nothing_is_kept(server: LiveServer) -> None:
    sign_up(server, "alice")
    script = api_login(server, "alice")
    refused = send_as_the_page(script, CAMERAS[0], "", "x" * (CAPTION_MAX + 1))
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "batch_caption"
    assert f"{CAPTION_MAX:,} characters" in refused.json()["detail"]
    assert script.get("/api/v1/photos").json()["items"] == []


def test_a_batch_seen_as_one_photo_shows_no_caption_of_the_whole(server: LiveServer) -> None:
    """Who sees one photo of an upload sees that photo, as the feed shows it: the words given
    to the whole (which may be about the photos kept private) stay with those who see more."""
    sign_up(server, "alice")
    bob = sign_up(server, "bob")
    alice = api_login(server, "alice")
    ids = send(alice, 3, "Secret surgery")
    for photo_id in ids[1:]:
        assert alice.patch(f"/api/v1/photos/{photo_id}", json={"visibility": "private"}).is_success
    shown = alice.patch(f"/api/v1/photos/{ids[0]}", json={"caption": "Garden"})
    assert shown.is_success, shown.text
    with server.db() as conn:
        batch = conn.execute("SELECT MAX(id) FROM photo_batches").fetchone()[0]
    page = bob.get(f"/batches/{batch}")
    assert page.status_code == 200 and "Garden" in page.text
    assert "Secret surgery" not in page.text and "batch-caption" not in page.text
    own = browser(server, "alice").get(f"/batches/{batch}")
    assert own.status_code == 200 and "Secret surgery" in own.text
