"""The caption given to a whole upload shows on the batch's post in the feed and on the batch's
page, escaped; once its photos' captions differ, each photo's own says more and the post shows
none. (Each photo keeps the caption too: its page shows it.)"""

from __future__ import annotations

import httpx
import pytest

from photoarchive.library.batches import batch_caption
from tests.support import PHOTOS, LiveServer, api_login, parse, sign_up

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

CAMERAS = sorted((PHOTOS / "cameras").glob("*.jpg"))
CAPTION = 'Grandma\'s 90th <script>alert("x")</script> & <b>cake</b>'


def send(client: httpx.Client, count: int, caption: str) -> list[int]:
    files = [("file", (p.name, p.read_bytes(), "image/jpeg")) for p in CAMERAS[:count]]
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


def test_photos_captioned_one_by_one_show_no_caption_for_the_batch(server: LiveServer) -> None:
    sign_up(server, "alice")
    bob = sign_up(server, "bob")
    script = api_login(server, "alice")
    ids = send(script, 3, "Summer")
    assert script.patch(f"/api/v1/photos/{ids[1]}", json={"caption": "Just Tom"}).is_success
    feed = bob.get("/")
    assert parse(feed.text).find_all("article", class_="batch-card")
    assert "batch-caption" not in feed.text
    assert "Summer" not in parse(feed.text).text


@pytest.mark.parametrize(
    ("captions", "shown"),
    [([], ""), (["a", "a"], "a"), (["a", "b"], ""), (["", ""], ""), (["a", ""], "")],
)
def test_the_caption_of_a_batch_is_the_one_all_its_photos_have(
    captions: list[str], shown: str
) -> None:
    assert batch_caption(captions) == shown
