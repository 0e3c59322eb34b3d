"""The timeline: the photos a viewer may see, by the month they were taken, newest first; and
memories, the photos taken on today's date in earlier years.

A photo's month is the leading `YYYY-MM` of its date taken as the camera wrote it: the wall
clock where it was taken, which is what a person means by "July 2024" (a stamp with an offset is
not moved into anybody's zone: see web/dates.py). A photo without a date taken goes by its
upload time on the archive's clock (library/upload_clock.py): it sits in the month it was
uploaded in the archive's zone (PHOTOARCHIVE_TIMEZONE). The list is one keyset
over (that stamp, photo id), so a page may end in one month and the next begin in it; starting
at a month is starting at its newest photo and carrying on into older ones.

Every read asks access.visible_sql, and leaves out archived photos as the feed does
(photos.not_archived). No HTTP here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from weakref import WeakKeyDictionary

from photoarchive import clock
from photoarchive.accounts import time_zones, users
from photoarchive.accounts.users import User
from photoarchive.db import Backend
from photoarchive.errors import Invalid
from photoarchive.library import access, cursors, photos, upload_clock
from photoarchive.library.photos import Photo
from photoarchive.services import Services

MONTH_RE = re.compile(r"(?:1[89]|2[0-2])[0-9][0-9]-(?:0[1-9]|1[0-2])")  # ASCII digits alone
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
MEMORIES_MAX = 30  # photos in the memories strip, the most recent years first

# The stamp a photo is placed by (migration 0027 indexes it), and its month (0027's triggers
# count by it): its date taken, else its upload time on the archive's clock (created_local),
# else (not worked out yet) its upload time in UTC.
KEY = "COALESCE(p.taken_at, p.created_local, p.created_at)"
MONTH = f"substr({KEY}, 1, 7)"
_DAY = "substr(p.taken_at, 6, 5)"  # "07-04" of a date taken


@dataclass(frozen=True, slots=True)
class Bucket:
    month: str  # "2024-07"
    count: int

    @property
    def year(self) -> str:
        return self.month[:4]

    @property
    def label(self) -> str:
        return month_label(self.month)


@dataclass(frozen=True, slots=True)
class Memory:
    years_ago: int
    photos: list[Photo]


def month_label(month: str) -> str:
    """ "2024-07" as people say it: "July 2024" (a stamp of some other shape, as it is)."""
    if not MONTH_RE.fullmatch(month):
        return month
    return f"{MONTH_NAMES[int(month[5:7]) - 1]} {month[:4]}"


def month_of(photo: Photo, zone_name: str) -> str:
    """The month the timeline places `photo` in, in an archive whose zone is `zone_name`."""
    if photo.taken_at:
        return photo.taken_at[:7]
    moment = upload_clock.moment(photo.created_at)
    return (photo.created_at if moment is None else upload_clock.local(moment, zone_name))[:7]


def check_month(month: str | None) -> str | None:
    """None for no month; Invalid (naming the field) for anything but `YYYY-MM`."""
    if month in (None, ""):
        return None
    if not isinstance(month, str) or not MONTH_RE.fullmatch(month):
        raise Invalid("month must be a year and month, such as 2024-07.", field="month")
    return month


def month_after(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + 1:04d}-01" if number == 12 else f"{year:04d}-{number + 1:02d}"


def condition(viewer: User | None) -> tuple[str, list[object]]:
    # Reading was allowed before (access.may_read_archive), as for the feed.
    visible, params = access.visible_sql(access.Viewer(viewer, public_view=True))
    return f"{visible} AND {photos.not_archived('p')}", params


class _Kept:
    """Month lists counted while the database was at `version` (Backend.data_version)."""

    def __init__(self) -> None:
        self.version: int | None = None
        self.lists: dict[tuple[str, tuple[object, ...]], list[Bucket]] = {}


# A list is kept per database for as long as nothing at all has been committed since it was
# counted, under the very condition and parameters access.visible_sql gave: it is then the
# answer counting would give again, the same question of the same data.
_kept: WeakKeyDictionary[Backend, _Kept] = WeakKeyDictionary()
_KEPT_MAX = 256  # viewers' lists kept per database version


async def buckets(svc: Services, viewer: User | None) -> list[Bucket]:
    """Each month that holds photos `viewer` may see now, newest first, with how many."""
    where, params = condition(viewer)
    version = svc.db.data_version()  # read before counting: a commit meanwhile changes it
    kept = _kept.setdefault(svc.db, _Kept())
    if version is None or kept.version != version:
        kept.version = version
        kept.lists.clear()
    key = (where, tuple(params))
    if version is not None and key in kept.lists:
        return list(kept.lists[key])
    found = await count_months(svc, viewer)
    # Kept only if nothing was committed while counting: another request may have seen that
    # commit and started the lists of the newer version, where this older count has no place.
    current = version is not None and kept.version == version == svc.db.data_version()
    if current and len(kept.lists) < _KEPT_MAX:
        kept.lists[key] = found
    return list(found)


# The months of the photos a viewer sees only as a member of an album holding them: others'
# private photos (the viewer's own and every family photo are in the kept counts).
_SHARED = (  # a fixed expression; the viewer's id is bound
    f"SELECT {MONTH}, 1 FROM photos p WHERE p.id IN (SELECT ap.photo_id FROM album_members am"  # noqa: S608
    " JOIN album_photos ap ON ap.album_id = am.album_id WHERE am.user_id = ?)"
    " AND p.owner_id <> ? AND EXISTS (SELECT 1 FROM private_photos pp WHERE pp.photo_id = p.id)"
)


def months_sql(viewer: User | None) -> tuple[str, list[object]]:
    """The query of `count_months`, and its parameters."""
    account = access.Viewer(viewer, public_view=True).account
    if account is None:  # family photos alone (access.visible_sql for a guest)
        return "SELECT month, photos FROM family_months WHERE photos > 0 ORDER BY month DESC", []
    where, params = condition(viewer)
    # Fixed expressions and a condition from access.visible_sql; every value is bound.
    sql = (
        "SELECT month, SUM(photos) FROM (SELECT month, photos FROM family_months"  # noqa: S608
        " UNION ALL SELECT month, photos FROM private_months WHERE owner_id = ?"
        f" UNION ALL {_SHARED} AND {where}) m"
        " GROUP BY month HAVING SUM(photos) > 0 ORDER BY month DESC"
    )
    return sql, [account.id, account.id, account.id, *params]


async def count_months(svc: Services, viewer: User | None) -> list[Bucket]:
    """The month list of `viewer`, counted afresh: `condition(viewer)`'s photos by month, from
    the counts migration 0023 keeps in step with every write (family photos by month, private
    ones by owner and month: neither trashed nor archived), and the private photos of others
    the viewer sees through an album, read under the condition itself. A test holds this to
    counting `condition` over the photos for every kind of viewer."""
    sql, params = months_sql(viewer)
    return [Bucket(row[0], row[1]) for row in await svc.db.fetchall(sql, params) if row[0]]


async def page(
    svc: Services,
    viewer: User | None,
    *,
    month: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> tuple[list[Photo], str | None]:
    """One page of the timeline, newest first: from the start, from the newest photo of
    `month` (then on into older months), or after `cursor` (a page's `next_cursor`)."""
    size = photos.check_limit(limit)
    start = check_month(month)
    after = cursors.decode(cursor)
    where, params = condition(viewer)
    # Fixed column lists and expressions, a condition from access.visible_sql; values bound.
    sql = (
        f"SELECT {photos.PHOTO_COLUMNS}, {KEY} FROM photos p"  # noqa: S608
        f" JOIN users u ON u.id = p.owner_id WHERE {where}"
    )
    params = [*photos.reading_for(viewer), *params]
    if start is not None:
        sql += f" AND {KEY} < ?"
        params.append(month_after(start))
    if after is not None:
        # A range on the key (walked down its index), then the tie broken by id.
        sql += f" AND {KEY} <= ? AND ({KEY} < ? OR p.id < ?)"
        params += [after[0], after[0], after[1]]
    sql += f" ORDER BY {KEY} DESC, p.id DESC LIMIT ?"
    rows = await svc.db.fetchall(sql, [*params, size + 1])
    items = [photos.from_row(list(row)[:-1], viewer) for row in rows[:size]]
    next_cursor = cursors.encode(rows[size - 1][-1], items[-1].id) if len(rows) > size else None
    await photos.decorate(svc, items, viewer, with_comments=False)
    return items, next_cursor


def month_starts(items: list[Photo], cursor: str | None, zone_name: str) -> dict[int, str]:
    """The photos of a page that begin a month (by id, with the month): the first of the page
    too, unless the page before it ended in the same month. `zone_name`: the archive's."""
    after = cursors.decode(cursor)
    previous = after[0][:7] if after is not None else None
    starts = {}
    for photo in items:
        month = month_of(photo, zone_name)
        if month != previous:
            starts[photo.id] = month
        previous = month
    return starts


def _days(today: date) -> list[str]:
    """The `MM-DD` a date taken must have to be remembered today: today's; on 28 February of a
    year without a 29th, the 29th's too (those photos would otherwise never come back)."""
    days = [f"{today.month:02d}-{today.day:02d}"]
    leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
    if (today.month, today.day) == (2, 28) and not leap:
        days.append("02-29")
    return days


async def memories(
    svc: Services, viewer: User | None, today: date, *, with_marks: bool = True
) -> list[Memory]:
    """The photos `viewer` may see that were taken on `today`'s month and day in an earlier
    year (by the camera's own date, as the timeline reads it), grouped by how many years ago,
    the most recent year first; at most MEMORIES_MAX photos. Without `with_marks`, the
    viewer's likes and favorites are not read (a strip of thumbnails shows neither, and the
    feed then costs the same query count whatever the date)."""
    where, params = condition(viewer)
    days = _days(today)
    marks = ", ".join("?" for _ in days)
    rows = await svc.db.fetchall(
        # Fixed column lists and expressions, a condition from access.visible_sql; values bound.
        f"SELECT {photos.PHOTO_COLUMNS} FROM photos p JOIN users u ON u.id = p.owner_id"  # noqa: S608
        f" WHERE {_DAY} IN ({marks}) AND p.taken_at < ? AND {where}"
        " ORDER BY p.taken_at DESC, p.id DESC LIMIT ?",
        [*photos.reading_for(viewer), *days, f"{today.year:04d}", *params, MEMORIES_MAX],
    )
    found: dict[int, list[Photo]] = {}
    for row in rows:
        photo = photos.from_row(row, viewer)
        year = (photo.taken_at or "")[:4]
        if not year.isdigit():  # not a date as ingest writes them: nothing to count from
            continue
        years = today.year - int(year)
        found.setdefault(years, []).append(photo)
    if with_marks:
        shown = [photo for group in found.values() for photo in group]
        await photos.decorate(svc, shown, viewer, with_comments=False)
    return [Memory(years, group) for years, group in found.items()]


async def memories_today(
    svc: Services, viewer: User | None, *, with_marks: bool = True
) -> list[Memory]:
    """`memories` of today in the viewer's zone (their setting), else the archive's
    (PHOTOARCHIVE_TIMEZONE)."""
    chosen = viewer.time_zone if viewer is not None else users.TIME_ZONE_AUTOMATIC
    today = clock.today(time_zones.zone_of_days(chosen, svc.settings.timezone))
    return await memories(svc, viewer, today, with_marks=with_marks)
