"""`photoarchive db copy`: an archive made through the app, copied from SQLite to PostgreSQL and
back, then served from the copy: the same answers, the same files, and new rows get new ids."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from photoarchive.db import Database, PostgresDatabase
from photoarchive.ops.db_copy import BATCH_ROWS, CopyError, copy_database
from photoarchive.settings import Settings
from tests.processes import distinct_jpeg, run_cli
from tests.support import (
    LiveServer,
    api_login,
    live_server,
    make_settings,
    parse,
    sign_up,
    upload_bytes,
)

TABLES = ("users", "sessions", "photos", "comments", "likes", "albums", "shares", "trashed_photos")


@dataclass
class Archive:
    """What the people did, and what the server answered them."""

    photos: list[int] = field(default_factory=list)
    trashed: int = 0
    album: int = 0
    share_token: str = ""
    tokens: dict[str, str] = field(default_factory=dict)  # username -> Bearer token
    counts: dict[str, int] = field(default_factory=dict)


def make_archive(server: LiveServer) -> Archive:
    archive = Archive()
    for name in ("alice", "bob"):
        sign_up(server, name)
        archive.tokens[name] = api_login(server, name).headers["Authorization"]
    alice, bob = (client(server, archive, name) for name in ("alice", "bob"))
    for caption in ("At the lake", "Grandma's garden", "Rain", "Blurred"):
        made = upload_bytes(alice, "photo.jpg", distinct_jpeg(), caption=caption)
        assert made.status_code == 201, made.text
        archive.photos.append(made.json()["items"][0]["id"])
    first, second, third, archive.trashed = archive.photos
    for text in ("Lovely light", "<b>so</b> green & wet"):
        assert bob.post(f"/api/v1/photos/{first}/comments", json={"text": text}).status_code == 201
    assert bob.put(f"/api/v1/photos/{first}/like").status_code == 200
    assert alice.put(f"/api/v1/photos/{second}/favorite").status_code == 200
    album = alice.post("/api/v1/albums", json={"title": "Summer", "description": "sea"})
    assert album.status_code == 201, album.text
    archive.album = album.json()["id"]
    added = alice.post(f"/api/v1/albums/{archive.album}/photos", json={"photo_ids": [first, third]})
    assert added.status_code == 200, added.text
    member = alice.put(f"/api/v1/albums/{archive.album}/members/bob", json={"role": "viewer"})
    assert member.status_code == 200, member.text
    share = alice.post("/api/v1/shares", json={"photo_ids": [second, third]})
    assert share.status_code == 201, share.text
    archive.share_token = share.json()["token"]
    assert alice.patch(f"/api/v1/photos/{third}", json={"visibility": "private"}).status_code == 200
    assert alice.delete(f"/api/v1/photos/{archive.trashed}").status_code == 204
    with server.db() as conn:
        archive.counts = {
            t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES
        }
    assert all(archive.counts.values()), archive.counts
    return archive


def client(server: LiveServer, archive: Archive, name: str) -> httpx.Client:
    made = server.client()
    made.headers["Authorization"] = archive.tokens[name]
    return made


def answers(server: LiveServer, archive: Archive) -> dict[str, Any]:
    """What people see, as data: the API's answers, a rendition's bytes, a page's text."""
    alice, bob, guest = (*(client(server, archive, n) for n in ("alice", "bob")), server.client())
    first = archive.photos[0]
    photo = bob.get(f"/api/v1/photos/{first}")
    assert photo.status_code == 200, photo.text
    page = parse(bob.get(f"/photos/{first}").text)
    return {
        "photo": photo.json(),
        "thumbnail": bob.get(photo.json()["urls"]["thumbnail"]).content,
        "comments": bob.get(f"/api/v1/photos/{first}/comments").json(),
        "page": ("Lovely light" in page.text, "<b>so</b> green & wet" in page.text),
        "feed": [p["id"] for p in bob.get("/api/v1/photos").json()["items"]],
        "private": bob.get(f"/api/v1/photos/{archive.photos[2]}").status_code,
        "mine": [p["id"] for p in alice.get("/api/v1/photos").json()["items"]],
        "album": bob.get(f"/api/v1/albums/{archive.album}").json(),
        "album_photos": alice.get(f"/api/v1/albums/{archive.album}/photos").json(),
        "trash": alice.get("/api/v1/trash").json(),
        "share": guest.get(f"/api/v1/s/{archive.share_token}").json(),
        "favorites": [p["id"] for p in alice.get("/api/v1/favorites").json()["items"]],
    }


def copy(data_dir: Path, *args: str, database_url: str = "") -> Any:
    env = {"PHOTOARCHIVE_DATABASE_URL": database_url} if database_url else {}
    return run_cli(data_dir, "db", "copy", *args, **env)


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

    done = copy(data, "--to", target_url, database_url=configured)
    assert done.returncode == 0, done.stderr
    assert "Every table's row count matches" in done.stdout
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
            assert there.derived == ["words"]  # its shadow tables are not even listed
            back = await copy_database(middle, home)
            assert {c.table: c.target for c in back.counts}["photos"] == rows
            assert back.derived == ["words"]
            assert await home.fetchval("SELECT COUNT(*) FROM words") == rows
            hit = await home.fetchval("SELECT caption FROM words WHERE words MATCH 'number 1234'")
            assert hit == "photo number 1234"
            last = "SELECT MAX(id), SUM(bytes), MIN(sha256) FROM photos"
            assert tuple(await home.fetchone(last)) == tuple(await source.fetchone(last))
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
