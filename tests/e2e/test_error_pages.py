"""An error page in a real browser, on a laptop and a phone: a signed-in person keeps their
header, Go back returns to the page they were on, and axe finds nothing."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.conftest import VIEWPORTS, Server, sign_in
from tests.e2e.test_quality import violations
from tests.test_bulk_api import jpeg


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_a_missing_page_keeps_the_header_and_goes_back(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    server.api("alice").close()
    page = new_context(VIEWPORTS[viewport]).new_page()
    sign_in(page, server.url, "alice")
    page.goto(f"{server.url}/albums")
    page.evaluate("location.href = '/photos/999999'")
    page.wait_for_url(f"{server.url}/photos/999999")
    assert page.get_by_role("heading", name="Not found").count() == 1
    assert page.locator("a.nav-link[href='/upload']").count() == 1
    assert page.get_by_role("link", name="Sign in").count() == 0
    assert violations(page, axe_source) == []
    page.get_by_role("link", name="Go back").click()
    page.wait_for_url(f"{server.url}/albums")


def test_a_like_that_gets_no_answer_from_the_archive_says_so_and_breaks_nothing(
    server: Server, new_context: Any, axe_source: str
) -> None:
    """While the server restarts behind a proxy, the proxy answers 502 with its own page; with
    the phone offline, nothing answers at all. The like button stayed as it was and nothing
    was said (offline), or the proxy's page took the button's place. Now neither: the button
    stays, and #messages says what happened."""
    api = server.api("alice")
    sent = api.post("/api/v1/photos", files=[("file", ("p.jpg", jpeg()))])
    photo_id = sent.json()["items"][0]["id"]
    api.close()
    # htmx logs both to the console itself: what this test makes happen.
    new_context.watch.expected += ["Response Status Error Code 502", "htmx:afterRequest"]
    new_context.watch.expected.append("htmx:sendError")
    page = new_context(VIEWPORTS["desktop"]).new_page()
    sign_in(page, server.url, "alice")
    like = page.locator(f"#like-{photo_id} button.like")
    like.wait_for()

    page.route(
        f"**/photos/{photo_id}/like",
        lambda route: route.fulfill(
            status=502, content_type="text/html", body="<h1>Bad gateway</h1>"
        ),
    )
    like.click()
    message = page.locator("#messages .error-message")
    message.wait_for()
    assert "did not answer (502)" in message.inner_text()
    assert page.locator(f"#like-{photo_id} button.like").count() == 1
    assert "Bad gateway" not in page.content()
    assert violations(page, axe_source) == []
    page.keyboard.press("Escape")
    message.wait_for(state="detached")

    page.unroute(f"**/photos/{photo_id}/like")
    page.route(f"**/photos/{photo_id}/like", lambda route: route.abort("internetdisconnected"))
    like.click()
    message.wait_for()
    assert "could not be reached" in message.inner_text()
    assert page.locator(f"#like-{photo_id} button.like").count() == 1


def test_a_step_in_the_photo_window_that_gets_no_answer_says_so(
    server: Server, new_context: Any
) -> None:
    """Arrow keys and swipes step through htmx.ajax, with no event of htmx's own: the key that
    asked goes along, so a proxy's 502 is said as a click's is (it was silent)."""
    new_context.watch.expected += ["Response Status Error Code 502", "htmx:afterRequest"]
    api = server.api("alice")
    ids = [
        api.post("/api/v1/photos", files=[("file", ("p.jpg", jpeg()))]).json()["items"][0]["id"]
        for _ in range(2)
    ]
    api.close()
    page = new_context(VIEWPORTS["desktop"]).new_page()
    sign_in(page, server.url, "alice")
    asked: list[str] = []

    def bad_gateway(route: Any) -> None:
        asked.append(route.request.url)
        route.fulfill(status=502, content_type="text/html", body="<h1>Bad gateway</h1>")

    page.route(f"**/photos/{ids[0]}?*", bad_gateway)
    page.locator(f"#photo-{ids[1]} a.card-image").click()
    page.locator(f"#modal article.viewer#photo-{ids[1]}").wait_for()
    # The window has opened whole (its address pushed, the focus on its close button).
    page.wait_for_url(f"{server.url}/photos/{ids[1]}?from=feed")
    page.wait_for_function("() => document.activeElement?.matches('#modal .modal-close')")
    page.keyboard.press("ArrowRight")
    message = page.locator("#messages .error-message")
    try:
        message.wait_for(timeout=30_000)
    except PlaywrightTimeout:  # what the page was at, for the next run that fails here
        seen = page.evaluate(
            "() => [document.activeElement?.outerHTML.slice(0, 160),"
            " document.querySelector('#modal article')?.id, location.href,"
            " document.querySelector('#messages')?.innerHTML]"
        )
        raise AssertionError(f"no message; the step asked for {asked}; the page: {seen}") from None
    assert "did not answer (502)" in message.inner_text()
    assert len(asked) == 1
    assert page.locator(f"#modal article.viewer#photo-{ids[1]}").count() == 1
