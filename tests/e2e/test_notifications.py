"""Notifications in a real browser: Bob comments on Alice's photo, her badge counts it without
a reload, and opening the list shows it and clears the badge; on a laptop and on a phone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import VIEWPORTS, Server, photo_files, sign_up, wait_until
from tests.e2e.test_quality import violations

# Live events travel differently on each engine (NOTIFY with PostgreSQL): both engines.
pytestmark = pytest.mark.usefixtures("engine")

BADGE_SETTLED = "document.querySelector('#nav-notifications:not([hx-get])') !== null"


def open_the_one_unread(page: Any, server: Server) -> Any:
    """Wait for the badge to count one, live; follow it; the list's newest item."""
    count = page.locator("#nav-notifications .nav-count")
    count.wait_for(state="visible")
    assert count.inner_text() == "1"
    page.get_by_role("link", name="Notifications, 1 unread", exact=True).click()
    page.wait_for_url(f"{server.url}/notifications")
    return page.locator("#notification-list li.notification").first


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_a_comment_reaches_the_badge_live_and_reading_clears_it(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    phone = viewport == "phone"
    page = new_context(VIEWPORTS[viewport], is_mobile=phone, has_touch=phone).new_page()
    sign_up(page, server.url, "alice")
    alice = server.api("alice")
    path = photo_files("gps/DSCN0010.jpg")[0]
    upload = alice.post("/api/v1/photos", files=[("file", (path.name, path.read_bytes()))])
    photo_id = upload.json()["items"][0]["id"]
    alice.close()

    page.goto(server.url)
    wait_until(page, "document.documentElement.dataset.live === 'open'")
    wait_until(page, BADGE_SETTLED)  # the link has asked for its count once
    assert page.get_by_role("link", name="Notifications", exact=True).is_visible()
    assert page.locator("#nav-notifications .nav-count").count() == 0
    page.evaluate("window.__samePage = true")

    bob = server.api("bob")
    said = bob.post(f"/api/v1/photos/{photo_id}/comments", json={"text": "lovely"})
    assert said.status_code == 201, said.text
    bob.close()
    count = page.locator("#nav-notifications .nav-count")
    count.wait_for(state="visible")
    assert count.inner_text() == "1"
    unread = page.get_by_role("link", name="Notifications, 1 unread", exact=True)
    assert unread.is_visible()
    assert page.evaluate("window.__samePage === true")  # no reload
    assert violations(page, axe_source) == []

    unread.click()
    page.wait_for_url(f"{server.url}/notifications")
    item = page.locator("#notification-list li.notification")
    assert item.count() == 1
    assert "bob commented on your photo: “lovely”" in item.inner_text()
    assert item.locator("time").get_attribute("datetime")
    assert page.get_by_role("link", name="Notifications", exact=True).is_visible()
    assert page.locator("#nav-notifications .nav-count").count() == 0
    assert violations(page, axe_source) == []

    item.locator("a.notification-link").click()
    page.wait_for_url(f"{server.url}/photos/{photo_id}")
    wait_until(page, BADGE_SETTLED)
    assert page.locator("#nav-notifications .nav-count").count() == 0

    # Bob adds her to an album of his (empty yet: no cover): live too, and it leads there.
    bob = server.api("bob")
    album_id = bob.post("/api/v1/albums", json={"title": "Bob's <garden>"}).json()["id"]
    added = bob.put(f"/api/v1/albums/{album_id}/members/alice", json={"role": "viewer"})
    assert added.is_success, added.text
    bob.close()
    first = open_the_one_unread(page, server)
    assert "bob added you to the album Bob's <garden>" in first.inner_text()
    assert first.locator(".notification-icon svg").count() == 1
    assert violations(page, axe_source) == []
    first.locator("a.notification-link").click()
    page.wait_for_url(f"{server.url}/albums/{album_id}")
    assert page.get_by_role("heading", name="Bob's <garden>").count() == 1
    wait_until(page, BADGE_SETTLED)

    # Bob adds two photos of his to it: one item, live, counting them, the cover its picture.
    bob = server.api("bob")
    his = []
    for name in ("orientation/landscape_1.jpg", "orientation/portrait_6.jpg"):
        path = photo_files(name)[0]
        sent = bob.post("/api/v1/photos", files=[("file", (path.name, path.read_bytes()))])
        his.append(sent.json()["items"][0]["id"])
    put = bob.post(f"/api/v1/albums/{album_id}/photos", json={"photo_ids": his})
    assert put.is_success, put.text
    bob.close()
    first = open_the_one_unread(page, server)
    assert "bob added 2 photos to the album Bob's <garden>" in first.inner_text()
    thumb = first.locator("img.notification-thumb")
    wait_until(page, "document.querySelector('#notification-list img').naturalWidth > 0")
    assert (thumb.get_attribute("src") or "").startswith("/media/")
    assert violations(page, axe_source) == []
    first.locator("a.notification-link").click()
    page.wait_for_url(f"{server.url}/albums/{album_id}")
