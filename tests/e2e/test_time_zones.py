"""Dates in a browser somewhere else than UTC: a photo is dated by when its camera says it was
taken (that wall-clock time never shifts), upload and comment times are shown in the browser's
zone, and a zone chosen on /settings wins over the browser's."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import VIEWPORTS, Server, photo_files, sign_in, wait_until
from tests.e2e.test_quality import violations

# Dates and zones stored and read back through either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")

viewports = pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
LA = "America/Los_Angeles"
# DateTimeOriginal 2002:04:21 00:30:33 without an offset: shifted into Los Angeles as if it were
# UTC, it would read 20 Apr, 17:30.
TAKEN_PHOTO = "odd-exif/36-memory_error.jpg"
TAKEN_DAY = "21 Apr 2002"
TAKEN_TIME = "21 Apr 2002, 00:30"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def in_zone(stamp: str, zone: str, with_zone: bool = True) -> str:
    """What a person in `zone` should read for a stored instant."""
    moment = datetime.fromisoformat(stamp).astimezone(ZoneInfo(zone))
    text = f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}, {moment:%H:%M}"
    return f"{text} {moment.tzname()}" if with_zone else text


def photo_with_comment(server: Server, username: str) -> tuple[dict[str, Any], dict[str, Any]]:
    api = server.api(username)
    path = photo_files(TAKEN_PHOTO)[0]
    photo = api.post("/api/v1/photos", files=[("file", (path.name, path.read_bytes()))])
    item = photo.json()["items"][0]
    comment = api.post(f"/api/v1/photos/{item['id']}/comments", json={"text": "Spring!"})
    assert comment.status_code == 201, comment.text
    api.close()
    return item, comment.json()


def text(page: Any, selector: str) -> str:
    return " ".join(page.locator(selector).first.text_content().split())


@viewports
def test_dates_taken_stay_and_times_follow_the_browsers_zone(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    photo, comment = photo_with_comment(server, "alice")
    assert photo["taken_at"] == "2002-04-21T00:30:33"
    page = new_context(VIEWPORTS[viewport], timezone_id=LA).new_page()
    sign_in(page, server.url, "alice")

    card = f"#photo-{photo['id']}"
    assert text(page, f"{card} .photo-date") == f"Taken {TAKEN_DAY}"
    assert text(page, f"{card} .comment-time") == in_zone(comment["created_at"], LA, False)
    assert violations(page, axe_source) == []

    page.goto(f"{server.url}/photos/{photo['id']}")
    assert text(page, "main .photo-date") == f"Taken {TAKEN_DAY}"
    assert text(page, "main .taken") == TAKEN_TIME
    uploaded = text(page, "main .uploaded")
    assert uploaded == in_zone(photo["created_at"], LA)
    assert uploaded.endswith((" PST", " PDT"))
    assert violations(page, axe_source) == []

    # Opened over the profile (htmx brings it in): rewritten all the same.
    page.goto(f"{server.url}/u/alice")
    page.locator(f"#grid-{photo['id']} a").click()
    page.locator("#modal [role=dialog]").wait_for()
    # htmx announces new content (htmx:load) once it has settled, a moment after the swap.
    wait_until(page, "!document.querySelector('#modal time[data-local]')")
    assert text(page, "#modal .uploaded") == in_zone(photo["created_at"], LA)
    assert text(page, "#modal .taken") == TAKEN_TIME


@viewports
def test_a_zone_chosen_in_settings_wins_over_the_browsers(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    photo, comment = photo_with_comment(server, "bob")
    page = new_context(VIEWPORTS[viewport], timezone_id="Asia/Kolkata").new_page()
    sign_in(page, server.url, "bob")
    page.goto(f"{server.url}/photos/{photo['id']}")
    # The browser names the zone as it can: ICU has no English "IST" for India, so an offset.
    uploaded = text(page, "main .uploaded")
    assert uploaded in (
        in_zone(photo["created_at"], "Asia/Kolkata"),
        in_zone(photo["created_at"], "Asia/Kolkata", False) + " UTC+5:30",
    ), uploaded
    assert text(page, "main .taken") == TAKEN_TIME

    page.goto(f"{server.url}/settings")
    # (ICU may give the zone's older name, which is the same zone.)
    assert text(page, "[data-browser-zone] strong") in ("Asia/Kolkata", "Asia/Calcutta")
    page.select_option("#time_zone", LA)
    page.get_by_role("button", name="Save time zone").click()
    page.locator("#settings-notice").wait_for()
    assert page.locator("#time_zone").input_value() == LA
    signed_in = text(page, "table.sessions tbody td:nth-child(3)")
    assert signed_in.endswith((" PST", " PDT")), signed_in
    assert violations(page, axe_source) == []

    page.goto(f"{server.url}/photos/{photo['id']}")
    assert text(page, "main .uploaded") == in_zone(photo["created_at"], LA)
    assert text(page, "main .comment-time") == in_zone(comment["created_at"], LA, False)
    assert text(page, "main .taken") == TAKEN_TIME
    page.goto(server.url)
    assert text(page, f"#photo-{photo['id']} .photo-date") == f"Taken {TAKEN_DAY}"
