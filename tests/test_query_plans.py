"""The feed reads the newest rows by id whatever statistics SQLite has gathered: it never sorts
the whole archive (which is what keeps a 100,000-photo feed as fast as a new one's)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from photoarchive.db import Database, migrations
from photoarchive.library import photos

FEED = (
    f"SELECT {photos._PHOTO_COLUMNS} FROM photos p JOIN users u ON u.id = p.owner_id"
    " ORDER BY p.id DESC LIMIT 31"
)


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
        plan = " ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {FEED}"))
        counts_plan = " ".join(
            row[3]
            for row in conn.execute(
                "EXPLAIN QUERY PLAN SELECT COUNT(*), SUM(like_count), SUM(comment_count)"
                " FROM photos WHERE owner_id = 1"
            )
        )
    assert "SCAN p" in plan and "TEMP B-TREE" not in plan, plan
    assert "COVERING INDEX photos_owner_counts" in counts_plan, counts_plan
