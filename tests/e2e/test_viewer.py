"""Moving through photos in a real browser: the modal over the feed and a profile steps with the
arrow keys, the buttons and (on a phone) a swipe, in the order of the list it was opened from;
Esc leaves full screen, then closes back to the same scroll position; the photo page does the
same with plain links."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import VIEWPORTS, Server, photo_files, sign_in, wait_until
from tests.e2e.test_quality import violations

# The order of the lists the viewer steps through, over either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")

viewports = pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
CAMERAS = [
    "cameras/Canon_40D.jpg",
    "cameras/Canon_PowerShot_S40.jpg",
    "cameras/Fujifilm_FinePix_E500.jpg",
    "cameras/Kodak_CX7530.jpg",
    "cameras/Nikon_D70.jpg",
    "cameras/Pentax_K10D.jpg",
]


def seed(server: Server) -> tuple[list[int], list[int]]:
    """alice and bob take turns uploading six photos: (alice's ids, bob's ids), oldest first."""
    clients = {name: server.api(name) for name in ("alice", "bob")}
    ids: dict[str, list[int]] = {"alice": [], "bob": []}
    for n, name in enumerate(CAMERAS):
        who = "alice" if n % 2 == 0 else "bob"
        path = photo_files(name)[0]
        answer = clients[who].post(
            "/api/v1/photos", files=[("file", (path.name, path.read_bytes()))]
        )
        ids[who].append(answer.json()["items"][0]["id"])
    for client in clients.values():
        client.close()
    return ids["alice"], ids["bob"]


def shown(page: Any) -> int:
    """The id of the photo the modal shows, once a step has finished."""
    viewer = page.locator("#modal article.viewer")
    viewer.wait_for()
    return int(viewer.get_attribute("data-photo-id"))


def wait_shown(page: Any, photo_id: int, base: str, key: str) -> None:
    page.locator(f"#modal article.viewer#photo-{photo_id}").wait_for()
    page.wait_for_url(f"{base}/photos/{photo_id}?from={key}")


@viewports
def test_the_feed_modal_steps_in_feed_order_and_closes_where_it_was(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    alice_ids, bob_ids = seed(server)
    feed = sorted(alice_ids + bob_ids, reverse=True)
    page = new_context(VIEWPORTS[viewport]).new_page()
    sign_in(page, server.url, "bob")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    opener = page.locator(f"#photo-{feed[2]} a.card-image")
    opener.scroll_into_view_if_needed()
    # Somewhere no link would scroll to by itself (an instant scroll: nothing still moving).
    scrolled = page.evaluate("window.scrollBy({ top: 120, behavior: 'instant' }), window.scrollY")
    assert scrolled > 0
    opener.click()
    wait_shown(page, feed[2], server.url, "feed")
    # The neighbours' pictures are on their way before anyone asks for them.
    for near in (feed[1], feed[3]):
        wait_until(
            page,
            f"() => performance.getEntriesByType('resource').some((e) => e.name.includes('/media/{near}/preview'))",
        )
    assert violations(page, axe_source) == []

    page.keyboard.press("ArrowRight")
    wait_shown(page, feed[3], server.url, "feed")
    page.keyboard.press("ArrowLeft")
    wait_shown(page, feed[2], server.url, "feed")
    page.keyboard.press("ArrowLeft")
    wait_shown(page, feed[1], server.url, "feed")
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("link", name="Next photo").click()
    wait_shown(page, feed[2], server.url, "feed")
    # The focus stays on the control that was used, so it can be pressed again.
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Next photo"
    page.keyboard.press("Enter")
    wait_shown(page, feed[3], server.url, "feed")
    dialog.get_by_role("link", name="Previous photo").click()
    wait_shown(page, feed[2], server.url, "feed")
    assert not [url for url in requests if url.rstrip("/") == server.url]  # the feed stayed

    # Full screen, then Esc leaves it and the modal stays; Esc again closes the modal.
    dialog.get_by_role("link", name="View full screen").click()
    wait_until(page, "!!(document.fullscreenElement || document.querySelector('.viewer-zoomed'))")
    page.keyboard.press("Escape")
    wait_until(page, "!document.fullscreenElement && !document.querySelector('.viewer-zoomed')")
    assert page.locator("#modal [role=dialog]").count() == 1
    page.keyboard.press("Escape")
    page.locator("#modal [role=dialog]").wait_for(state="detached")
    page.wait_for_url(f"{server.url}/")
    assert page.evaluate("window.scrollY") == scrolled
    assert page.evaluate("document.activeElement") is not None
    assert page.evaluate(
        f"document.activeElement === document.querySelector('#photo-{feed[2]} a.card-image')"
    )

    # At the ends of the feed the way on is absent.
    page.locator(f"#photo-{feed[0]} a.card-image").click()
    wait_shown(page, feed[0], server.url, "feed")
    assert dialog.get_by_role("link", name="Previous photo").count() == 0
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowRight")
    wait_shown(page, feed[1], server.url, "feed")


def test_a_profile_modal_keeps_to_that_persons_photos(server: Server, new_context: Any) -> None:
    alice_ids, _ = seed(server)
    page = new_context(VIEWPORTS["desktop"]).new_page()
    sign_in(page, server.url, "bob")
    page.goto(f"{server.url}/u/alice")
    page.locator(f"#grid-{alice_ids[2]} a").click()
    wait_shown(page, alice_ids[2], server.url, "user:alice")
    page.keyboard.press("ArrowRight")
    wait_shown(page, alice_ids[1], server.url, "user:alice")  # bob's photo between is passed
    page.get_by_role("dialog").get_by_role("link", name="Next photo").click()
    wait_shown(page, alice_ids[0], server.url, "user:alice")
    assert page.get_by_role("dialog").get_by_role("link", name="Next photo").count() == 0
    page.keyboard.press("Escape")
    page.wait_for_url(f"{server.url}/u/alice")


def swipe(page: Any, selector: str, dx: float) -> None:
    """A finger dragged sideways across an element, through the browser's touch input."""
    box = page.locator(selector).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    cdp = page.context.new_cdp_session(page)
    points = [x + dx * n / 6 for n in range(7)]
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for px in points[1:]:
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": px, "y": y}]}
        )
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def test_a_swipe_on_a_phone_moves_through_the_feed(server: Server, new_context: Any) -> None:
    alice_ids, bob_ids = seed(server)
    feed = sorted(alice_ids + bob_ids, reverse=True)
    page = new_context(VIEWPORTS["phone"], has_touch=True, is_mobile=True).new_page()
    sign_in(page, server.url, "bob")
    page.locator(f"#photo-{feed[1]} a.card-image").tap()
    wait_shown(page, feed[1], server.url, "feed")
    swipe(page, "#modal .viewer-image img", -200)
    wait_shown(page, feed[2], server.url, "feed")
    swipe(page, "#modal .viewer-image img", 200)
    wait_shown(page, feed[1], server.url, "feed")
    assert shown(page) == feed[1]


@viewports
def test_the_photo_page_steps_with_links_and_keys_and_leads_back(
    server: Server, new_context: Any, viewport: str
) -> None:
    alice_ids, bob_ids = seed(server)
    feed = sorted(alice_ids + bob_ids, reverse=True)
    page = new_context(VIEWPORTS[viewport]).new_page()
    sign_in(page, server.url, "bob")
    page.goto(f"{server.url}/photos/{feed[1]}?from=feed")
    page.get_by_role("link", name="Next photo").click()
    page.wait_for_url(f"{server.url}/photos/{feed[2]}?from=feed")
    page.locator("main article.viewer").wait_for()
    page.keyboard.press("ArrowRight")
    page.wait_for_url(f"{server.url}/photos/{feed[3]}?from=feed")
    page.locator(f"main article.viewer#photo-{feed[3]}").wait_for()
    page.keyboard.press("ArrowLeft")
    page.wait_for_url(f"{server.url}/photos/{feed[2]}?from=feed")
    page.get_by_role("link", name="Back to the feed").click()
    page.wait_for_url(f"{server.url}/#photo-{feed[2]}")
    page.locator(f"#photo-{feed[2]}").wait_for()
    assert page.locator(f"#photo-{feed[2]}").is_visible()


def test_the_photo_page_without_scripts_has_plain_links(server: Server, new_context: Any) -> None:
    alice_ids, bob_ids = seed(server)
    feed = sorted(alice_ids + bob_ids, reverse=True)
    page = new_context(VIEWPORTS["desktop"], java_script_enabled=False).new_page()
    sign_in(page, server.url, "bob")
    page.goto(f"{server.url}/photos/{feed[0]}?from=feed")
    assert page.get_by_role("link", name="Previous photo").count() == 0
    page.get_by_role("link", name="Next photo").click()
    page.wait_for_url(f"{server.url}/photos/{feed[1]}?from=feed")
    page.get_by_role("link", name="Previous photo").click()
    page.wait_for_url(f"{server.url}/photos/{feed[0]}?from=feed")


def test_a_comment_posted_in_the_modal_shows_there_and_goes_once(
    server: Server, new_context: Any
) -> None:
    """The modal over the feed repeats the card's ids: a comment posted (or deleted) in it
    answered into the card hidden behind, so the modal showed nothing and people posted again.
    Each form now answers into its own comments."""
    alice_ids, _ = seed(server)
    photo_id = alice_ids[0]
    page = new_context(VIEWPORTS["desktop"]).new_page()
    sign_in(page, server.url, "bob")
    opener = page.locator(f"#photo-{photo_id} a.card-image")
    opener.scroll_into_view_if_needed()
    opener.click()
    page.locator(f"#modal article.viewer#photo-{photo_id}").wait_for()

    modal = page.locator("#modal")
    modal.locator("input[name=text]").fill("Lovely light")
    modal.locator(".comment-form button[type=submit]").click()
    modal.locator(".comment-text", has_text="Lovely light").wait_for()
    assert modal.locator("input[name=text]").input_value() == ""
    # Its field keeps the window's own id, which its label names (not the card's behind).
    field = f"comment-text-modal-{photo_id}"
    assert modal.locator("input[name=text]").get_attribute("id") == field
    assert modal.locator(f"label[for={field}]").count() == 1
    assert page.locator(f"#{field}").count() == 1
    api = server.api("bob")
    comments = api.get(f"/api/v1/photos/{photo_id}/comments").json()["items"]
    assert [c["text"] for c in comments] == ["Lovely light"]

    modal.locator(".comment button", has_text="Delete").click()
    modal.locator(".comment-text", has_text="Lovely light").wait_for(state="detached")
    assert api.get(f"/api/v1/photos/{photo_id}/comments").json()["items"] == []
    assert modal.locator("input[name=text]").get_attribute("id") == field
    api.close()
