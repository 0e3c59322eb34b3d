"""The timeline and memories on the domain functions, with a real database: months by the
camera's own date (else the upload's), newest first, pages that run on across months, only what
the viewer may see now (private, albums, archived, guests), the month refused when malformed;
memories on today's date in the archive's zone, Feb 29 included."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from photoarchive import clock
from photoarchive.accounts.users import User
from photoarchive.errors import BadRequest, Invalid
from photoarchive.library import (
    album_members,
    album_photos,
    albums,
    archive,
    photos,
    timeline,
    trash,
    visibility,
)
from photoarchive.services import Services
from photoarchive.settings import Settings, SettingsError
from tests.support import FrozenClock, sqlite_only
from tests.test_neighbours import person, scenario
from tests.test_query_plans import analyzed_archive, plan_of

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


async def dated(svc: Services, owner: User, taken: str | None, uploaded: str = "") -> int:
    """A photo row taken at `taken` (as ingest writes it) and uploaded at `uploaded`."""
    async with svc.db.transaction() as tx:
        count = await tx.fetchval("SELECT COUNT(*) FROM photos")
        return int(
            await tx.fetchval(
                "INSERT INTO photos (owner_id, sha256, bytes, content_type, width, height,"
                " preview_width, taken_at, created_at) VALUES (?, ?, 1, 'image/jpeg', 640, 480,"
                " 640, ?, ?) RETURNING id",
                (owner.id, f"{count + 1:064x}", taken, uploaded or "2026-01-01T00:00:00.000000Z"),
            )
        )


async def months(svc: Services, viewer: User | None) -> list[tuple[str, int]]:
    return [(b.month, b.count) for b in await timeline.buckets(svc, viewer)]


async def walk(svc: Services, viewer: User | None, **start: str) -> list[int]:
    """Every photo of the timeline from `start`, two a page."""
    found, cursor = [], None
    while True:
        items, cursor = await timeline.page(svc, viewer, cursor=cursor, limit=2, **start)
        found += [p.id for p in items]
        if cursor is None:
            return found


def test_months_follow_the_cameras_own_date_else_the_upload(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        alice = await person(svc, "alice")
        july = await dated(svc, alice, "2024-07-04T10:00:00")
        # With an offset: still the wall clock where it was taken (not moved into UTC, which
        # would make it 1 August).
        late_july = await dated(svc, alice, "2024-07-31T23:30:00-05:00")
        new_year = await dated(svc, alice, "2024-01-01T00:10:00+09:00")
        undated = await dated(svc, alice, None, "2024-08-02T01:00:00.000000Z")
        assert await months(svc, alice) == [("2024-08", 1), ("2024-07", 2), ("2024-01", 1)]
        assert [b.label for b in await timeline.buckets(svc, alice)][:2] == [
            "August 2024",
            "July 2024",
        ]
        assert await walk(svc, alice) == [undated, late_july, july, new_year]

    scenario(tmp_path, body)


def test_pages_run_on_across_months_and_a_month_is_where_they_start(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        alice = await person(svc, "alice")
        ids = {
            stamp: await dated(svc, alice, stamp)
            for stamp in (
                "2023-03-01T09:00:00",
                "2023-05-10T09:00:00",
                "2023-05-10T09:00:00",  # the same moment: the id breaks the tie
                "2023-05-20T09:00:00",
                "2024-02-01T09:00:00",
            )
        }
        everything = await walk(svc, alice)
        assert len(everything) == len(set(everything)) == 4 + 1
        first, cursor = await timeline.page(svc, alice, limit=2)
        rest, _ = await timeline.page(svc, alice, cursor=cursor, limit=10)
        # Each month's heading goes before its first photo, once, even when a page ends in it.
        heads = timeline.month_starts(first, None, "") | timeline.month_starts(rest, cursor, "")
        assert sorted(heads.values(), reverse=True) == ["2024-02", "2023-05", "2023-03"]
        assert [p.id for p in first + rest] == everything
        may = await walk(svc, alice, month="2023-05")
        assert may == everything[1:]
        assert await walk(svc, alice, month="2023-04") == [ids["2023-03-01T09:00:00"]]
        assert await walk(svc, alice, month="2022-12") == []

    scenario(tmp_path, body)


def test_a_malformed_month_or_cursor_is_refused_by_name(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        for month in (
            "2024-13",
            "2024-7",
            "July 2024",
            "2024-07-01",
            "0000-01",
            "20\u0662\u0664-07",
        ):
            with pytest.raises(Invalid) as refused:
                await timeline.page(svc, None, month=month)
            assert refused.value.field == "month"
        with pytest.raises(BadRequest) as bad:
            await timeline.page(svc, None, cursor="not a cursor")
        assert bad.value.field == "cursor"

    scenario(tmp_path, body)


def test_only_what_the_viewer_may_see_now_is_listed_or_counted(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        alice, bob, carol = [await person(svc, name) for name in ("alice", "bob", "carol")]
        family = await dated(svc, alice, "2024-07-01T10:00:00")
        private = await dated(svc, alice, "2024-07-02T10:00:00")
        shared = await dated(svc, alice, "2024-06-02T10:00:00")
        archived = await dated(svc, alice, "2024-05-02T10:00:00")
        for photo_id in (private, shared):
            await visibility.set_visibility(svc, alice, photo_id, "private")
        await archive.set_archived(svc, alice, archived, True)
        album = await albums.create(svc, alice, "trip")
        await album_photos.add(svc, album, alice, [shared])
        await album_members.set_member(svc, alice, album.id, "bob", "viewer")
        assert await months(svc, alice) == [("2024-07", 2), ("2024-06", 1)]
        assert await walk(svc, alice) == [private, family, shared]
        assert await months(svc, bob) == [("2024-07", 1), ("2024-06", 1)]
        assert await walk(svc, bob) == [family, shared]
        assert await months(svc, carol) == [("2024-07", 1)]
        assert await walk(svc, None) == [family]  # a guest (under public view): family only
        # The list is counted anew after any change: never a count from before it.
        await visibility.set_visibility(svc, alice, family, "private")
        assert await months(svc, carol) == []
        await archive.set_archived(svc, alice, archived, False)
        assert await months(svc, carol) == [("2024-05", 1)]
        # A photo in its owner's trash is gone for everyone, the owner too, memories included.
        await trash.move(svc, alice, archived)
        assert await months(svc, carol) == [] and await walk(svc, alice) == [
            private,
            family,
            shared,
        ]
        assert await timeline.memories(svc, alice, date(2025, 5, 2)) == []

    scenario(tmp_path, body)


def at(moment: str) -> float:
    return datetime.fromisoformat(moment).replace(tzinfo=UTC).timestamp()


def test_today_is_the_archives_zone_and_memories_are_earlier_years_of_it(
    tmp_path: Path, frozen_clock: FrozenClock
) -> None:
    frozen_clock.moment = at("2026-07-04T03:00:00")  # 3 July, 20:00 in Los Angeles
    assert clock.today("Europe/Berlin") == date(2026, 7, 4)
    assert clock.today("America/Los_Angeles") == date(2026, 7, 3)

    async def body(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        last_year = await dated(svc, alice, "2025-07-04T08:00:00")
        # The camera's own date, offset or not: 4 July where it was taken.
        offset = await dated(svc, alice, "2020-07-04T23:30:00+09:00")
        also_2020 = await dated(svc, alice, "2020-07-04T06:00:00")
        await dated(svc, alice, "2026-07-04T01:00:00")  # this year: not a memory
        await dated(svc, alice, "2024-07-05T01:00:00")
        await dated(svc, alice, None, "2024-07-04T10:00:00.000000Z")  # no date taken
        hidden = await dated(svc, alice, "2023-07-04T10:00:00")
        await visibility.set_visibility(svc, alice, hidden, "private")
        found = await timeline.memories(svc, bob, clock.today(svc.settings.timezone))
        assert [(m.years_ago, [p.id for p in m.photos]) for m in found] == [
            (1, [last_year]),
            (6, [offset, also_2020]),
        ]
        mine = await timeline.memories(svc, alice, date(2026, 7, 4))
        assert [m.years_ago for m in mine] == [1, 3, 6]
        assert await timeline.memories(svc, bob, date(2026, 7, 3)) == []

    scenario(tmp_path, body, timezone="Europe/Berlin")


def test_feb_29_comes_back_on_feb_28_when_a_year_has_none(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        alice = await person(svc, "alice")
        leap = await dated(svc, alice, "2024-02-29T12:00:00")
        eve = await dated(svc, alice, "2025-02-28T12:00:00")

        async def remembered(today: date) -> list[int]:
            found = await timeline.memories(svc, alice, today)
            return [p.id for memory in found for p in memory.photos]

        assert await remembered(date(2027, 2, 28)) == [eve, leap]  # 2027 has no 29th
        assert await remembered(date(2028, 2, 28)) == [eve]  # 2028 has one of its own
        assert await remembered(date(2028, 2, 29)) == [leap]
        assert await remembered(date(2027, 3, 1)) == []
        assert await remembered(date(2100, 2, 28)) == [eve, leap]  # 2100 is not a leap year

    scenario(tmp_path, body)


def test_the_time_zone_setting_is_an_iana_name_checked_at_start() -> None:
    assert Settings.from_env({}).timezone == ""  # the server's own zone
    zone = Settings.from_env({"PHOTOARCHIVE_TIMEZONE": "America/Sao_Paulo"}).timezone
    assert zone == "America/Sao_Paulo"
    for wrong in ("Mars/Olympus", "CEST", "../etc/passwd"):
        with pytest.raises(SettingsError, match="PHOTOARCHIVE_TIMEZONE"):
            Settings.from_env({"PHOTOARCHIVE_TIMEZONE": wrong})


@sqlite_only  # SQLite's query planner, on a file of its own
def test_a_month_is_read_down_its_index_and_the_months_counted_from_theirs(
    tmp_path: Path,
) -> None:
    """Pages start at a month and go on by an index range (never sorting the archive); the
    month list reads kept counts, not the photos; memories look the day up."""
    path = tmp_path / "archive.sqlite3"
    analyzed_archive(path)
    with sqlite3.connect(path) as conn:  # dates taken over a year, one in ten without one
        conn.execute(
            "UPDATE photos SET taken_at = CASE WHEN id % 10 = 0 THEN NULL"
            " ELSE printf('2024-%02d-%02dT10:00:00', id % 12 + 1, id % 28 + 1) END"
        )
        conn.execute("ANALYZE")
    alice = User(1, "u1", "u1@x.org", "", False, False, "")
    where, params = timeline.condition(alice)
    key = timeline.KEY
    page = (
        f"SELECT {photos.PHOTO_COLUMNS}, {key} FROM photos p JOIN users u ON u.id = p.owner_id"
        f" WHERE {where} AND {key} < ? AND {key} <= ? AND ({key} < ? OR p.id < ?)"
        f" ORDER BY {key} DESC, p.id DESC LIMIT 31"
    )
    plan = plan_of(path, page, [1, *params, "2024-08", "2024-07-09", "2024-07-09", 9])
    assert "SEARCH p USING INDEX photos_timeline (<expr><?)" in plan, plan
    assert not [step for step in plan if "TEMP B-TREE" in step or step.startswith("SCAN")], plan
    # The months: kept counts, and only the photos of the viewer's albums looked up by id.
    months = plan_of(path, *timeline.months_sql(alice))
    assert not [step for step in months if step.startswith("SCAN p")], months
    assert "SEARCH p USING INTEGER PRIMARY KEY (rowid=?)" in months, months
    day = plan_of(
        path,
        f"SELECT p.id FROM photos p WHERE substr(p.taken_at, 6, 5) IN (?, ?) AND {where}",
        ["07-04", "02-29", *params],
    )
    assert "SEARCH p USING INDEX photos_taken_day (<expr>=?)" in day, day


def test_a_stamp_of_another_shape_is_shown_as_it_is() -> None:
    assert timeline.month_label("2024-07") == "July 2024"
    assert timeline.month_label("1999-12") == "December 1999"
    assert timeline.month_label("garbage") == "garbage"
    assert [timeline.month_after(m) for m in ("2024-07", "2024-12")] == ["2024-08", "2025-01"]


@sqlite_only  # the kept month lists are SQLite's (PostgreSQL counts every time)
def test_a_count_made_while_a_commit_came_between_is_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bob counts his months; while he counts, Alice makes a photo private and another request
    starts the lists of the newer data. Bob's count, of the older data, must not be kept
    among the newer lists: the next one to ask would see the private photo counted."""

    async def body(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        hidden = await dated(svc, alice, "2024-05-01T10:00:00")
        await dated(svc, alice, "2024-05-02T10:00:00")
        counting = timeline.count_months
        raced: list[bool] = []

        async def while_alice_hides_one(svc: Services, viewer: User | None) -> object:
            found = await counting(svc, viewer)
            if viewer is not None and viewer.id == bob.id and not raced:
                raced.append(True)
                await visibility.set_visibility(svc, alice, hidden, "private")
                await months(svc, alice)  # any request, after the commit
            return found

        monkeypatch.setattr(timeline, "count_months", while_alice_hides_one)
        assert await months(svc, bob) == [("2024-05", 2)]  # counted before it was hidden
        assert raced
        assert await months(svc, bob) == [("2024-05", 1)]

    scenario(tmp_path, body)
