"""The timeline in a real browser, on a laptop and a phone: the memories strip shows a photo
taken on today's date years ago; a selection spans the months of the one grid; scrolling marks the month reached; the list of years and months jumps to an older month, whose
heading and photos are then on screen, that month marked as the current one; axe finds
nothing on either page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.e2e.conftest import VIEWPORTS, Server, photo_files, sign_in, wait_until
from tests.e2e.test_quality import violations

# Months, memories and their order, read through either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_jump_to_an_older_month_and_see_todays_memories(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    api = server.api("alice")
    ids = []
    for path in photo_files("cameras/Canon_40D.jpg", "cameras/Nikon_D70.jpg", "gps/DSCN0010.jpg"):
        answer = api.post("/api/v1/photos", files=[("file", (path.name, path.read_bytes()))])
        ids.append(answer.json()["items"][0]["id"])
    api.close()
    # Today in the server's zone (its own: no PHOTOARCHIVE_TIMEZONE), four years back (a 29
    # February has one then too).
    today = datetime.now().astimezone().date()
    remembered = f"{today.year - 4:04d}-{today.month:02d}-{today.day:02d}T09:30:00"
    for photo_id, stamp in zip(
        ids, (remembered, "2019-03-10T10:00:00", "2025-01-05T10:00:00+01:00"), strict=True
    ):
        server.sql("UPDATE photos SET taken_at = ? WHERE id = ?", (stamp, photo_id))
    # More rows of the same picture in January 2025, so that the page scrolls.
    for n in range(20):
        server.sql(
            "INSERT INTO photos (owner_id, sha256, bytes, content_type, width, height,"
            " preview_width, taken_at, created_at, tag, placeholder)"
            " SELECT owner_id, ?, bytes, content_type, width, height,"
            " preview_width, ?, created_at, tag, placeholder"
            " FROM photos WHERE id = ?",
            (f"{1000 + n:064x}", f"2025-01-{n % 28 + 1:02d}T10:00:00", ids[2]),
        )
    page = new_context(VIEWPORTS[viewport]).new_page()
    sign_in(page, server.url, "alice")

    page.goto(f"{server.url}/timeline")
    strip = page.locator("section.memories")
    assert strip.is_visible()
    assert "4 years ago" in strip.inner_text()
    assert strip.locator(f"a[href='/photos/{ids[0]}'] img").is_visible()
    assert violations(page, axe_source) == []
    # One grid across the months: a selection spans them.
    page.click("#grid-items-select")
    page.click(f"#grid-{ids[0]} a")
    page.click(f"#grid-{ids[1]} a", modifiers=["Shift"])
    assert page.locator("[data-select-count]").inner_text() == "2 selected"
    page.keyboard.press("Escape")
    # Scrolled down to the oldest month, the list marks it (static/js/timeline.js).
    marked = "document.querySelector(\"nav.timeline-scrubber a[aria-current='true']\")"
    page.evaluate("window.scrollTo(0, 0)")
    wait_until(page, f"{marked}.dataset.month === '2025-01'")
    page.evaluate("document.querySelector('#month-2019-03').scrollIntoView()")
    wait_until(page, f"{marked}.dataset.month === '2019-03'")
    assert page.locator("nav.timeline-scrubber a[aria-current]").count() == 1

    march = page.locator("nav.timeline-scrubber a[href^='/timeline?month=2019-03']")
    march.scroll_into_view_if_needed()
    march.click()
    page.wait_for_url("**/timeline?month=2019-03*")
    heading = page.locator("#month-2019-03 h2")
    wait_until(page, "document.querySelector('#month-2019-03') !== null")
    assert heading.inner_text() == "March 2019"
    assert heading.is_visible()
    assert page.locator(f"#grid-{ids[1]} img").is_visible()
    assert page.locator(f"#grid-{ids[2]}").count() == 0  # newer: above where it starts
    current = page.locator("nav.timeline-scrubber a[aria-current='true']")
    assert current.get_attribute("href") == "/timeline?month=2019-03#month-2019-03"
    assert page.locator("a.more[href='/timeline']").count() == 1  # back to the newest
    assert violations(page, axe_source) == []

    # The feed shows the same strip.
    page.goto(server.url)
    assert page.locator(f"section.memories a[href='/photos/{ids[0]}']").is_visible()
    assert violations(page, axe_source) == []
