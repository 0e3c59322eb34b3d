"""Time stamps as the database stores them."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


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
    moment = datetime.fromtimestamp(now(), UTC)
    return (moment.astimezone(ZoneInfo(zone_name)) if zone_name else moment.astimezone()).date()
