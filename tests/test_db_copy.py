"""`photoarchive db copy`: an archive made through the app, copied from SQLite to PostgreSQL and
back, then served from the copy: the same answers, the same files, and new rows get new ids."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from photoarchive.db import Database, PostgresDatabase
from photoarchive.ops.db_copy import BATCH_ROWS, CopyError, copy_database
from photoarchive.settings import Settings
from tests.archives import TABLES, answers, client, make_archive
from tests.processes import distinct_jpeg, run_cli
from tests.support import live_server, make_settings, sign_up, upload_bytes


def analyzed_since(url: str, sqlite_file: Path, moment: datetime) -> set[str]:
    """The tables whose statistics were gathered by hand since `moment`: not by the engine's
    own background work."""
    if url.startswith("postgresql"):
        with psycopg.connect(url) as conn:
            rows = conn.execute(
                "SELECT relname FROM pg_stat_user_tables WHERE last_analyze >= %s", (moment,)
            ).fetchall()
        return {row[0] for row in rows}
    with sqlite3.connect(sqlite_file) as conn:
        return {row[0] for row in conn.execute("SELECT tbl FROM sqlite_stat1")}


def copy(data_dir: Path, *args: str, database_url: str = "") -> Any:
    if database_url:
        return run_cli(data_dir, "db", "copy", *args, PHOTOARCHIVE_DATABASE_URL=database_url)
    return run_cli(data_dir, "db", "copy", *args)


@pytest.mark.parametrize("direction", ["sqlite to postgresql", "postgresql to sqlite"])
def test_an_archive_copied_to_the_other_engine_answers_the_same(
    tmp_path: Path, postgres_url: str, direction: str
) -> None:
    data = tmp_path / "data"
    sqlite_file = tmp_path / "copied" / "archive.sqlite3"
    if direction == "sqlite to postgresql":
        source, target_url, configured = make_settings(data), postgres_url, ""
    else:
        source, target_url = (
            make_settings(data, database_url=postgres_url),
            f"sqlite://{sqlite_file}",
        )
        configured = postgres_url
    with live_server(source) as server:
        archive = make_archive(server)
        before = answers(server, archive)
    first, second, third = archive.photos[:3]
    # Found by caption and by a comment; the private one through the album Bob is in.
    assert before["search"] == {
        "garden": [second],
        "green": [first],
        "lake": [first],
        "rain": [third],
    }

    started = datetime.now(UTC)
    done = copy(data, "--to", target_url, database_url=configured)
    assert done.returncode == 0, done.stderr
    assert "Every table's row count matches" in done.stdout
    # The target's planner has statistics of every table it was given: without them the
    # first pages of the copy were planned blind (thirty times slower on PostgreSQL).
    assert set(TABLES) <= analyzed_since(target_url, sqlite_file, started)
    reported = {
        line.split()[0]: line.split()[1] for line in done.stdout.splitlines()[1:] if "rows" in line
    }
    assert {t: int(reported[t]) for t in TABLES} == archive.counts
    assert "pg-Secret" not in done.stdout + done.stderr  # the URL's password is never shown

    copied: Settings = make_settings(data, database_url=target_url)
    with live_server(copied) as server:
        assert answers(server, archive) == before
        # New rows get ids of their own: the sequences were moved past the copied ones.
        bob = client(server, archive, "bob")
        said = bob.post(f"/api/v1/photos/{archive.photos[0]}/comments", json={"text": "again"})
        assert said.status_code == 201, said.text
        made = upload_bytes(client(server, archive, "alice"), "new.jpg", distinct_jpeg())
        assert made.status_code == 201, made.text
        assert made.json()["items"][0]["id"] > max(archive.photos)
        assert sign_up(server, "carol")
        assert server.count("users") == 3


def test_a_target_that_holds_records_is_refused(tmp_path: Path, postgres_url: str) -> None:
    data = tmp_path / "data"
    with live_server(make_settings(data)) as server:
        archive = make_archive(server)
    assert copy(data, "--to", postgres_url).returncode == 0

    again = copy(data, "--to", postgres_url)
    assert again.returncode == 2
    assert "is not empty" in again.stderr and "users" in again.stderr
    assert "pg-Secret" not in again.stderr
    # Into the archive's own database, which holds records: refused the same way.
    back = copy(data, "--from", postgres_url)
    assert back.returncode == 2 and "is not empty" in back.stderr
    with live_server(make_settings(data, database_url=postgres_url)) as server:
        assert server.count("photos") == archive.counts["photos"]  # nothing added twice
        assert server.count("comments") == archive.counts["comments"]


def test_copying_into_an_empty_data_dir_brings_the_archive_home(
    tmp_path: Path, postgres_url: str
) -> None:
    """`--from` PostgreSQL into a data dir with no database yet: the one-box archive again."""
    data = tmp_path / "data"
    with live_server(make_settings(data, database_url=postgres_url)) as server:
        archive = make_archive(server)
        before = answers(server, archive)
    done = copy(data, "--from", postgres_url)
    assert done.returncode == 0, done.stderr
    with live_server(make_settings(data)) as server:
        assert answers(server, archive) == before


def test_a_wrong_url_or_the_same_database_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with live_server(make_settings(data)) as server:
        make_archive(server)
    same = copy(data, "--to", f"sqlite://{data / 'photoarchive.sqlite3'}")
    assert same.returncode == 2 and "the same database" in same.stderr
    wrong = copy(data, "--to", "mysql://x@db/photos")
    assert (
        wrong.returncode == 2 and "--to must start with sqlite:// or postgresql://" in wrong.stderr
    )
    missing = copy(data, "--from", f"sqlite://{tmp_path / 'none.sqlite3'}")
    assert missing.returncode == 2 and "no SQLite database" in missing.stderr
    assert not (tmp_path / "none.sqlite3").exists()


# --- the copy itself, on the library function -----------------------------------------------


def test_rows_past_one_batch_and_derived_tables(tmp_path: Path, postgres_url: str) -> None:
    """Several batches per table, walked by a composite key too; a full-text table (virtual,
    with shadow tables) is left to the target, which rebuilds it with its own trigger."""
    rows = BATCH_ROWS * 2 + 7

    async def scenario() -> None:
        source = Database(tmp_path / "source.sqlite3")
        middle = PostgresDatabase(postgres_url, 2)
        home = Database(tmp_path / "home.sqlite3")
        for db in (source, middle, home):
            await db.open()
        try:
            async with source.transaction() as tx:
                owner = await tx.fetchval(
                    "INSERT INTO users (username, username_key, email, email_key, created_at)"
                    " VALUES ('a', 'a', 'a@x', 'a@x', 'now') RETURNING id"
                )
                for n in range(rows):
                    await tx.execute(
                        "INSERT INTO photos (owner_id, sha256, bytes, content_type, width,"
                        " height, preview_width, created_at, caption) VALUES"
                        " (?, ?, 1, 'image/jpeg', 1, 1, 1, 'now', ?)",
                        (owner, f"{n:064x}", f"photo number {n}"),
                    )
                await tx.execute(
                    "INSERT INTO likes (photo_id, user_id, created_at)"
                    " SELECT id, ?, 'now' FROM photos",
                    (owner,),
                )
            await _with_words(source)
            await _with_words(home)  # the target's own index, kept by its trigger

            there = await copy_database(source, middle)
            assert {c.table: c.target for c in there.counts}["likes"] == rows
            assert "words" in there.derived  # and its shadow tables are not even listed
            assert not [name for name in there.derived if name.startswith("words_")]
            back = await copy_database(middle, home)
            assert {c.table: c.target for c in back.counts}["photos"] == rows
            assert "words" in back.derived
            assert await home.fetchval("SELECT COUNT(*) FROM words") == rows
            hit = await home.fetchval("SELECT caption FROM words WHERE words MATCH 'number 1234'")
            assert hit == "photo number 1234"
            last = "SELECT MAX(id), SUM(bytes), MIN(sha256) FROM photos"
            assert [tuple(r) for r in await home.fetchall(last)] == [
                tuple(r) for r in await source.fetchall(last)
            ]
        finally:
            for db in (source, middle, home):
                await db.close()

    asyncio.run(scenario())


def test_an_id_given_and_deleted_is_never_given_again_after_a_copy(
    tmp_path: Path, postgres_url: str
) -> None:
    """A notification's id, once given, is not given again (a digest remembers the newest it
    told of), on either engine and across a copy both ways: the copy carries the ids given
    beyond the rows left (SQLite's AUTOINCREMENT counter, PostgreSQL's sequence)."""

    async def notify(db: Database | PostgresDatabase, owner: int) -> int:
        async with db.transaction() as tx:
            return int(
                await tx.fetchval(
                    "INSERT INTO notifications (user_id, actor_id, kind, photo_id, created_at)"
                    " VALUES (?, ?, 'comment', (SELECT MIN(id) FROM photos), 'now') RETURNING id",
                    (owner, owner),
                )
            )

    async def scenario() -> None:
        source = Database(tmp_path / "source.sqlite3")
        middle = PostgresDatabase(postgres_url, 2)
        home = Database(tmp_path / "home.sqlite3")
        for db in (source, middle, home):
            await db.open()
        try:
            async with source.transaction() as tx:
                owner = await tx.fetchval(
                    "INSERT INTO users (username, username_key, email, email_key, created_at)"
                    " VALUES ('a', 'a', 'a@x', 'a@x', 'now') RETURNING id"
                )
                await tx.execute(
                    "INSERT INTO photos (owner_id, sha256, bytes, content_type, width,"
                    " height, preview_width, created_at) VALUES"
                    " (?, ?, 1, 'image/jpeg', 1, 1, 1, 'now')",
                    (owner, "0" * 64),
                )
            ids = [await notify(source, owner) for _ in range(5)]
            await source.execute("DELETE FROM notifications WHERE id > ?", (ids[1],))
            assert await notify(source, owner) == ids[-1] + 1  # the engine's own rule

            await copy_database(source, middle)
            await middle.execute("DELETE FROM notifications WHERE id > ?", (ids[1],))
            given = await notify(middle, owner)
            assert given == ids[-1] + 2, given
            await middle.execute("DELETE FROM notifications WHERE id = ?", (given,))
            await copy_database(middle, home)
            assert await notify(home, owner) == given + 1
        finally:
            for db in (source, middle, home):
                await db.close()

    asyncio.run(scenario())


async def _with_words(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.execute("CREATE VIRTUAL TABLE words USING fts5(caption)")
        await tx.execute(
            "CREATE TRIGGER words_photo AFTER INSERT ON photos BEGIN"
            " INSERT INTO words (rowid, caption) VALUES (NEW.id, NEW.caption); END"
        )
        await tx.execute("INSERT INTO words (rowid, caption) SELECT id, caption FROM photos")


def test_a_target_at_another_schema_version_is_refused(tmp_path: Path) -> None:
    async def scenario() -> None:
        source, target = Database(tmp_path / "a.sqlite3"), Database(tmp_path / "b.sqlite3")
        for db in (source, target):
            await db.open()
        try:
            await target.execute("PRAGMA user_version = 7")
            with pytest.raises(CopyError, match="schema version"):
                await copy_database(source, target)
        finally:
            for db in (source, target):
                await db.close()

    asyncio.run(scenario())


def test_a_failed_copy_leaves_no_new_file_behind(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with live_server(make_settings(data)) as server:
        make_archive(server)
    # An archive from a newer photoarchive than this one: its schema is ahead.
    with sqlite3.connect(data / "photoarchive.sqlite3") as conn:
        conn.execute("PRAGMA user_version = 999")
    target = tmp_path / "new" / "archive.sqlite3"
    refused = copy(data, "--to", f"sqlite://{target}")
    assert refused.returncode == 2 and "schema version 999" in refused.stderr
    assert not [p.name for p in target.parent.iterdir()]


def test_a_copy_onto_a_full_disk_says_so_and_leaves_no_file(tmp_path: Path) -> None:
    """The target's disk is full: a message a person understands, and no half-made file to be
    mistaken for a copy."""
    from tests.support import fill, small_filesystem

    data = tmp_path / "data"
    with live_server(make_settings(data)) as server:
        make_archive(server)
    with small_filesystem(tmp_path / "small", "2m") as disk:
        fill(disk, leave=150_000)
        target = disk / "copy.sqlite3"
        full = copy(data, "--to", f"sqlite://{target}")
        assert full.returncode == 2, full.stdout + full.stderr
        assert "Traceback" not in full.stderr
        assert f"cannot use {target}: its disk is full" in full.stderr
        assert sorted(p.name for p in disk.iterdir()) == ["ballast"]


def test_an_error_the_server_would_answer_is_said_by_a_command_too(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """PostgreSQL restarted while a command works, the target's disk full on PostgreSQL: the
    domain says these as AppErrors (503, 507 to a browser); a command said them with a
    traceback. Now as the server says them: the message, exit 2."""
    from photoarchive import cli
    from photoarchive.cli import database
    from photoarchive.errors import Unavailable

    def restarted(args: object) -> int:
        raise Unavailable("The database is not answering; try again in a moment.")

    monkeypatch.setattr(database, "cmd_copy", restarted)  # what the parser is built with
    with pytest.raises(SystemExit) as stopped:
        cli.main(["db", "copy", "--to", f"sqlite://{tmp_path / 'x.sqlite3'}"])
    assert stopped.value.code == 2
    said = capsys.readouterr().err
    assert "The database is not answering; try again in a moment." in said
    assert "Traceback" not in said
