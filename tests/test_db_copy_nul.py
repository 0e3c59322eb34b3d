"""`photoarchive db copy` from a SQLite archive that holds U+0000 (NUL) in a text field, as one
written before both engines refused it could: PostgreSQL's text cannot take it, so the copy
names the table, row and column and what to do, exits 2, and leaves the target as it was."""

# SQLite source only: no PostgreSQL archive can hold the character.

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from tests.processes import distinct_jpeg, run_cli
from tests.support import api_login, live_server, make_settings, sign_up, upload_bytes


def _archive_with_a_nul(data_dir: Path) -> int:
    """An archive with a comment whose text holds a NUL; the comment's id."""
    settings = make_settings(data_dir)
    with live_server(settings) as server:
        sign_up(server, "alice")
        alice = api_login(server, "alice")
        photo = upload_bytes(alice, "photo.jpg", distinct_jpeg()).json()["items"][0]["id"]
        for text in ("first", "second"):
            made = alice.post(f"/api/v1/photos/{photo}/comments", json={"text": text})
            assert made.status_code == 201, made.text
        comment = int(made.json()["id"])
    with sqlite3.connect(settings.database_path) as conn:  # as an older version wrote it
        conn.execute(
            "UPDATE comments SET text = 'sec' || char(0) || 'ond' WHERE id = ?", (comment,)
        )
    return comment


def _said(result: object, comment: int) -> str:
    stderr = result.stderr  # type: ignore[attr-defined]
    assert result.returncode == 2, result.stdout + stderr  # type: ignore[attr-defined]
    assert "Traceback" not in stderr, stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert "comments" in stderr and f"id {comment}" in stderr and "text" in stderr, stderr
    assert "U+0000" in stderr and "nothing was copied" in stderr, stderr
    return stderr


def test_a_nul_in_a_sqlite_archive_stops_the_copy_to_postgresql_cleanly(
    tmp_path: Path, postgres_url: str
) -> None:
    data_dir = tmp_path / "data"
    comment = _archive_with_a_nul(data_dir)

    said = _said(run_cli(data_dir, "db", "copy", "--to", postgres_url), comment)

    assert "replace(" in said  # what to run on the source, to remove it
    with psycopg.connect(postgres_url) as conn:  # migrated by the copy, and not one row kept
        for table in ("users", "photos", "comments"):
            assert conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,)


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_nul_stops_a_copy_to_a_new_sqlite_file_and_leaves_no_file(
    engine: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    comment = _archive_with_a_nul(data_dir)
    target = tmp_path / "copy" / "archive.sqlite3"
    target.parent.mkdir()

    _said(run_cli(data_dir, "db", "copy", "--to", f"sqlite://{target}"), comment)

    assert list(target.parent.iterdir()) == []
