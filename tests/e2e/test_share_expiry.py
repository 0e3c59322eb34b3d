"""A share link's "Available until" in a browser far from UTC, on a laptop and a phone: the day
chosen ends at midnight where the person is (their browser's zone, sent by the form's script),
and the album's page says so in that zone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import VIEWPORTS, Server, sign_in
from tests.e2e.test_quality import violations
from tests.e2e.test_time_zones import MONTHS

# A link's expiry written and read back through either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")

TOKYO = "Asia/Tokyo"  # nine hours ahead of UTC all year: its day ends at 14:59 UTC


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_the_day_a_link_ends_is_the_browsers_day(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    api = server.api("alice")
    album_id = api.post("/api/v1/albums", json={"title": "Summer"}).json()["id"]
    page = new_context(VIEWPORTS[viewport], timezone_id=TOKYO).new_page()
    sign_in(page, server.url, "alice")
    page.goto(f"{server.url}/albums/{album_id}")

    day = datetime.now(ZoneInfo(TOKYO)).date() + timedelta(days=2)
    form = page.locator(f"#share-{album_id}")
    form.locator("summary").click()
    form.get_by_label("Available until (optional)").fill(day.isoformat())
    form.get_by_role("button", name="Make the link").click()
    page.wait_for_url(f"{server.url}/albums/{album_id}?saved=share#album-share-notice")

    (link,) = api.get("/api/v1/shares").json()["items"]
    end = datetime.combine(day, time(23, 59, 59), ZoneInfo(TOKYO)).astimezone(UTC)
    assert link["expires_at"] == end.strftime("%Y-%m-%dT%H:%M:%SZ")
    shown = page.locator(f"#shared-link-{link['id']}").text_content() or ""
    assert f"until {day.day} {MONTHS[day.month - 1]} {day.year}, 23:59" in " ".join(shown.split())
    assert violations(page, axe_source) == []
    api.close()
