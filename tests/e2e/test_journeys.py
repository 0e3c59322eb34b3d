"""What people do, in a real browser against the real server, on a laptop and on a phone."""

from __future__ import annotations

import re
from typing import Any

import pytest

from photoarchive.media.images import THUMBNAIL_EDGE, rendition_size
from tests.e2e.conftest import (
    DESKTOP,
    PASSWORD,
    PHONE,
    VIEWPORTS,
    Server,
    drop_files,
    photo_files,
    sign_in,
    sign_up,
    wait_until,
)
from tests.support import REPO

viewports = pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
# The journeys on both engines: the same pages over SQLite and over PostgreSQL.
pytestmark = pytest.mark.usefixtures("engine")


def mark_page(page: Any) -> None:
    """Set a flag on the current document: still there later means no reload happened."""
    page.evaluate("window.__samePage = true")


def same_page(page: Any) -> bool:
    return page.evaluate("window.__samePage === true")


@viewports
def test_sign_up_sign_in_and_sign_out(server: Server, new_context: Any, viewport: str) -> None:
    page = new_context(VIEWPORTS[viewport]).new_page()
    page.goto(server.url)
    page.wait_for_url(f"{server.url}/signup")  # a fresh install: the first account first
    sign_up(page, server.url, "alice")
    assert page.locator(".nav").get_by_text("alice").count() == 1
    assert page.locator("#welcome").is_visible()  # the administrator's empty feed

    page.locator("#nav-menu summary").click()  # Sign out sits in the menu, away from Upload
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{server.url}/login?notice=signed-out")
    assert "You are signed out" in page.locator("[role=status]").first.inner_text()
    page.fill("#login", "alice")
    page.fill("#password", "wrong password")
    page.click("form.stack button[type=submit]")
    error = page.locator(".form-error")
    assert error.get_attribute("role") == "alert" and error.is_visible()
    assert page.locator("#login").get_attribute("aria-invalid") == "true"

    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{server.url}/")
    page.locator("#nav-menu summary").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{server.url}/login?notice=signed-out")
    page.goto(f"{server.url}/upload")
    page.wait_for_url(re.compile(r"/login\?next=/upload$"))


@viewports
def test_upload_by_chooser_and_by_drop_with_progress(
    server: Server, new_context: Any, viewport: str
) -> None:
    context = new_context(VIEWPORTS[viewport])
    page = context.new_page()
    sign_up(page, server.url, "alice")
    page.goto(f"{server.url}/upload")
    sent: list[str] = []
    page.on(
        "request",
        lambda r: sent.append(r.url) if r.method == "POST" and "/api/v1/photos" in r.url else None,
    )

    chosen = photo_files("gps/DSCN0010.jpg", "orientation/landscape_1.jpg")
    page.set_input_files("#file", [str(p) for p in [*chosen, REPO / "pyproject.toml"]])
    drop_files(page, "#dropzone", photo_files("gps/DSCN0012.jpg"))
    items = page.locator("#upload-list .upload-item")
    assert items.count() == 4
    # The text file is flagged before anything is sent.
    refused = page.locator("#upload-list .upload-item.refused")
    assert refused.count() == 1
    assert "pyproject.toml" in refused.inner_text()
    assert "Not a supported image" in refused.inner_text()
    assert page.locator("#upload-submit").inner_text().strip() == "Upload 3 photos"

    # Slow the upload down so the bar has something to show, and record every value it takes.
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 5, "downloadThroughput": -1, "uploadThroughput": 250_000},
    )
    page.evaluate(
        """() => {
            const bar = document.getElementById("upload-progress-bar");
            window.__progress = [];
            new MutationObserver(() => window.__progress.push(bar.value))
                .observe(bar, { attributes: true, attributeFilter: ["value"] });
        }"""
    )
    page.fill("#caption", "Weekend walk")
    page.click("#upload-submit")
    assert page.locator("#upload-progress").is_visible()
    wait_until(page, "document.getElementById('upload-form').dataset.finished === 'true'")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )

    progress = page.evaluate("window.__progress")
    assert progress == sorted(progress), progress
    assert progress[-1] == 100
    assert any(0 < value < 100 for value in progress), progress
    assert len(sent) == 3, sent  # one request per supported file, none for the text file
    assert page.locator("#upload-list .upload-item.done").count() == 3
    assert "Done: 3 of 3 uploaded" in page.locator("#upload-progress-text").inner_text()

    page.click("#upload-done")
    page.wait_for_url(f"{server.url}/")
    # Uploaded together: one post of three photos (tests/e2e/test_batches.py).
    cards = page.locator("#feed-items article.card")
    assert cards.count() == 1
    assert "alice added 3 photos" in " ".join(cards.first.inner_text().split())
    images = page.locator("#feed-items article.card img").all()
    assert len(images) == 3
    for image in images:
        assert image.get_attribute("alt") == "Weekend walk"


def test_like_and_comment_in_place_and_live_for_others(server: Server, new_context: Any) -> None:
    alice_page = new_context(DESKTOP).new_page()
    bob_page = new_context(PHONE, is_mobile=True, has_touch=True).new_page()
    sign_up(alice_page, server.url, "alice")
    sign_up(bob_page, server.url, "bob")
    wait_until(bob_page, "document.documentElement.dataset.live === 'open'")
    mark_page(bob_page)

    # Alice uploads; Bob's feed offers the new photo without reloading.
    alice_page.goto(f"{server.url}/upload")
    alice_page.set_input_files("#file", str(photo_files("gps/DSCN0012.jpg")[0]))
    alice_page.fill("#caption", "Autumn walk")
    alice_page.click("#upload-submit")
    wait_until(alice_page, "document.getElementById('upload-form').dataset.finished === 'true'")
    bar = bob_page.locator("#new-photos")
    bar.locator("button").wait_for(state="visible")
    assert bar.get_attribute("role") == "status"
    assert bob_page.locator("#new-photos-text").inner_text() == "1 new photo"
    bar.locator("button").click()
    card = bob_page.locator("#feed-items article.card")
    card.wait_for()
    assert bar.locator("button").is_hidden()
    photo_id = card.get_attribute("data-photo-id")
    assert same_page(bob_page)

    # Alice likes and comments in place on her feed; Bob sees both arrive.
    alice_page.goto(f"{server.url}/")
    mark_page(alice_page)
    like = alice_page.locator(f"#like-{photo_id} button.like")
    like.click()
    alice_page.locator(f"#like-{photo_id} button.like.liked").wait_for()
    assert alice_page.locator(f"#like-{photo_id} .like-count").inner_text() == "1 like"
    assert alice_page.locator(f"#like-{photo_id} button.like").get_attribute("aria-pressed") == (
        "true"
    )
    bob_count = bob_page.locator(f"#like-{photo_id} .like-count")
    wait_until(bob_page, f"document.querySelector('#like-{photo_id} .like-count').textContent")
    bob_count.filter(has_text="1 like").wait_for()

    bob_page.fill(f"#comment-text-{photo_id}", "half-typed by bob")
    alice_page.fill(f"#comment-text-{photo_id}", "What a light!")
    alice_page.press(f"#comment-text-{photo_id}", "Enter")
    alice_page.locator(f"#comments-{photo_id} .comment-text", has_text="What a light!").wait_for()
    assert alice_page.input_value(f"#comment-text-{photo_id}") == ""
    bob_page.locator(f"#thread-{photo_id} .comment-text", has_text="What a light!").wait_for()
    bob_page.locator(f"#like-{photo_id} .comment-count", has_text="1 comment").wait_for()
    # The live refresh only replaced the thread: Bob's unsent words are still in his box.
    assert bob_page.input_value(f"#comment-text-{photo_id}") == "half-typed by bob"

    # Bob answers and unlikes nothing; Alice sees his comment live too.
    bob_page.press(f"#comment-text-{photo_id}", "Enter")
    alice_page.locator(f"#thread-{photo_id} .comment-text", has_text="half-typed by bob").wait_for()
    assert same_page(alice_page) and same_page(bob_page)


@viewports
def test_profile_modal_keyboard_escape_back_and_reload(
    server: Server, new_context: Any, viewport: str
) -> None:
    api = server.api("alice")
    ids = []
    for name in ("gps/DSCN0010.jpg", "gps/DSCN0012.jpg", "cameras/Canon_PowerShot_S40.jpg"):
        path = photo_files(name)[0]
        response = api.post("/api/v1/photos", files=[("file", (path.name, path.read_bytes()))])
        ids.append(response.json()["items"][0]["id"])
    api.close()
    page = new_context(VIEWPORTS[viewport]).new_page()
    sign_in(page, server.url, "alice")
    profile = f"{server.url}/u/alice"
    page.goto(profile)
    mark_page(page)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    # Keyboard: focus a photo in the grid and press Enter.
    opener = page.locator(f"#grid-{ids[1]} a")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("#modal [role=dialog]")
    dialog.wait_for()
    page.wait_for_url(f"{server.url}/photos/{ids[1]}?from=user:alice")
    assert dialog.get_attribute("aria-modal") == "true"
    assert page.evaluate("document.activeElement.classList.contains('modal-close')")
    for _ in range(25):  # focus never leaves the dialog
        page.keyboard.press("Tab")
        assert page.evaluate("!!document.activeElement.closest('[role=dialog]')")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("!!document.activeElement.closest('[role=dialog]')")
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")
    page.wait_for_url(profile)
    assert page.evaluate(f"document.activeElement === document.querySelector('#grid-{ids[1]} a')")

    # Mouse: open another, close it with the browser's back button.
    page.locator(f"#grid-{ids[0]} a").click()
    dialog.wait_for()
    page.wait_for_url(f"{server.url}/photos/{ids[0]}?from=user:alice")
    requests.clear()
    page.go_back()
    dialog.wait_for(state="detached")
    assert page.url == profile
    assert not [url for url in requests if url.endswith("/u/alice")], requests  # no refetch
    assert same_page(page)
    # Forward again shows that photo (htmx restores the page from the server).
    page.go_forward()
    page.wait_for_url(f"{server.url}/photos/{ids[0]}?from=user:alice")
    page.locator(f"article.viewer#photo-{ids[0]}").wait_for()
    page.go_back()
    page.locator(f"#grid-{ids[2]} a").wait_for()

    # A modal's address reloads as the full photo page.
    page.locator(f"#grid-{ids[2]} a").click()
    dialog.wait_for()
    page.reload()
    assert page.url == f"{server.url}/photos/{ids[2]}?from=user:alice"
    assert page.locator("main article.viewer").is_visible()
    assert page.locator("[role=dialog]").count() == 0
    image = page.locator("main article.viewer img")
    assert image.get_attribute("alt") == "Photo by alice"


def test_edit_caption_then_delete_photo(server: Server, new_context: Any) -> None:
    api = server.api("alice")
    path = photo_files("gps/DSCN0010.jpg")[0]
    response = api.post(
        "/api/v1/photos", files=[("file", (path.name, path.read_bytes()))], data={"caption": "old"}
    )
    photo_id = response.json()["items"][0]["id"]
    api.close()
    # Bob has the feed open in one tab and the photo's page in another.
    bob = new_context(DESKTOP)
    bob_feed = bob.new_page()
    sign_up(bob_feed, server.url, "bob")
    bob_card = bob_feed.locator(f"#photo-{photo_id} .card-body > .caption")
    assert bob_card.inner_text() == "alice old"
    bob_photo = bob.new_page()
    bob_photo.goto(f"{server.url}/photos/{photo_id}")
    for tab in (bob_feed, bob_photo):
        wait_until(tab, "document.documentElement.dataset.live === 'open'")
        mark_page(tab)
    page = new_context(DESKTOP).new_page()
    sign_in(page, server.url, "alice")
    page.goto(f"{server.url}/photos/{photo_id}")
    mark_page(page)

    page.get_by_text("Edit caption").click()
    page.fill(f"#caption-input-{photo_id}", "Lunch by the farmhouse")
    page.get_by_role("button", name="Save caption").click()
    page.locator(f"#caption-{photo_id} .caption", has_text="Lunch by the farmhouse").wait_for()
    assert same_page(page)
    # Bob's tabs show the new words without a reload.
    bob_card.filter(has_text="Lunch by the farmhouse").wait_for()
    assert bob_card.inner_text() == "alice Lunch by the farmhouse"
    bob_photo.locator(f"#caption-{photo_id} .caption", has_text="Lunch by the farmhouse").wait_for()
    assert same_page(bob_feed) and same_page(bob_photo)
    picture = bob_feed.locator(f"#photo-{photo_id} .card-image img")
    assert picture.get_attribute("alt") == "Lunch by the farmhouse"
    shown = bob_photo.locator("main .viewer img")
    assert shown.get_attribute("alt") == "Lunch by the farmhouse"
    page.reload()
    assert page.locator("main .viewer img").get_attribute("alt") == "Lunch by the farmhouse"

    # Taken away: the card's caption line goes, and comes back with new words.
    page.get_by_text("Edit caption").click()
    page.fill(f"#caption-input-{photo_id}", "")
    page.get_by_role("button", name="Save caption").click()
    bob_card.wait_for(state="detached")
    assert picture.get_attribute("alt") == "Photo by alice"
    page.get_by_text("Add a caption").click()
    page.fill(f"#caption-input-{photo_id}", "Lunch, again")
    page.get_by_role("button", name="Save caption").click()
    bob_card.filter(has_text="Lunch, again").wait_for()
    assert bob_card.inner_text() == "alice Lunch, again"
    assert same_page(bob_feed)

    # Turned, and dated: Bob's tabs show it the new way round, and its new date, unreloaded.
    shape = (
        "[el.getAttribute('width') > el.getAttribute('height'), el.naturalWidth > el.naturalHeight]"
    )
    picture.evaluate("el => el.decode()")  # fetched and decoded, not merely in the page
    assert picture.evaluate(f"el => {shape}") == [True, True]
    # Bob has Alice's photos open too, a grid of thumbnails.
    bob_grid = bob.new_page()
    bob_grid.goto(f"{server.url}/u/alice")
    wait_until(bob_grid, "document.documentElement.dataset.live === 'open'")
    mark_page(bob_grid)
    tile = bob_grid.locator(f"#grid-{photo_id} img")
    tile.evaluate("el => el.decode()")  # a lazy image: fetched once in view
    assert tile.evaluate(f"el => {shape}") == [True, True]
    card_date = bob_feed.locator(f"#photo-{photo_id} .photo-date time")
    assert card_date.inner_text() == "22 Oct 2008"  # the camera's date taken, for now
    mark_page(page)
    api = server.api("alice")
    turned = api.patch(f"/api/v1/photos/{photo_id}", json={"rotation": 90})
    assert turned.is_success, turned.text
    wide, high = turned.json()["width"], turned.json()["height"]
    for tab, where in ((bob_feed, ".card-image"), (bob_photo, ".viewer-image"), (bob_grid, "")):
        found = f"#{'grid' if tab is bob_grid else 'photo'}-{photo_id} {where} img"
        wait_until(tab, f"document.querySelector('{found}').src.includes('-r90')")
        shown_here = tab.locator(found)
        shown_here.evaluate("el => el.decode()")  # the turned picture itself, fetched
        assert shown_here.evaluate(f"el => {shape}") == [False, False]
        if where:  # the files to choose from, of the turned picture's widths
            thumbnail_wide = rendition_size(wide, high, THUMBNAIL_EDGE)[0]
            assert f"?v={turned.json()['urls']['thumbnail'].split('?v=')[1]} {thumbnail_wide}w" in (
                shown_here.get_attribute("srcset")
            )
    size = bob_photo.locator("main .viewer dl.meta")
    assert f"{wide} × {high} px" in size.inner_text()
    # Alice's own photo page, open since before the turn: Rotate right turns on from there.
    page.locator(f"#rotate-right-{photo_id}").click()
    wait_until(
        page, f"document.querySelector('#photo-{photo_id} .viewer-image img').src.includes('-r180')"
    )
    assert api.get(f"/api/v1/photos/{photo_id}").json()["rotation"] == 180

    dated = api.patch(f"/api/v1/photos/{photo_id}", json={"taken_at": "1987-06-20T15:00:00"})
    assert dated.is_success, dated.text
    bob_feed.locator(f"#photo-{photo_id} .photo-date", has_text="1987").wait_for()
    assert card_date.inner_text() == "20 Jun 1987"
    bob_photo.locator("main .viewer dl.meta dd.taken", has_text="20 Jun 1987").wait_for()
    assert "22 Oct 2008" not in size.inner_text()
    assert "1987" in bob_photo.locator("main .viewer .photo-date").inner_text()
    wait_until(
        page,
        f"document.getElementById('taken-input-{photo_id}').value.startsWith('1987-06-20T15:00')",
    )
    assert same_page(bob_feed) and same_page(bob_photo) and same_page(bob_grid) and same_page(page)

    # Made private, it leaves Bob's open feed (his photo tab keeps what it shows).
    made = api.patch(f"/api/v1/photos/{photo_id}", json={"visibility": "private"})
    assert made.is_success, made.text
    api.close()
    bob_feed.locator(f"#photo-{photo_id}").wait_for(state="detached")
    assert same_page(bob_feed)
    bob.close()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete photo").click()
    page.wait_for_url(f"{server.url}/u/alice?trashed={photo_id}")
    assert page.locator("#grid-items .grid-item").count() == 0
    assert page.goto(f"{server.url}/photos/{photo_id}").status == 404


def test_live_updates_survive_a_server_restart(server: Server, new_context: Any) -> None:
    page = new_context(DESKTOP).new_page()
    sign_up(page, server.url, "bob")
    wait_until(page, "document.documentElement.dataset.live === 'open'")
    # The notifications badge loads itself once the page is up; a crash while it is on its way
    # would fail that request too (htmx reports it on the console), which is not what this
    # test is about.
    wait_until(page, "document.querySelector('#nav-notifications[hx-trigger]') === null")
    mark_page(page)

    # htmx logs the dropped stream as an error event; that is expected here.
    new_context.watch.expected.append("[object Event]")
    server.crash()
    wait_until(page, "document.documentElement.dataset.live === 'reconnecting'")
    server.start()
    # The stream comes back by itself (the SSE extension retries), and events flow again.
    wait_until(page, "document.documentElement.dataset.live === 'open'")
    api = server.api("alice")
    path = photo_files("gps/DSCN0010.jpg")[0]
    api.post("/api/v1/photos", files=[("file", (path.name, path.read_bytes()))])
    api.close()
    page.locator("#new-photos button").wait_for(state="visible")
    assert page.locator("#new-photos-text").inner_text() == "1 new photo"
    assert same_page(page)
