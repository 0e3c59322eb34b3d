"""A person's time zone: the setting on /settings (an IANA name, or automatic: then their
browser's, which the pages read), and the zone their days are counted in."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from photoarchive.accounts.users import TIME_ZONE_AUTOMATIC, User
from photoarchive.db import Backend, Reader
from photoarchive.errors import Invalid


@lru_cache(maxsize=1)
def time_zone_names() -> tuple[str, ...]:
    """The zones a person may choose, sorted: the tz database's names, without the entries
    that are no IANA zone ('localtime' is whatever this server's clock is set to)."""
    return tuple(sorted(zoneinfo.available_timezones() - {"localtime", "posixrules", "Factory"}))


def check_time_zone(name: str) -> str:
    if not isinstance(name, str):
        raise Invalid("The time zone must be text.", field="time_zone")
    name = name.strip()
    if name != TIME_ZONE_AUTOMATIC and name not in time_zone_names():
        raise Invalid(
            "That is not a time zone this archive knows: choose one from the list, or Automatic.",
            field="time_zone",
        )
    return name


async def set_time_zone(db: Backend, user: User, name: str) -> str:
    """Store the person's time zone setting (an IANA name, or automatic); returns it as stored."""
    name = check_time_zone(name)
    await db.execute(
        "INSERT INTO user_preferences (user_id, time_zone) VALUES (?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET time_zone = excluded.time_zone",
        (user.id, name),
    )
    return name


async def time_zone_of(db: Reader, user_id: int) -> str:
    """The person's time zone setting (TIME_ZONE_AUTOMATIC when none is stored), for an
    account read without its session (whose User carries it already)."""
    stored = await db.fetchval(
        "SELECT time_zone FROM user_preferences WHERE user_id = ?", (user_id,)
    )
    return str(stored) if stored else TIME_ZONE_AUTOMATIC


def zone_of_days(time_zone: str, archive_zone: str) -> str:
    """The zone whose calendar a person's "today" and "yesterday" are read in: the one they
    chose on /settings, else (automatic: only their browser knows it) the archive's."""
    return time_zone or archive_zone
