"""The operator's commands with the records in PostgreSQL: `verify` (and `--repair`) checks it
as it checks a SQLite archive; `backup` writes a portable SQLite snapshot beside the
originals, which `restore` brings back into a one-box SQLite archive, or into an empty
PostgreSQL."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

from photoarchive.storage import original_key, rendition_key
from tests.archives import TABLES, answers, make_archive
from tests.processes import run_cli
from tests.support import live_server, make_settings, run_sql


def _lines(output: str, label: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(label)]


def test_verify_finds_and_repairs_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    data = tmp_path / "data"
    settings = make_settings(data, database_url=postgres_url)
    with live_server(settings) as server:
        archive = make_archive(server)
    pg = {"PHOTOARCHIVE_DATABASE_URL": postgres_url}
    clean = run_cli(data, "verify", "--checksums", **pg)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "4 photos, 4 originals" in clean.stdout and "all is well" in clean.stdout

    # A count gone wrong in the database, and a rendition lost from the store.
    first = archive.photos[0]
    run_sql(settings, "UPDATE photos SET like_count = 7 WHERE id = ?", (first,))
    (sha,) = run_sql(settings, "SELECT sha256 FROM photos WHERE id = ?", (first,))[0]
    thumbnail = settings.blob_dir / rendition_key(sha, "thumbnail")
    thumbnail.unlink()
    # And a file no photo refers to, older than the grace period (deleted under a named lock).
    leftover = settings.blob_dir / original_key("ab" * 32)
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_bytes(b"left over")
    os.utime(leftover, (time.time() - 7200, time.time() - 7200))
    found = run_cli(data, "verify", **pg)
    assert found.returncode == 1
    problems = _lines(found.stdout, "PROBLEM")
    assert any(f"photo {first}: counted 7 likes" in line for line in problems), problems
    assert any("rendition missing" in line for line in problems), problems
    assert any("stored file no photo refers to" in line for line in problems), problems

    repaired = run_cli(data, "verify", "--repair", **pg)
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert len(_lines(repaired.stdout, "REPAIRED")) == 3
    assert not leftover.exists()
    assert run_sql(settings, "SELECT like_count FROM photos WHERE id = ?", (first,)) == [(1,)]
    assert thumbnail.is_file()
    assert "pg-Secret" not in found.stdout + repaired.stdout


def test_a_postgresql_backup_restores_into_a_one_box_archive(
    tmp_path: Path, postgres_url: str
) -> None:
    data, home = tmp_path / "data", tmp_path / "home"
    with live_server(make_settings(data, database_url=postgres_url)) as server:
        archive = make_archive(server)
        before = answers(server, archive)
    taken = run_cli(
        data, "backup", str(tmp_path / "backup"), PHOTOARCHIVE_DATABASE_URL=postgres_url
    )
    assert taken.returncode == 0, taken.stdout + taken.stderr
    assert "Database snapshot: 2 users, 4 photos, 2 comments, 1 likes" in taken.stdout
    assert "Originals: 4 files" in taken.stdout
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["photos"] == 4 and manifest["originals"] == 4
    # The snapshot is a SQLite file any sqlite3 reads, with every table's rows.
    with sqlite3.connect(tmp_path / "backup" / "photoarchive.sqlite3") as snapshot:
        counts = {t: snapshot.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
    assert counts == archive.counts

    restored = run_cli(home, "restore", str(tmp_path / "backup"))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    with live_server(make_settings(home)) as server:
        assert answers(server, archive) == before


def test_restore_into_an_empty_postgresql(tmp_path: Path, postgres_url: str) -> None:
    """A one-box archive's backup restored straight into PostgreSQL; a PostgreSQL that holds
    records is refused before anything is stored."""
    data, fresh = tmp_path / "data", tmp_path / "fresh"
    with live_server(make_settings(data)) as server:
        archive = make_archive(server)
        before = answers(server, archive)
    assert run_cli(data, "backup", str(tmp_path / "backup")).returncode == 0

    pg = {"PHOTOARCHIVE_DATABASE_URL": postgres_url}
    restored = run_cli(fresh, "restore", str(tmp_path / "backup"), **pg)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "pg-Secret" not in restored.stdout + restored.stderr
    assert not (fresh / "photoarchive.sqlite3").exists()
    assert not list((fresh / "tmp").glob("*"))  # the temp copy of the snapshot is gone
    with live_server(make_settings(fresh, database_url=postgres_url)) as server:
        assert answers(server, archive) == before

    again = tmp_path / "again"
    refused = run_cli(again, "restore", str(tmp_path / "backup"), **pg)
    assert refused.returncode == 2
    assert "is not empty" in refused.stderr
    assert not (again / "blobs").exists()
