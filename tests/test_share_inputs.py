"""Odd input around share links and albums, over HTTP: an expiry at the calendar's far end,
and numbers written in digits of other scripts or too long for a row id. Each is refused with a
clear 4xx and leaves nothing behind; none breaks a page its owner needs to turn a link off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from photoarchive.errors import Invalid
from photoarchive.library import shares
from tests.support import (
    PHOTOS,
    LiveServer,
    api_login,
    archive_of,
    browser,
    form_post,
    parse,
    run_sql,
    uploaded,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

CAMERA = PHOTOS / "cameras" / "Canon_40D.jpg"
# A moment the calendar can hold in UTC but not in a zone ahead of it.
CALENDAR_END = "9999-12-31T23:59:59Z"


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[LiveServer]:
    with archive_of(tmp_path / "data", ("owner", "other")) as server:
        yield server


def album_with_link(archive: LiveServer) -> tuple[int, int, int]:
    """(album id, photo id, link id): an album of the owner's holding a photo, shared."""
    owner = api_login(archive, "owner")
    album_id = owner.post("/api/v1/albums", json={"title": "Summer"}).json()["id"]
    photo_id = uploaded(owner, CAMERA)
    owner.post(f"/api/v1/albums/{album_id}/photos", json={"photo_ids": [photo_id]})
    made = owner.post("/api/v1/shares", json={"album_id": album_id})
    assert made.status_code == 201, made.text
    return album_id, photo_id, int(made.json()["id"])


def test_a_link_expiring_at_the_calendar_s_end_leaves_its_owner_s_pages_working(
    archive: LiveServer,
) -> None:
    album_id, _, link_id = album_with_link(archive)
    # As an archive may hold it from before such expiries were refused.
    run_sql(
        archive.settings, "UPDATE shares SET expires_at = ? WHERE id = ?", (CALENDAR_END, link_id)
    )
    owner = browser(archive, "owner")
    zoned = form_post(owner, "/settings/time-zone", {"time_zone": "Asia/Tokyo"})
    assert zoned.status_code == 303, zoned.text
    for url in ("/settings", f"/albums/{album_id}"):
        page = owner.get(url)
        assert page.status_code == 200, (url, page.text[:300])
        turn_off = parse(page.text).find_all("form", action=f"/shares/{link_id}/revoke")
        assert turn_off, url
    assert form_post(owner, f"/shares/{link_id}/revoke").status_code == 303
    assert archive.count("shares WHERE revoked_at IS NULL") == 0


def test_an_expiry_more_than_a_hundred_years_away_is_refused_and_makes_no_link(
    archive: LiveServer,
) -> None:
    album_id, photo_id, _ = album_with_link(archive)
    owner, script = browser(archive, "owner"), api_login(archive, "owner")
    # The date picker's "forever": a clear refusal that says how to get one.
    refused = form_post(owner, "/shares", {"album_id": str(album_id), "expires_at": "9999-12-31"})
    assert refused.status_code == 422
    assert "The expiry date must be within 100 years" in parse(refused.text).text
    for far in (CALENDAR_END, "2200-01-01T00:00:00Z"):
        answer = script.post("/api/v1/shares", json={"photo_ids": [photo_id], "expires_at": far})
        assert answer.status_code == 422 and answer.json()["field"] == "expires_at", answer.text
    assert archive.count("shares") == 1
    with pytest.raises(Invalid):
        shares.check_expiry(CALENDAR_END)
