"""Dates and times as a person reads them, in the zone that is theirs.

Two kinds of time stamp reach the pages, and they are shown differently:

- An *instant*: an upload, a comment, a sign-in, a link's expiry. The database keeps these in
  UTC (ISO text ending in `Z` or an offset, or seconds since the epoch). They are shown in the
  viewer's zone, with the zone's abbreviation where the time of day matters (`time_tag`).
- *When a photo was taken*: the time on the clock where it was taken. Most cameras record
  only that (DateTimeOriginal, no offset); some add the offset (OffsetTimeOriginal), and an
  imported file without a camera date is dated in the archive's zone with its offset. It is
  shown as that clock read, never shifted into the viewer's zone, with the offset when there
  is one and the time of day matters ("1 Jul 2024, 01:00 UTC+02:00") (`taken_tag`). The
  timeline, memories and search place a photo by the same clock, so a photo of a trip reads
  the day it is filed under, wherever the viewer is.

Both render as `<time datetime="...">`. For an instant under an automatic zone setting the
text is in UTC and the element says `data-local`, so that app.js rewrites it in the browser's
zone; with a zone chosen on /settings the text is in that zone and the script leaves it alone.
A taken time is never marked for the script.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import Markup, escape

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# How much of a stamp is shown: "date" (a card), "datetime", or "datetime-zone" (the time of
# day, and the zone it is in when it is an instant).
STYLES = ("date", "datetime", "datetime-zone")


def parse(stamp: str | float | None) -> datetime | None:
    """The moment a stored stamp stands for: aware for an instant, naive for a wall-clock
    time; None for nothing or for text that is not a date."""
    if stamp is None or stamp == "":
        return None
    if isinstance(stamp, int | float):
        try:
            return datetime.fromtimestamp(stamp, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        return datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return None


@lru_cache(maxsize=64)
def zone(name: str) -> tzinfo:
    """The zone called `name`; UTC for automatic (""), and for a name this server's tz database
    no longer has (a stored setting must never break a page)."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def zone_label(moment: datetime) -> str:
    """The zone's abbreviation (PDT, CET, UTC); a bare offset reads as one: "+03" -> "UTC+03"."""
    label = moment.tzname() or ""
    return f"UTC{label}" if label[:1] in "+-" else label


def machine(moment: datetime) -> str:
    """The `datetime` attribute: a stamp as it was stored, an instant with its offset (UTC as
    `Z`), a wall-clock time without one (HTML's "local date and time"). Whole seconds: HTML
    allows at most three digits of fraction."""
    text = moment.replace(microsecond=0).isoformat()
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def human(moment: datetime, style: str = "datetime") -> str:
    """`moment` as people read it, in the zone it carries: "30 May 2008", "30 May 2008, 15:56",
    "30 Nov 2026, 00:30 PST". A wall-clock time never gets a zone: it has none."""
    text = f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"
    if style != "date":
        text += f", {moment.hour:02d}:{moment.minute:02d}"
    if style == "datetime-zone" and moment.tzinfo is not None:
        text += f" {zone_label(moment)}"
    return text


def show(stamp: str | float | None, zone_name: str = "", style: str = "datetime") -> str:
    """A stored stamp as text for a viewer whose zone is `zone_name` ("" : UTC)."""
    moment = parse(stamp)
    if moment is None:
        return "" if stamp is None else str(stamp)
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(zone(zone_name))
        except OverflowError:  # near the calendar's end, past it in this zone: told in UTC
            moment = moment.astimezone(UTC)
    return human(moment, style)


def _tag(moment: datetime, text: str, attributes: str = "") -> Markup:
    return Markup(  # noqa: S704 - every part is a formatted number, a fixed word or escaped
        f'<time datetime="{machine(moment)}"{attributes}>{escape(text)}</time>'
    )


@lru_cache(maxsize=8192)  # a feed shows the same few hundred stamps again and again
def time_tag(stamp: str | float | None, zone_name: str = "", style: str = "datetime") -> Markup:
    """`<time>` for a stored stamp, for a viewer whose zone is `zone_name` ("": automatic)."""
    if style not in STYLES:
        raise ValueError(f"unknown date style {style!r}")
    moment = parse(stamp)
    if moment is None:
        return Markup("") if stamp is None else escape(str(stamp))
    local = moment.tzinfo is not None and not zone_name
    return _tag(moment, show(stamp, zone_name, style), f' data-local="{style}"' if local else "")


@lru_cache(maxsize=8192)
def taken_tag(stamp: str | None, style: str = "datetime") -> Markup:
    """`<time>` for when a photo was taken: the clock where it was taken, whoever looks."""
    if style not in STYLES:
        raise ValueError(f"unknown date style {style!r}")
    moment = parse(stamp)
    if moment is None:
        return Markup("") if stamp is None else escape(str(stamp))
    return _tag(moment, human(moment, style))
