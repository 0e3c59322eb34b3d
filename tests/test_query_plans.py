"""The feed reads the newest rows by id whatever statistics SQLite has gathered: it never sorts
the whole archive (which is what keeps a 100,000-photo feed as fast as a new one's)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import psycopg

from photoarchive.accounts.users import User
from photoarchive.db import Database, PostgresDatabase, migrations
from photoarchive.db.pg_sql import rewrite
from photoarchive.db.sqlite import MAX_ROWID
from photoarchive.library import access, batches, media_lookup, photos

FEED = (
    f"SELECT {photos._PHOTO_COLUMNS} FROM photos p JOIN users u ON u.id = p.owner_id"
    " ORDER BY p.id DESC LIMIT 31"
)


def postgres_schema(url: str) -> None:
    """The app's schema made on the PostgreSQL database at `url` (the app opening it does)."""

    async def run() -> None:
        db = PostgresDatabase(url, 1)
        await db.open()
        await db.close()

    asyncio.run(run())


def open_and_close(path: Path) -> None:
    async def run() -> None:
        db = Database(path, readers=1)
        await db.open()
        await db.close()

    asyncio.run(run())


def test_upgrading_an_analyzed_archive_keeps_the_feed_a_scan_by_id(tmp_path: Path) -> None:
    path = tmp_path / "archive.sqlite3"
    with sqlite3.connect(path) as conn:  # an archive made before the profile-counts index
        for version, sql in migrations():
            if version <= 3:
                conn.executescript(f"{sql}\nPRAGMA user_version = {version};")
        conn.executemany(
            "INSERT INTO users (id, username, username_key, email, email_key, created_at)"
            " VALUES (?, ?, ?, ?, ?, '')",
            [(n, f"u{n}", f"u{n}", f"u{n}@x.org", f"u{n}@x.org") for n in (1, 2)],
        )
        conn.executemany(
            "INSERT INTO photos (owner_id, sha256, bytes, content_type, width, height,"
            " preview_width, created_at) VALUES (?, ?, 1, 'image/jpeg', 1, 1, 1, '')",
            [(1 + n % 2, f"{n:064x}") for n in range(2000)],
        )
        conn.execute("ANALYZE")  # as PRAGMA optimize does, in time
    open_and_close(path)  # the upgrade: migration 0004 and every later one
    with sqlite3.connect(path) as conn:
        plan = " ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {FEED}", [1]))
        counts_plan = " ".join(
            row[3]
            for row in conn.execute(
                "EXPLAIN QUERY PLAN SELECT COUNT(*), SUM(like_count), SUM(comment_count)"
                " FROM photos WHERE owner_id = 1"
            )
        )
    assert "SCAN p" in plan and "TEMP B-TREE" not in plan, plan
    assert "COVERING INDEX photos_owner_counts" in counts_plan, counts_plan


def analyzed_archive(path: Path) -> None:
    """An archive at the current schema, with statistics gathered (as PRAGMA optimize does in
    time): two users, 300 photos, 6,000 comments."""
    open_and_close(path)
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO users (id, username, username_key, email, email_key, created_at)"
            " VALUES (?, ?, ?, ?, ?, '')",
            [(n, f"u{n}", f"u{n}", f"u{n}@x.org", f"u{n}@x.org") for n in (1, 2)],
        )
        conn.executemany(
            "INSERT INTO photos (owner_id, sha256, bytes, content_type, width, height,"
            " preview_width, created_at) VALUES (?, ?, 1, 'image/jpeg', 1, 1, 1, '')",
            [(1 + n % 2, f"{n:064x}") for n in range(300)],
        )
        conn.executemany(
            "INSERT INTO comments (photo_id, author_id, text, created_at) VALUES (?, ?, 'x', '')",
            [(1 + n % 300, 1 + n % 2) for n in range(6000)],
        )
        conn.execute("ANALYZE")


def plan_of(path: Path, sql: str, params: list[object]) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]


def test_a_feed_pages_latest_comments_are_read_photo_by_photo(tmp_path: Path) -> None:
    # Reading every comment to pick each photo's latest cost 13 ms a feed page once SQLite
    # had statistics; each photo's latest from the end of its index entry costs what 30
    # lookups cost, however many comments there are.
    path = tmp_path / "archive.sqlite3"
    analyzed_archive(path)
    plan = plan_of(path, photos.latest_comments_sql(30), [*range(1, 31), photos.LATEST_COMMENTS])
    assert "SCAN page" in plan, plan
    assert "SEARCH c USING INDEX comments_photo (photo_id=? AND id=?)" in plan, plan
    assert "SEARCH comments USING COVERING INDEX comments_photo (photo_id=?)" in plan, plan
    assert not [step for step in plan if step.startswith(("SCAN c", "SCAN comments"))], plan


def test_on_postgresql_a_feed_pages_latest_comments_are_read_photo_by_photo(
    postgres_url: str,
) -> None:
    # Joined on the comment's id alone, PostgreSQL ran the subquery for every comment of the
    # archive against every photo of the page (12 ms a feed page at 450 comments, 13,000 runs,
    # growing with the comments). Old photos gather comments; the page's newest have two each.
    postgres_schema(postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO users (id, username, username_key, email, email_key, created_at)"
            " VALUES (%s, %s, %s, %s, %s, '')",
            [(n, f"u{n}", f"u{n}", f"u{n}@x.org", f"u{n}@x.org") for n in (1, 2)],
        )
        cur.executemany(
            "INSERT INTO photos (id, owner_id, sha256, bytes, content_type, width, height,"
            " preview_width, created_at) VALUES (%s, %s, %s, 1, 'image/jpeg', 1, 1, 1, '')",
            [(n, 1 + n % 2, f"{n:064x}") for n in range(1, 301)],
        )
        cur.executemany(
            "INSERT INTO comments (photo_id, author_id, text, created_at) VALUES (%s, %s, 'x', '')",
            [(31 + n % 270 if n >= 60 else 1 + n % 30, 1 + n % 2) for n in range(6000)],
        )
        cur.execute("ANALYZE")
        sql = rewrite(photos.latest_comments_sql(30), False)
        cur.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", [*range(1, 31), 3])
        plan = cur.fetchone()[0][0]["Plan"]  # type: ignore[index]

    def asked(node: dict[str, Any]) -> int:
        """How often the plan ran its per-photo subquery (the latest few of a photo)."""
        own = node["Actual Loops"] if node.get("Parent Relationship") == "SubPlan" else 0
        return own + sum(asked(child) for child in node.get("Plans", []))

    # At most once per comment of the page's photos (60), never per comment of the archive.
    assert 0 < asked(plan) <= 60, plan


def test_a_media_request_looks_its_session_and_photo_up_by_key(tmp_path: Path) -> None:
    path = tmp_path / "archive.sqlite3"
    analyzed_archive(path)
    plan = plan_of(path, media_lookup.media_lookup_sql(), [b"\0" * 32, "cookie", 7])
    searched = {step.split()[1] for step in plan if step.startswith("SEARCH")}
    # up: the viewer's preferences (their time zone), read with the session; pp, ap, am: what
    # the access decision asks (private? in an album of the viewer's?); ar: archived (a
    # photo's column like any other, one key lookup); tp: in the trash, ro: its rotation, pl,
    # ps: its place and whether its owner shows places (key lookups too).
    tables = {"s", "su", "up", "p", "u", "pp", "ap", "am", "ar", "tp", "ro", "pl", "ps"}
    assert searched == tables, plan
    assert not [step for step in plan if step.split()[1] in tables and step.startswith("SCAN")], (
        plan
    )


def test_a_rendition_request_reads_only_what_decides_and_names_the_file(tmp_path: Path) -> None:
    """The renditions' front door asks the same of the session, and of the photo only what
    access.decide and the file's key ask: no owner's row, place, archive or sharing lookups."""
    path = tmp_path / "archive.sqlite3"
    analyzed_archive(path)
    plan = plan_of(path, media_lookup.rendition_lookup_sql(), [b"\0" * 32, "cookie", 7])
    searched = {step.split()[1] for step in plan if step.startswith("SEARCH")}
    tables = {"s", "su", "up", "p", "pp", "ap", "am", "tp", "ro"}
    assert searched == tables, plan
    assert not [step for step in plan if step.split()[1] in tables and step.startswith("SCAN")], (
        plan
    )


def test_a_feed_page_counts_only_its_own_batches(tmp_path: Path) -> None:
    """The feed's entries (a photo, or a batch at its newest photo) are read newest first by id;
    a batch's totals are counted from the page's batches outwards. Joined the other way round,
    SQLite scanned every photo of the archive for every feed page."""
    path = tmp_path / "archive.sqlite3"
    analyzed_archive(path)
    viewer = access.Viewer(User(1, "u1", "u1@x.org", "", False, False, ""), public_view=False)
    sql, params = batches.feed_sql(viewer, MAX_ROWID, 31)
    plan = plan_of(path, sql, params)
    assert "SEARCH p USING INTEGER PRIMARY KEY (rowid<?)" in plan, plan  # the walk by id
    scans = [step for step in plan if step.startswith("SCAN")]
    assert not [step for step in scans if step.split()[1] in ("p", "q", "x", "photos")], plan


def test_on_postgresql_a_walk_from_a_day_is_planned_for_its_real_length(
    postgres_url: str,
) -> None:
    # Date stamps are text. With ANALYZE's default hundred buckets PostgreSQL placed a day
    # inside the bucket where the month changes as if the stamp's characters were digits, and
    # took the photos from 2024-12-05 on for a handful: it then planned a search page as a
    # loop comparing each of them with every match (18 ms of a page at 100,000 photos). With
    # those buckets this archive's estimate is 2 of some 425; a thousand see it.
    postgres_schema(postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO users (id, username, username_key, email, email_key, created_at)"
            " VALUES (1, 'u1', 'u1', 'u1@x.org', 'u1@x.org', '')"
        )
        # Two years of photos, then a quieter December: the newest of ANALYZE's hundred
        # buckets runs from late November to the end of December.
        photo = (
            "INSERT INTO photos (owner_id, sha256, bytes, content_type, width, height,"
            " preview_width, created_at, taken_at)"
            " SELECT 1, lpad(to_hex(n + %s), 64, '0'), 1, 'image/jpeg', 1, 1, 1, '',"
            "  to_char(%s::timestamp + n * %s::interval, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
            " FROM generate_series(1, %s) AS n"
        )
        cur.execute(photo, [0, "2023-01-01", "17 minutes", 57800])
        cur.execute(photo, [57800, "2024-11-30 15:41", "83 minutes", 500])
        cur.execute("ANALYZE photos")
        since = "2024-12-05"
        walk = "FROM photos WHERE COALESCE(taken_at, created_local, created_at) >= %s"
        cur.execute(f"SELECT COUNT(*) {walk}", [since])
        real = cur.fetchone()[0]  # type: ignore[index]
        cur.execute(f"EXPLAIN (FORMAT JSON) SELECT id {walk}", [since])
        estimate = cur.fetchone()[0][0]["Plan"]["Plan Rows"]  # type: ignore[index]
    assert 400 < real < 600, real
    assert real / 2 < estimate < real * 2, (estimate, real)


def test_on_postgresql_the_apps_statements_are_never_compiled(postgres_url: str) -> None:
    # With some thousands of photos a feed page's estimated cost passes jit_above_cost, and
    # PostgreSQL compiled the statement at every run: ~250 ms of its CPU a page at 20,000
    # photos, for a plan that runs in about one. The app's connections turn JIT off.
    postgres_schema(postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO users (id, username, username_key, email, email_key, created_at)"
            " VALUES (1, 'u1', 'u1', 'u1@x.org', 'u1@x.org', '')"
        )
        conn.execute(
            "INSERT INTO photos (owner_id, sha256, bytes, content_type, width, height,"
            " preview_width, created_at)"
            " SELECT 1, lpad(to_hex(n), 64, '0'), 1, 'image/jpeg', 1, 1, 1, ''"
            " FROM generate_series(1, 20000) AS n"
        )
        conn.execute("ANALYZE")
    viewer = access.Viewer(User(1, "u1", "u1@x.org", "", False, False, ""), public_view=False)
    sql, params = batches.feed_sql(viewer, MAX_ROWID, 31)
    explain = f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}"

    async def through_the_app() -> dict[str, Any]:
        db = PostgresDatabase(postgres_url, 1)
        await db.open()
        try:
            return (await db.fetchall(explain, params))[0][0][0]  # type: ignore[no-any-return]
        finally:
            await db.close()

    assert "JIT" not in asyncio.run(through_the_app())
    # The same statement on a connection of PostgreSQL's defaults is compiled (where this
    # server can compile at all): the archive is large enough for the setting to matter.
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        if conn.execute("SELECT pg_jit_available()").fetchone() == (True,):
            plain = conn.execute(rewrite(explain, False), params).fetchone()
            assert plain is not None and "JIT" in plain[0][0]


def test_on_postgresql_options_in_the_url_are_kept_beside_the_apps_own(postgres_url: str) -> None:
    """`?options=` in PHOTOARCHIVE_DATABASE_URL still reaches the server; where it sets one of
    the app's own settings, it wins."""
    given = "options=-c%20statement_timeout%3D7s%20-c%20max_parallel_workers_per_gather%3D1"
    url = f"{postgres_url}{'&' if '?' in postgres_url else '?'}{given}"

    async def settings() -> list[Any]:
        db = PostgresDatabase(url, 1)
        await db.open()
        try:
            return [
                await db.fetchval(f"SHOW {name}")
                for name in ("statement_timeout", "max_parallel_workers_per_gather", "jit")
            ]
        finally:
            await db.close()

    assert asyncio.run(settings()) == ["7s", "1", "off"]
