"""Time stamps as the database stores them."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def now() -> float:
    return time.time()


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso(moment: float) -> str:
    """A moment of `now()` as `now_iso` writes it (so that a test's frozen clock holds it)."""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse(stamp: str) -> float:
    """The moment of a time stamp `now_iso` or `iso` wrote."""
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


def today(zone_name: str) -> date:
    """The date it is now in the zone called `zone_name` (an IANA name, checked when the
    settings were read); "": the server's own zone."""
    return datetime.fromtimestamp(now(), UTC).astimezone(zone(zone_name)).date()


def zone(zone_name: str) -> tzinfo | None:
    """The zone called `zone_name`; None for "" (astimezone() then reads the server's), UTC
    for a name this server's tz database no longer has: a stored setting never breaks a page
    (a download's date, a daily summary) after an update of the tz database."""
    if not zone_name:
        return None
    try:
        return ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def wall_clock(moment: float, zone_name: str) -> str:
    """The moment as the clock on the wall reads it in the zone called `zone_name` ("": the
    server's own), as text of the shape a date taken without an offset has, with `iso`'s
    fraction: "2024-08-01T00:30:00.000000". Where a photo without a date taken is placed."""
    return local_time(moment, zone_name).strftime("%Y-%m-%dT%H:%M:%S.%f")


def local_time(moment: float, zone_name: str) -> datetime:
    """The moment as the clock on the wall reads it in the zone called `zone_name` ("": the
    server's own), without a zone (what a zip entry's time is)."""
    return datetime.fromtimestamp(moment, UTC).astimezone(zone(zone_name)).replace(tzinfo=None)


def moment_of(wall: datetime, zone_name: str) -> float:
    """The moment a wall-clock time without a zone stands for, read in the zone called
    `zone_name` ("": the server's own); a time the clocks skipped or went through twice is
    read as before the change (fold 0)."""
    found = zone(zone_name)
    return (wall.replace(tzinfo=found) if found else wall).timestamp()


def zone_identity(zone_name: str) -> str:
    """What stays the same while wall-clock times in `zone_name` do: its name, or for the
    server's own zone ("") the rules the process reads (names and offsets, in and out of
    summer time), so that a server moved to another zone is told apart."""
    if zone_name:
        return zone_name
    return f"server {'/'.join(time.tzname)} {time.timezone} {time.altzone}"
