"""Favorites and the archive in a real browser, on a laptop and a phone: a photo starred from
its page by keyboard (the focus stays on the star) is on /favorites; archived from its page it
leaves the feed and waits on /archive, and unarchiving brings it back."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import VIEWPORTS, Server, photo_files, sign_in, wait_until
from tests.e2e.test_quality import violations

# Favorites and the archive, read and written through either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_favorite_by_keyboard_then_archive_and_unarchive(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    api = server.api("alice")
    path = photo_files("cameras/Canon_40D.jpg")[0]
    answer = api.post("/api/v1/photos", files=[("file", (path.name, path.read_bytes()))])
    photo_id = answer.json()["items"][0]["id"]
    api.close()
    page = new_context(VIEWPORTS[viewport]).new_page()
    sign_in(page, server.url, "alice")
    photo_url = f"{server.url}/photos/{photo_id}"

    page.goto(photo_url)
    star = f"#favorite-button-{photo_id}"
    assert page.get_attribute(star, "aria-pressed") == "false"
    page.focus(star)
    page.keyboard.press("Enter")
    wait_until(page, f"document.querySelector('{star}').getAttribute('aria-pressed') === 'true'")
    assert page.evaluate("document.activeElement.id") == f"favorite-button-{photo_id}"
    assert violations(page, axe_source) == []

    page.goto(f"{server.url}/favorites")
    assert page.locator(f"#grid-{photo_id}").count() == 1
    assert violations(page, axe_source) == []

    page.goto(photo_url)
    page.click(".archive-form button[type=submit]")
    page.wait_for_url(photo_url)
    assert page.locator(".archive-form button").inner_text().strip() == "Unarchive"
    assert violations(page, axe_source) == []
    page.goto(server.url)
    assert page.locator(f"#photo-{photo_id}").count() == 0
    page.goto(f"{server.url}/archive")
    assert page.locator(f"#grid-{photo_id}").count() == 1
    assert violations(page, axe_source) == []

    page.goto(photo_url)
    page.click(".archive-form button[type=submit]")
    page.wait_for_url(photo_url)
    page.goto(server.url)
    assert page.locator(f"#photo-{photo_id}").count() == 1
    page.goto(f"{server.url}/archive")
    assert page.locator(f"#grid-{photo_id}").count() == 0
