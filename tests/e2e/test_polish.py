"""Small things a careful team does not leave: the keyboard keeps its place on Like, and the
archive has an icon (no 404 for /favicon.ico in the console of every page)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import VIEWPORTS, Server, photo_files, sign_in

viewports = pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))


@viewports
def test_enter_on_like_keeps_the_focus_and_says_the_state(
    server: Server, new_context: Any, viewport: str
) -> None:
    api = server.api("alice")
    path = photo_files("gps/DSCN0010.jpg")[0]
    answer = api.post("/api/v1/photos", files=[("file", (path.name, path.read_bytes()))])
    photo_id = answer.json()["items"][0]["id"]
    api.close()
    server.api("bob").close()

    page = new_context(VIEWPORTS[viewport]).new_page()
    sign_in(page, server.url, "bob")
    button = page.locator(f"#like-{photo_id} button.like")
    button.focus()
    assert button.get_attribute("aria-pressed") == "false"
    page.keyboard.press("Enter")
    page.locator(f"#like-{photo_id} button.like.liked").wait_for()
    liked = page.locator(f"#like-{photo_id} button.like")
    assert liked.get_attribute("aria-pressed") == "true"
    assert liked.get_attribute("aria-label") == "Unlike"
    # The swapped-in button has the focus, so Enter again undoes it.
    focused = page.evaluate("document.activeElement && document.activeElement.id")
    assert focused == f"like-button-{photo_id}"
    page.keyboard.press("Enter")
    page.locator(f"#like-{photo_id} button.like:not(.liked)").wait_for()
    assert page.locator(f"#like-{photo_id} button.like").get_attribute("aria-pressed") == "false"
    assert page.evaluate("document.activeElement.id") == f"like-button-{photo_id}"


def test_the_archive_has_an_icon(server: Server, new_context: Any) -> None:
    icon = httpx.get(f"{server.url}/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.content.lstrip().startswith(b"<svg")
    page = new_context().new_page()
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(f"{server.url}/login")
    href = page.locator("link[rel=icon]").get_attribute("href")
    assert href is not None
    linked = httpx.get(f"{server.url}{href}")
    assert linked.status_code == 200 and linked.headers["content-type"].startswith("image/svg")
    page.goto(f"{server.url}/favicon.ico")
    assert not failed, failed
