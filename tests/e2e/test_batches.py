"""Photos uploaded together are one post in the feed, in a real browser on a laptop and a phone:
the upload page sends them in several requests that share its batch token."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import VIEWPORTS, Server, photo_files, sign_up, wait_until
from tests.e2e.test_quality import violations
from tests.e2e.test_viewer import shown

# Upload batches and the feed's posts, kept by either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")

SIX = [
    f"cameras/{name}"
    for name in (
        "Canon_40D.jpg",
        "Canon_PowerShot_S40.jpg",
        "Fujifilm_FinePix_E500.jpg",
        "Kodak_CX7530.jpg",
        "Nikon_D70.jpg",
        "Pentax_K10D.jpg",
    )
]


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_six_photos_uploaded_together_are_one_feed_entry(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    page = new_context(VIEWPORTS[viewport]).new_page()
    sign_up(page, server.url, "alice")
    page.goto(f"{server.url}/upload")
    sent: list[str] = []
    page.on(
        "request",
        lambda r: sent.append(r.url) if r.method == "POST" and "/api/v1/photos" in r.url else None,
    )
    page.set_input_files("#file", [str(p) for p in photo_files(*SIX)])
    page.click("#upload-submit")
    wait_until(page, "document.getElementById('upload-form').dataset.finished === 'true'")
    assert page.locator("#upload-list .upload-item.done").count() == 6
    assert len(sent) == 6  # one request per file: the token is what ties them together

    page.goto(server.url)
    entries = page.locator("#feed-items article.card")
    assert entries.count() == 1
    entry = entries.first
    assert " ".join(entry.locator(".batch-title").inner_text().split()) == "alice added 6 photos"
    tiles = entry.locator(".mosaic-tile img")
    assert tiles.count() == 4
    wait_until(
        page,
        "Array.from(document.querySelectorAll('.mosaic img')).every((i) => i.complete && i.naturalWidth > 0)",
    )
    more = entry.locator("a.mosaic-more")
    assert more.locator(".mosaic-count").inner_text().strip() == "+2"
    # "+2" lies over the whole last tile, its count in the middle.
    cover, tile = more.bounding_box(), entry.locator(".mosaic-tile").last.bounding_box()
    count = more.locator(".mosaic-count").bounding_box()
    assert cover is not None and tile is not None and count is not None
    assert abs(cover["width"] - tile["width"]) < 2 and abs(cover["height"] - tile["height"]) < 2
    middle = (count["x"] + count["width"] / 2, count["y"] + count["height"] / 2)
    assert abs(middle[0] - (tile["x"] + tile["width"] / 2)) < tile["width"] / 10
    assert abs(middle[1] - (tile["y"] + tile["height"] / 2)) < tile["height"] / 10
    assert violations(page, axe_source) == []

    # A photo of the mosaic opens as any feed photo does, and steps on in the feed's order.
    ids = [int(t.get_attribute("data-photo-id")) for t in entry.locator(".mosaic-tile").all()]
    assert ids == sorted(ids, reverse=True)
    entry.locator(f"#tile-{ids[0]} a[data-opens-modal]").click()
    assert shown(page) == ids[0]
    page.wait_for_url(f"{server.url}/photos/{ids[0]}?from=feed")
    page.keyboard.press("ArrowRight")
    page.locator(f"#modal article.viewer#photo-{ids[1]}").wait_for()
    # Liked and commented in the window: the card under it sums them at once.
    page.locator(f"#modal #like-{ids[1]}-open button.like").click()
    page.locator(f"#modal #like-{ids[1]}-open button.like.liked").wait_for()
    page.fill(f"#comment-text-modal-{ids[1]}", "Look at the ducks")
    page.keyboard.press("Enter")
    totals = entry.locator(".batch-totals")
    totals.locator(".batch-likes", has_text="1 like").wait_for(state="attached")
    totals.locator(".batch-comments", has_text="1 comment").wait_for(state="attached")
    page.keyboard.press("Escape")
    page.locator("#modal article.viewer").wait_for(state="detached")
    assert "1 like · 1 comment" in " ".join(totals.inner_text().split())

    # The rest: every photo of the batch, each its own page.
    more.click()
    page.wait_for_url(f"{server.url}/batches/*")
    grid = page.locator("#batch-items .grid-item")
    assert grid.count() == 6
    assert "alice added 6 photos" in " ".join(page.locator("h1").inner_text().split())
    assert violations(page, axe_source) == []

    # Its caption, given later: the form opens, the caption swaps in place, and the feed's
    # post shows it.
    page.click(".edit-caption summary")
    assert violations(page, axe_source) == []
    page.fill("textarea[name=caption]", "The whole day at the lake")
    page.click(".edit-caption button[type=submit]")
    page.locator("p.batch-caption", has_text="The whole day at the lake").wait_for()
    assert page.url.startswith(f"{server.url}/batches/")  # swapped in place, no reload
    page.goto(server.url)
    assert entry.locator(".batch-caption").inner_text().strip() == "The whole day at the lake"
