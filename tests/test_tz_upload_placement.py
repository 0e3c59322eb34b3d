"""Photos without a date taken are placed by their upload time on the archive's clock
(PHOTOARCHIVE_TIMEZONE), east and west of UTC, around a month's and a year's end: the
timeline's month list and month pages (API and page), and search's month:, year:, after: and
before: (alone and with a word), over HTTP on both engines. An archive whose zone changes
between starts follows it; an archive made before migration 0027 is brought up to date."""

from __future__ import annotations

import asyncio
import io
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from PIL import Image

from photoarchive.accounts import users
from photoarchive.db import pg_migrations, sqlite
from tests.support import (
    FrozenClock,
    LiveServer,
    api_login,
    archive_of,
    browser,
    live_server,
    make_settings,
    parse,
    services,
    sign_up,
    sqlite_only,
    upload_bytes,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

EAST, WEST = "Europe/Paris", "America/New_York"
WORD = "zonetest"
# When each photo is uploaded, on the wall clock of the archive's zone: either side of the
# end of July and of the end of 2024. In Paris "aug" is still 31 July in UTC; in New York
# "jul" is already 1 August in UTC, and "dec" 1 January 2025.
WALL = {
    "jul": datetime(2024, 7, 31, 23, 30),
    "aug": datetime(2024, 8, 1, 0, 30),
    "dec": datetime(2024, 12, 31, 23, 30),
    "jan": datetime(2025, 1, 1, 0, 30),
}


def instant(wall: datetime, zone: str) -> float:
    return wall.replace(tzinfo=ZoneInfo(zone)).timestamp()


def jpeg(shade: int) -> bytes:
    """A small JPEG without any date in it (so placed by its upload), distinct per shade."""
    out = io.BytesIO()
    Image.new("RGB", (24, 24), (shade * 50 % 256, 90, 160)).save(out, "JPEG")
    return out.getvalue()


def upload_at(
    server: LiveServer, clock: FrozenClock, owner: str, moments: dict[str, float]
) -> dict[str, int]:
    """Each photo of `moments` uploaded by `owner` at its moment; their ids."""
    client = api_login(server, owner)
    ids = {}
    for shade, (name, moment) in enumerate(moments.items()):
        clock.moment = moment
        made = upload_bytes(client, f"{name}.jpg", jpeg(shade), caption=f"{WORD} {name}")
        assert made.status_code == 201, made.text
        ids[name] = int(made.json()["items"][0]["id"])
    with server.db() as conn:
        taken = conn.execute("SELECT taken_at FROM photos").fetchall()
    assert [row[0] for row in taken] == [None] * len(moments)  # placed by the upload alone
    return ids


def buckets(client: httpx.Client) -> list[tuple[str, int]]:
    answer = client.get("/api/v1/timeline/buckets")
    assert answer.status_code == 200, answer.text
    return [(item["month"], item["count"]) for item in answer.json()["items"]]


def walk(client: httpx.Client, path: str, **params: str) -> list[int]:
    """Every photo of a list, one a page (so that each cursor is used)."""
    found: list[int] = []
    cursor = None
    while True:
        answer = client.get(
            path, params={**params, "limit": "1", **({"cursor": cursor} if cursor else {})}
        )
        assert answer.status_code == 200, answer.text
        found += [item["id"] for item in answer.json()["items"]]
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return found


def searched(client: httpx.Client, q: str) -> list[int]:
    return walk(client, "/api/v1/search", q=q)


def month_headings(server: LiveServer, viewer: str, month: str) -> list[str]:
    page = browser(server, viewer).get("/timeline", params={"month": month})
    assert page.status_code == 200, page.text
    return [str(li["data-month"]) for li in parse(page.text).find_all("li", class_="grid-month")]


@pytest.fixture(params=[EAST, WEST])
def zone(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def archive(tmp_path: Path, zone: str, frozen_clock: FrozenClock) -> Iterator[LiveServer]:
    with archive_of(tmp_path / "data", ("alice", "bob"), timezone=zone) as server:
        yield server


def test_undated_photos_are_placed_in_the_archives_zone(
    archive: LiveServer, zone: str, frozen_clock: FrozenClock
) -> None:
    ids = upload_at(archive, frozen_clock, "alice", {n: instant(w, zone) for n, w in WALL.items()})
    jul, aug, dec, jan = ids["jul"], ids["aug"], ids["dec"], ids["jan"]
    bob = api_login(archive, "bob")  # another member: alice's family photos, seen by him

    assert buckets(bob) == [("2025-01", 1), ("2024-12", 1), ("2024-08", 1), ("2024-07", 1)]
    assert walk(bob, "/api/v1/timeline") == [jan, dec, aug, jul]
    assert walk(bob, "/api/v1/timeline", month="2024-08") == [aug, jul]
    assert walk(bob, "/api/v1/timeline", month="2024-07") == [jul]
    assert walk(bob, "/api/v1/timeline", month="2024-12") == [dec, aug, jul]
    assert month_headings(archive, "bob", "2025-01") == ["2025-01", "2024-12", "2024-08", "2024-07"]
    assert month_headings(archive, "bob", "2024-08") == ["2024-08", "2024-07"]

    # Each filter alone, and with a word (then search walks its index by day).
    for words in ("", f"{WORD} "):
        assert searched(bob, f"{words}month:2024-08") == [aug]
        assert searched(bob, f"{words}month:2024-07") == [jul]
        assert searched(bob, f"{words}month:2025-01") == [jan]
        assert searched(bob, f"{words}year:2025") == [jan]
        assert searched(bob, f"{words}year:2024") == [dec, aug, jul]
        assert searched(bob, f"{words}after:2024-08-01") == [jan, dec, aug]
        assert searched(bob, f"{words}before:2024-08-01") == [jul]
        assert searched(bob, f"{words}after:2025-01-01") == [jan]
        assert searched(bob, f"{words}before:2025-01-01") == [dec, aug, jul]
        assert searched(bob, f"{words}after:2024-08-01 before:2025-01-01") == [dec, aug]
    assert searched(bob, WORD) == [jan, dec, aug, jul]


def test_stored_days_follow_the_archives_zone_from_one_start_to_the_next(
    tmp_path: Path, frozen_clock: FrozenClock
) -> None:
    data = tmp_path / "data"
    with archive_of(data, ("alice", "bob"), timezone=EAST) as server:
        # Nothing recorded of an archive without photos (`db copy` needs its target empty).
        assert server.count("archive_clock") == 0
        ids = upload_at(
            server, frozen_clock, "alice", {n: instant(w, EAST) for n, w in WALL.items()}
        )
        assert buckets(api_login(server, "bob")) == [
            ("2025-01", 1),
            ("2024-12", 1),
            ("2024-08", 1),
            ("2024-07", 1),
        ]
    # The same archive in New York: Paris's first minutes of August and of 2025 are the
    # evening before there.
    with live_server(make_settings(data, timezone=WEST)) as server:
        bob = api_login(server, "bob")
        assert buckets(bob) == [("2024-12", 2), ("2024-07", 2)]
        assert walk(bob, "/api/v1/timeline", month="2024-07") == [ids["aug"], ids["jul"]]
        assert month_headings(server, "bob", "2024-12") == ["2024-12", "2024-07"]
        assert searched(bob, "month:2024-08") == []
        assert searched(bob, f"{WORD} month:2024-07") == [ids["aug"], ids["jul"]]
        assert searched(bob, f"{WORD} year:2025") == []
        assert searched(bob, f"{WORD} after:2024-12-31") == [ids["jan"], ids["dec"]]
        with server.db() as conn:
            assert [tuple(r) for r in conn.execute("SELECT id, zone FROM archive_clock")] == [
                (1, WEST)
            ]
    with live_server(make_settings(data, timezone=EAST)) as server:  # and back
        bob = api_login(server, "bob")
        assert buckets(bob) == [("2025-01", 1), ("2024-12", 1), ("2024-08", 1), ("2024-07", 1)]
        assert searched(bob, f"{WORD} month:2024-08") == [ids["aug"]]


def _before_0027(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (sqlite, pg_migrations):
        every = list(module.migrations())
        monkeypatch.setattr(
            module, "migrations", lambda every=every: [m for m in every if m[0] < 27]
        )


def test_an_archive_made_before_the_migration_is_placed_in_its_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows as ingest wrote them before 0027 (the upload time in UTC alone), counted and
    indexed by UTC days; brought up to date by the migration and the first start after it."""
    data = tmp_path / "data"
    settings = make_settings(data, timezone=WEST)
    _before_0027(monkeypatch)
    stamps = {
        name: datetime.fromtimestamp(instant(wall, WEST), ZoneInfo("UTC")).strftime(
            "%Y-%m-%dT%H:%M:%S.%fZ"
        )
        for name, wall in WALL.items()
    }

    async def old_archive() -> dict[str, int]:
        async with services(settings) as svc:
            owner = await users.insert(
                svc.db,
                username="ann",
                email="ann@example.org",
                password_hash=None,
                registration="open",
            )
            ids = {}
            for n, (name, stamp) in enumerate(stamps.items()):
                async with svc.db.transaction() as tx:
                    ids[name] = int(
                        await tx.fetchval(
                            "INSERT INTO photos (owner_id, sha256, bytes, content_type, width,"
                            " height, preview_width, caption, created_at) VALUES (?, ?, 1,"
                            " 'image/jpeg', 24, 24, 24, ?, ?) RETURNING id",
                            (owner.id, f"{n + 1:064x}", f"{WORD} {name}", stamp),
                        )
                    )
            return ids

    ids = asyncio.run(old_archive())
    monkeypatch.undo()
    with live_server(settings) as server:
        sign_up(server, "bob")
        bob = api_login(server, "bob")
        assert buckets(bob) == [("2025-01", 1), ("2024-12", 1), ("2024-08", 1), ("2024-07", 1)]
        assert walk(bob, "/api/v1/timeline", month="2024-07") == [ids["jul"]]
        assert searched(bob, f"{WORD} month:2024-07") == [ids["jul"]]
        assert searched(bob, "year:2025") == [ids["jan"]]
        assert searched(bob, f"{WORD} before:2025-01-01") == [ids["dec"], ids["aug"], ids["jul"]]
        with server.db() as conn:
            local = conn.execute("SELECT created_local FROM photos WHERE id = ?", (ids["jul"],))
            assert local.fetchone()[0] == "2024-07-31T23:30:00.000000"


@sqlite_only  # PostgreSQL's migrations are applied once each, recorded in schema_migrations
def test_the_migration_runs_again_on_a_rewound_archive(
    tmp_path: Path, frozen_clock: FrozenClock
) -> None:
    """0023 run again counts and indexes by the expression before 0027; 0027 run again after
    it (its column there already) counts and indexes by its own, and the zone is unchanged,
    so nothing at start moves a photo back."""
    data = tmp_path / "data"
    with archive_of(data, ("alice", "bob"), timezone=EAST) as server:
        ids = upload_at(
            server, frozen_clock, "alice", {n: instant(w, EAST) for n, w in WALL.items()}
        )
        path = server.settings.database_path
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 22")
    with live_server(make_settings(data, timezone=EAST)) as server:
        bob = api_login(server, "bob")
        assert buckets(bob) == [("2025-01", 1), ("2024-12", 1), ("2024-08", 1), ("2024-07", 1)]
        assert searched(bob, f"{WORD} month:2024-08") == [ids["aug"]]
        assert searched(bob, f"{WORD} year:2025") == [ids["jan"]]
        with server.db() as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] >= 27
