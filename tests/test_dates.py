"""How times are shown: when a photo was taken as the clock read where it was taken, an instant
in the viewer's zone (across daylight-saving changes), and the `<time>` element that says which
is which."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from photoarchive.accounts import time_zones, users
from photoarchive.errors import Invalid
from photoarchive.media.metadata import _taken_at, file_date
from photoarchive.web import dates

LA = "America/Los_Angeles"


class _Times(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[dict[str, str | None], str]] = []
        self._open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "time":
            self.found.append((dict(attrs), ""))
            self._open = True

    def handle_endtag(self, tag: str) -> None:
        self._open = self._open and tag != "time"

    def handle_data(self, data: str) -> None:
        if self._open:
            attrs, text = self.found[-1]
            self.found[-1] = (attrs, text + data)


def time_element(markup: str) -> tuple[dict[str, str | None], str]:
    parser = _Times()
    parser.feed(markup)
    assert len(parser.found) == 1, markup
    return parser.found[0]


@pytest.mark.parametrize("zone", ["", "UTC", LA, "Asia/Tokyo", "Pacific/Kiritimati"])
def test_a_wall_clock_time_is_shown_as_the_camera_recorded_it_in_every_zone(zone: str) -> None:
    stamp = _taken_at("2002:04:21 00:30:33", None)  # as the EXIF reader stores it
    assert stamp == "2002-04-21T00:30:33"
    assert dates.show(stamp, zone, "date") == "21 Apr 2002"
    assert dates.show(stamp, zone, "datetime") == "21 Apr 2002, 00:30"
    assert dates.show(stamp, zone, "datetime-zone") == "21 Apr 2002, 00:30"  # it has no zone
    attrs, text = time_element(dates.time_tag(stamp, zone, "datetime-zone"))
    # HTML's "local date and time": no offset, and nothing for the browser to shift.
    assert attrs == {"datetime": "2002-04-21T00:30:33"} and text == "21 Apr 2002, 00:30"


def test_a_camera_time_with_its_offset_reads_the_clock_where_it_was_taken() -> None:
    stamp = _taken_at("2019:06:01 00:30:00", "+02:00")
    assert stamp == "2019-06-01T00:30:00+02:00"
    # The same instant is 31 May in Los Angeles; the photo was taken on 1 June where it was.
    assert dates.show(stamp, LA, "date") == "31 May 2019"
    attrs, text = time_element(dates.taken_tag(stamp, "date"))
    assert attrs == {"datetime": "2019-06-01T00:30:00+02:00"} and text == "1 Jun 2019"
    _, text = time_element(dates.taken_tag(stamp, "datetime-zone"))
    assert text == "1 Jun 2019, 00:30 UTC+02:00"
    _, text = time_element(dates.taken_tag("2019-06-01T00:30:00Z", "datetime-zone"))
    assert text == "1 Jun 2019, 00:30 UTC"
    # Without an offset: as recorded, no zone; odd stamps as for instants.
    _, text = time_element(dates.taken_tag("2002-04-21T00:30:33", "datetime-zone"))
    assert text == "21 Apr 2002, 00:30"
    assert dates.taken_tag(None) == ""
    assert str(dates.taken_tag("<odd>")) == "&lt;odd&gt;"
    with pytest.raises(ValueError, match="style"):
        dates.taken_tag(stamp, "fancy")


def test_an_upload_time_is_shown_in_the_viewers_zone() -> None:
    stamp = "2026-11-30T08:30:00.123456Z"  # clock.now_iso()
    assert dates.show(stamp, "", "datetime") == "30 Nov 2026, 08:30"
    assert dates.show(stamp, LA, "datetime-zone") == "30 Nov 2026, 00:30 PST"
    assert dates.show(stamp, "Asia/Kolkata", "datetime-zone") == "30 Nov 2026, 14:00 IST"
    # The day can differ: a card's date is the viewer's day.
    assert dates.show("2026-11-30T03:00:00Z", LA, "date") == "29 Nov 2026"
    assert dates.show(file_date(0), LA, "datetime-zone") == "31 Dec 1969, 16:00 PST"


@pytest.mark.parametrize(
    ("stamp", "shown"),
    [
        # Spring forward in Los Angeles, 8 March 2026: 02:00 PST becomes 03:00 PDT.
        ("2026-03-08T09:59:00Z", "8 Mar 2026, 01:59 PST"),
        ("2026-03-08T10:00:00Z", "8 Mar 2026, 03:00 PDT"),
        # Fall back, 1 November 2026: 01:00-02:00 comes twice, the zone tells them apart.
        ("2026-11-01T08:30:00Z", "1 Nov 2026, 01:30 PDT"),
        ("2026-11-01T09:30:00Z", "1 Nov 2026, 01:30 PST"),
    ],
)
def test_daylight_saving_changes(stamp: str, shown: str) -> None:
    assert dates.show(stamp, LA, "datetime-zone") == shown


def test_the_time_element_tells_the_script_which_times_are_its_to_rewrite() -> None:
    stamp = "2026-11-30T08:30:00.123456Z"
    # Automatic: UTC text, marked for the browser to rewrite in its own zone.
    attrs, text = time_element(dates.time_tag(stamp, "", "datetime-zone"))
    assert attrs == {"datetime": "2026-11-30T08:30:00Z", "data-local": "datetime-zone"}
    assert text == "30 Nov 2026, 08:30 UTC"
    # A zone chosen on /settings: the server's text is final.
    attrs, text = time_element(dates.time_tag(stamp, LA, "date"))
    assert attrs == {"datetime": "2026-11-30T08:30:00Z"} and text == "30 Nov 2026"
    # Seconds since the epoch, as sessions and reset links are stored.
    attrs, text = time_element(dates.time_tag(1_800_000_000.5, LA, "datetime-zone"))
    assert attrs["datetime"] == "2027-01-15T08:00:00Z" and text == "15 Jan 2027, 00:00 PST"


def test_odd_stamps_never_break_a_page() -> None:
    assert dates.time_tag(None) == ""
    assert dates.time_tag("", LA) == ""
    assert str(dates.time_tag("<not a date>")) == "&lt;not a date&gt;"
    # A stored zone the server's tz database no longer has reads as UTC.
    assert dates.show("2026-11-30T08:30:00Z", "Gone/Away", "datetime-zone") == (
        "30 Nov 2026, 08:30 UTC"
    )
    with pytest.raises(ValueError, match="style"):
        dates.time_tag("2026-11-30T08:30:00Z", "", "fancy")


def test_offset_only_zones_read_as_offsets() -> None:
    # tzdata names some zones by their offset ("+03"): shown as "UTC+03", not a bare number.
    assert dates.show("2026-06-01T12:00:00Z", "Europe/Istanbul", "datetime-zone") == (
        "1 Jun 2026, 15:00 UTC+03"
    )


def test_the_time_zone_setting_takes_iana_names_or_automatic() -> None:
    assert time_zones.check_time_zone(LA) == LA
    assert time_zones.check_time_zone(" Europe/Paris ") == "Europe/Paris"
    assert time_zones.check_time_zone("") == users.TIME_ZONE_AUTOMATIC
    assert LA in time_zones.time_zone_names() and "localtime" not in time_zones.time_zone_names()
    for wrong in ("Mars/Olympus_Mons", "america/los_angeles", "../../etc/passwd", "localtime"):
        with pytest.raises(Invalid) as refused:
            time_zones.check_time_zone(wrong)
        assert refused.value.field == "time_zone"
