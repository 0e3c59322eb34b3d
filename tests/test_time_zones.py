"""The time zone setting on /settings, and the times pages render with it: a photo is dated by
when it was taken, uploads and comments are shown in the viewer's zone (or marked for the
browser to rewrite when the setting is automatic)."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx
import pytest

from tests.support import PHOTOS, LiveServer, form_post, sign_up, upload

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

LA = "America/Los_Angeles"
CANON = PHOTOS / "cameras" / "Canon_40D.jpg"  # DateTimeOriginal 2008:05:30 15:56:01, no offset
UPLOADED = "2026-11-30T08:30:00.000000Z"
COMMENTED = "2026-07-04T18:00:00.000000Z"


class _Times(HTMLParser):
    """Every <time>: its attributes, its text, and the classes of the elements around it."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str]] = []
        self.times: list[dict[str, str]] = []
        self.selected: list[str] = []
        self._open: dict[str, str] | None = None
        self._option = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "option" and "selected" in found:
            # An option without a value attribute stands for its text.
            if "value" in found:
                self.selected.append(found["value"])
            else:
                self._option = True
        if tag in ("br", "img", "input", "meta", "link", "option"):
            return
        if tag == "time":
            within = " ".join(cls for _, cls in self.stack)
            self._open = {**found, "text": "", "within": within}
            self.times.append(self._open)
        self.stack.append((tag, found.get("class", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "time":
            self._open = None
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._option:
            self.selected.append(data.strip())
            self._option = False
        if self._open is not None:
            self._open["text"] += data


def times(html: str, within: str) -> list[dict[str, str]]:
    parser = _Times()
    parser.feed(html)
    return [t for t in parser.times if within in t["within"].split()]


def one_photo(server: LiveServer) -> tuple[httpx.Client, int]:
    alice = sign_up(server, "alice")
    photo_id = upload(alice, CANON).json()["items"][0]["id"]
    comment = form_post(alice, f"/photos/{photo_id}/comments", {"text": "Nice"})
    assert comment.status_code == 303
    with server.db() as conn:  # a known moment for each
        conn.execute("UPDATE photos SET created_at = ?", (UPLOADED,))
        conn.execute("UPDATE comments SET created_at = ?", (COMMENTED,))
    return alice, photo_id


def set_zone(client: httpx.Client, zone: str) -> httpx.Response:
    return form_post(client, "/settings/time-zone", {"time_zone": zone})


def test_a_card_is_dated_by_when_the_photo_was_taken(server: LiveServer) -> None:
    alice, photo_id = one_photo(server)
    # The API keeps its shape: the camera's wall-clock time, without an offset it never had.
    assert alice.get(f"/api/v1/photos/{photo_id}").json()["taken_at"] == "2008-05-30T15:56:01"
    for zone in ("", LA, "Pacific/Auckland"):
        assert set_zone(alice, zone).status_code == 303
        (card_date,) = times(alice.get("/").text, "photo-date")
        assert card_date["text"] == "30 May 2008", zone
        assert card_date["datetime"] == "2008-05-30T15:56:01"
        assert "data-local" not in card_date  # the browser must not shift it either
        page = alice.get(f"/photos/{photo_id}").text
        (taken,) = times(page, "taken")
        assert taken["text"] == "30 May 2008, 15:56"


def test_with_a_zone_set_times_are_rendered_in_it(server: LiveServer) -> None:
    alice, photo_id = one_photo(server)
    response = set_zone(alice, LA)
    assert response.status_code == 303 and response.headers["location"].endswith("saved=time-zone")
    page = alice.get(f"/photos/{photo_id}").text
    (uploaded,) = times(page, "uploaded")
    assert uploaded["text"] == "30 Nov 2026, 00:30 PST"
    assert uploaded["datetime"] == "2026-11-30T08:30:00Z" and "data-local" not in uploaded
    (comment,) = times(page, "comment-time")
    assert comment["text"] == "4 Jul 2026, 11:00"  # summer: PDT, seven hours behind UTC
    (card_comment,) = times(alice.get("/").text, "comment-time")
    assert card_comment["text"] == "4 Jul 2026, 11:00"
    settings = alice.get("/settings").text
    signed_in = times(settings, "sessions")
    assert signed_in and all(t["text"].endswith(("PST", "PDT")) for t in signed_in)
    parser = _Times()
    parser.feed(settings)
    assert parser.selected == [LA]

    # Another zone, the same cards: nothing made for the old zone is shown again.
    assert set_zone(alice, "Asia/Tokyo").status_code == 303
    (card_comment,) = times(alice.get("/").text, "comment-time")
    assert card_comment["text"] == "5 Jul 2026, 03:00"
    (uploaded,) = times(alice.get(f"/photos/{photo_id}").text, "uploaded")
    assert uploaded["text"] == "30 Nov 2026, 17:30 JST"


def test_automatic_renders_utc_for_the_browser_to_rewrite(server: LiveServer) -> None:
    alice, photo_id = one_photo(server)
    bob = sign_up(server, "bob")
    assert set_zone(alice, LA).status_code == 303  # alice's setting is hers alone
    page = bob.get(f"/photos/{photo_id}").text
    (uploaded,) = times(page, "uploaded")
    assert uploaded["text"] == "30 Nov 2026, 08:30 UTC"
    assert uploaded["data-local"] == "datetime-zone"
    (comment,) = times(page, "comment-time")
    assert comment["text"] == "4 Jul 2026, 18:00" and comment["data-local"] == "datetime"
    parser = _Times()
    parser.feed(bob.get("/settings").text)
    assert parser.selected == [""]  # Automatic


def test_an_unknown_zone_is_refused_and_the_setting_kept(server: LiveServer) -> None:
    alice, photo_id = one_photo(server)
    assert set_zone(alice, LA).status_code == 303
    for wrong in ("Mars/Olympus_Mons", "localtime", "x" * 5000):
        response = set_zone(alice, wrong)
        assert response.status_code == 422
        assert "not a time zone this archive knows" in response.text
        assert 'id="time-zone-error"' in response.text
        assert 'aria-invalid="true"' in response.text
    (uploaded,) = times(alice.get(f"/photos/{photo_id}").text, "uploaded")
    assert uploaded["text"] == "30 Nov 2026, 00:30 PST"
    # Back to automatic.
    assert set_zone(alice, "").status_code == 303
    (uploaded,) = times(alice.get(f"/photos/{photo_id}").text, "uploaded")
    assert uploaded["text"].endswith("UTC") and uploaded["data-local"] == "datetime-zone"


def test_the_setting_needs_a_signed_in_person(server: LiveServer) -> None:
    guest = server.client()
    response = form_post(guest, "/settings/time-zone", {"time_zone": LA})
    assert response.status_code in (303, 401)
    assert server.count("user_preferences") == 0


def test_a_photo_taken_with_an_offset_reads_the_clock_where_it_was_taken(
    server: LiveServer,
) -> None:
    """Past midnight in Paris on 1 July is still 30 June in New York; the timeline files the
    photo under July (the clock where it was taken), so every page says 1 July too."""
    alice, photo_id = one_photo(server)
    taken = form_post(
        alice, f"/photos/{photo_id}/taken", {"taken_at": "2024-07-01T00:30:00", "offset": "+02:00"}
    )
    assert taken.status_code == 303
    assert alice.get(f"/api/v1/photos/{photo_id}").json()["taken_at"] == (
        "2024-07-01T00:30:00+02:00"
    )
    (bucket,) = alice.get("/api/v1/timeline/buckets").json()["items"]
    assert bucket["month"] == "2024-07"
    for zone in ("America/New_York", "", "Asia/Tokyo"):
        assert set_zone(alice, zone).status_code == 303
        assert 'data-month="2024-07"' in alice.get("/timeline").text
        (card_date,) = times(alice.get("/").text, "photo-date")
        assert card_date["text"] == "1 Jul 2024", zone
        assert card_date["datetime"] == "2024-07-01T00:30:00+02:00"
        assert "data-local" not in card_date  # nor shifted by the browser
        (detail,) = times(alice.get(f"/photos/{photo_id}").text, "taken")
        assert detail["text"] == "1 Jul 2024, 00:30 UTC+02:00", zone
        assert "data-local" not in detail
