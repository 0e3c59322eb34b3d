"""Odd input around share links and albums, over HTTP: an expiry at the calendar's far end,
and numbers written in digits of other scripts or too long for a row id. Each is refused with a
clear 4xx and leaves nothing behind; none breaks a page its owner needs to turn a link off."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from photoarchive.errors import Invalid
from photoarchive.library import shares
from tests.support import (
    PHOTOS,
    FrozenClock,
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
LA, TOKYO = "America/Los_Angeles", "Asia/Tokyo"


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


# "²" is a digit to str.isdigit() and no number to int(); "٣" (Arabic-Indic three) is both.
ODD = "²"
TOO_LONG = "9" * 25  # a whole number no row id can be


def test_a_cursor_of_other_digits_is_refused_to_a_link_s_holder(archive: LiveServer) -> None:
    owner = api_login(archive, "owner")
    made = owner.post("/api/v1/shares", json={"photo_ids": [uploaded(owner, CAMERA)]})
    token = made.json()["token"]
    guest = archive.client()
    for cursor in (ODD, f"1{ODD}", "٣"):
        page = guest.get(f"/s/{token}", params={"cursor": cursor})
        assert page.status_code == 400, (cursor, page.text[:200])
        answer = guest.get(f"/api/v1/s/{token}", params={"cursor": cursor})
        assert answer.status_code == 400 and answer.json()["field"] == "cursor", answer.text


def test_the_share_form_refuses_ids_it_cannot_read_and_makes_no_link(
    archive: LiveServer,
) -> None:
    album_id, photo_id, _ = album_with_link(archive)
    owner = browser(archive, "owner")
    for fields in (
        {"photo_ids": ODD},
        {"photo_ids": f"{photo_id},{ODD}"},
        {"photo_ids": TOO_LONG},
        {"photo_ids": f"{photo_id},{TOO_LONG}"},
        {"album_id": ODD},
        {"album_id": TOO_LONG},
    ):
        refused = form_post(owner, "/shares", fields)
        assert refused.status_code in (404, 422), (fields, refused.status_code)
        assert parse(refused.text).find_all("h1"), fields  # a page that says why
    assert archive.count("shares") == 1
    for fields in ({"photo_ids": f"{photo_id},"}, {"album_id": str(album_id)}):
        assert form_post(owner, "/shares", fields).status_code == 303, fields
    assert archive.count("shares") == 3


def test_album_forms_and_a_photo_s_list_refuse_other_digits(archive: LiveServer) -> None:
    album_id, photo_id, _ = album_with_link(archive)
    owner = browser(archive, "owner")
    cover = form_post(owner, f"/albums/{album_id}/edit", {"title": "Summer", "cover_photo_id": ODD})
    assert cover.status_code == 422, cover.text[:200]
    added = form_post(owner, f"/photos/{photo_id}/albums", {"album_id": ODD})
    assert added.status_code == 422, added.text[:200]
    # An address that names no list, or no photo just trashed, still shows its page.
    alone = owner.get(f"/photos/{photo_id}", params={"from": f"album:{ODD}"})
    assert alone.status_code == 200, alone.text[:200]
    assert owner.get("/", params={"trashed": ODD}).status_code == 200


def end_of_day(day: date, zone: str) -> str:
    """The last second of `day` in `zone`, as links keep their expiry (UTC, with a Z)."""
    end = datetime.combine(day, time(23, 59, 59), ZoneInfo(zone)).astimezone(UTC)
    return end.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_available_until_a_date_means_the_end_of_that_day_where_the_person_is(
    archive: LiveServer, frozen_clock: FrozenClock
) -> None:
    # 03:00 UTC: still yesterday evening in Los Angeles, already today's noon in Tokyo.
    now = datetime.fromtimestamp(frozen_clock.moment, UTC)
    at = now.replace(hour=3, minute=0, second=0, microsecond=0)
    frozen_clock.moment = (at if at > now else at + timedelta(days=1)).timestamp()
    moment = datetime.fromtimestamp(frozen_clock.moment, UTC)

    def made(who: str, fields: dict[str, str]) -> str:
        client = api_login(archive, who)
        photo_id = uploaded(client, CAMERA)
        answer = form_post(browser(archive, who), "/shares", {"photo_ids": str(photo_id), **fields})
        assert answer.status_code == 303, parse(answer.text).text[-300:]
        return str(client.get("/api/v1/shares").json()["items"][0]["expires_at"])

    # A zone chosen on /settings: "today" there is a day that has not ended yet.
    owner = browser(archive, "owner")
    assert form_post(owner, "/settings/time-zone", {"time_zone": LA}).status_code == 303
    today_there = moment.astimezone(ZoneInfo(LA)).date()
    assert today_there < moment.date()
    assert made("owner", {"expires_at": today_there.isoformat()}) == end_of_day(today_there, LA)
    # Automatic: the zone of the browser, which the form's script sends.
    album_id, _, _ = album_with_link(archive)
    form = parse(owner.get(f"/albums/{album_id}").text)
    assert form.find_all("input", name="time_zone", type="hidden")
    tokyo_day = moment.astimezone(ZoneInfo(TOKYO)).date()
    fields = {"expires_at": tokyo_day.isoformat(), "time_zone": TOKYO}
    assert made("other", fields) == end_of_day(tokyo_day, TOKYO)
    # No script, or a zone this archive does not know: the day ends in UTC.
    later = (moment + timedelta(days=2)).date()
    fields = {"expires_at": later.isoformat(), "time_zone": "Not/A_Zone"}
    assert made("other", fields) == end_of_day(later, "UTC")


def test_the_calendars_last_day_west_of_utc_is_too_far_not_malformed() -> None:
    # 9999-12-31 at the end of the day in California is past the calendar's end in UTC.
    with pytest.raises(Invalid) as refused:
        shares.check_expiry("9999-12-31T23:59:59-08:00")
    assert refused.value.field == "expires_at"
    assert "within" in refused.value.message and "years" in refused.value.message
