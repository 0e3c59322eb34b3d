"""`photoarchive restore SRC`: a backup (backup.py) brought back into an empty data folder.

The originals go in first and the database last, as one file put in place whole (or, with
PostgreSQL, copied in one transaction): a data folder with a database is one the server may
use. The renditions are regenerated from the originals by `verify --repair`, and checked.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from photoarchive import clock
from photoarchive.db import AppDatabase, Database, PostgresDatabase, sqlite_file_errors
from photoarchive.ops.backup import (
    DATABASE,
    FORMAT,
    MANIFEST,
    ORIGINALS,
    SECRET,
    BackupError,
    fsync,
    reason,
    require_empty,
    take_away,
)
from photoarchive.ops.db_copy import copy_database, refuse_rows
from photoarchive.ops.findings import Report
from photoarchive.ops.progress import Progress
from photoarchive.ops.verify import DIGEST_IN_KEY, GRACE_DEFAULT, verify
from photoarchive.storage import BlobStore, StorageFull, original_key


@dataclass
class RestoreSummary:
    manifest: dict[str, Any]
    originals: int
    report: Report
    damaged: list[str] = field(default_factory=list)


def read_manifest(src: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((src / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(
            f"{src} is not a finished photoarchive backup: it has no {MANIFEST}."
        ) from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"{src / MANIFEST} cannot be read: {exc}") from None
    if manifest.get("format") != FORMAT or not (src / DATABASE).is_file():
        raise BackupError(f"{src} is not a photoarchive backup this version can restore.")
    return manifest


async def restore(
    src: Path,
    data_dir: Path,
    database_path: Path,
    tmp_dir: Path,
    store: BlobStore,
    *,
    max_pixels: int,
    progress: Progress | None = None,
    into: PostgresDatabase | None = None,
    on_records_in: Callable[[], None] | None = None,
) -> RestoreSummary:
    """Restore the backup in `src` into an empty data dir, then regenerate the renditions.
    The records go into the SQLite file at `database_path`, or into `into`: an open and
    empty PostgreSQL database (checked before anything is stored).

    A restore stopped before its records are in (its disk full, its folder not writable,
    Ctrl-C) takes away what it wrote: a data folder without them is no archive, and would
    hold the folder that the same command, run again, needs empty. `on_records_in` is told
    when that stage is over, and what is kept stays (the renditions are made after it)."""
    progress = progress or Progress(enabled=False)
    if into is not None:
        await refuse_rows(into, into.shown_as)
    manifest = await asyncio.to_thread(read_manifest, src)
    await asyncio.to_thread(require_empty, data_dir, "data folder")
    if into is None and await asyncio.to_thread(database_path.exists):
        raise BackupError(
            f"The database {database_path} already exists. Restore into a new one, or move"
            " this one aside."
        )
    made = not await asyncio.to_thread(data_dir.exists)
    try:
        originals, damaged = await _restore_originals(src, data_dir, tmp_dir, store, progress)
        db = await _restore_records(src, database_path, tmp_dir, into)
        # Noted in the archive itself: its store's unreferenced originals are kept for good.
        await keep_restore_leftovers(db, store)
    except BaseException as exc:
        await asyncio.to_thread(take_away, data_dir, made)
        if into is None:
            await asyncio.to_thread(_take_away_database, database_path)
        if isinstance(exc, OSError | StorageFull):
            raise BackupError(
                f"The backup could not be restored into {data_dir}: {reason(exc)}. Nothing of"
                " it was kept; free some space or choose another folder, and run the restore"
                " again."
            ) from None
        raise
    if on_records_in is not None:
        on_records_in()
    try:
        report = await verify(
            db,
            store,
            tmp_dir,
            repair=True,
            grace=GRACE_DEFAULT,
            max_pixels=max_pixels,
            progress=progress,
            # The store may be one the backup did not copy (S3: the originals stay in the
            # bucket), holding files of photos added since: nothing is deleted here.
            keep_leftovers=True,
        )
    finally:
        if into is None:
            await db.close()
    return RestoreSummary(manifest, originals, report, damaged)


async def keep_restore_leftovers(db: AppDatabase, store: BlobStore) -> int:
    """At a restore, once its records are in: every stored original no record names is noted
    as kept (migration 0035), before anything could delete it; how many. With S3 the backup
    holds the records, not the originals: these may be the only copies of photos added after
    it. Noted before the restore's own check, so that one stopped midway (its message says to
    finish with `verify --repair`) loses none of them either."""
    named = {row[0] for row in await db.fetchall("SELECT DISTINCT sha256 FROM photos")}
    found = []
    async for info in store.list("originals/"):  # as storage.original_key names them
        match = DIGEST_IN_KEY.search(info.key)
        if match and info.key == original_key(match.group(1)) and match.group(1) not in named:
            found.append(match.group(1))
    now = clock.now_iso()
    async with db.transaction() as tx:
        for digest in found:
            await tx.execute(
                "INSERT INTO restore_kept (sha256, kept_at) VALUES (?, ?)"
                " ON CONFLICT (sha256) DO NOTHING",
                (digest, now),
            )
    return len(found)


async def _restore_originals(
    src: Path, data_dir: Path, tmp_dir: Path, store: BlobStore, progress: Progress
) -> tuple[int, list[str]]:
    """The backup's secret key and originals stored: (originals restored, damaged ones)."""
    files = await asyncio.to_thread(_prepare_restore, src, data_dir, tmp_dir)
    damaged = []
    progress.start("restoring originals", len(files))
    for path in files:
        copy = await asyncio.to_thread(_checked_copy, path, tmp_dir)
        if copy is None:
            damaged.append(str(path))
        else:
            await store.put_file(path.relative_to(src / "blobs").as_posix(), copy)  # consumes it
        progress.advance()
    progress.finish()
    return len(files) - len(damaged), damaged


async def _restore_records(
    src: Path, database_path: Path, tmp_dir: Path, into: PostgresDatabase | None
) -> AppDatabase:
    """The database, open; it goes in last: a data dir with one is one the server may use."""
    if into is not None:
        await _copy_snapshot(src / DATABASE, tmp_dir, into)
        return into
    db = Database(database_path, readers=1)
    with sqlite_file_errors():
        await asyncio.to_thread(_install_database, src / DATABASE, database_path)
        await db.open()  # migrations run here, so an older backup is brought up to date
    return db


def _take_away_database(path: Path) -> None:
    """The database file of an unfinished restore, and SQLite's files beside it (found only
    when PHOTOARCHIVE_DATABASE_URL puts it outside the data folder)."""
    for end in ("", ".part", "-wal", "-shm", "-journal", "-locks"):
        path.with_name(path.name + end).unlink(missing_ok=True)


async def _copy_snapshot(snapshot: Path, tmp_dir: Path, into: PostgresDatabase) -> None:
    """The backup's SQLite snapshot into PostgreSQL, by way of a temp copy: opening it brings
    it up to the current schema, which must not change the backup itself."""
    work = Path(await asyncio.to_thread(_temp_name, tmp_dir))
    try:
        source = Database(work, readers=1)
        with sqlite_file_errors():
            await asyncio.to_thread(_install_database, snapshot, work)
            await source.open()
        try:
            await copy_database(source, into, source_name="the backup", target_name=into.shown_as)
        finally:
            await source.close()
    finally:
        for path in (work, *(work.with_name(work.name + end) for end in ("-wal", "-shm"))):
            await asyncio.to_thread(path.unlink, missing_ok=True)


def _temp_name(tmp_dir: Path) -> str:
    fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="restore-", suffix=".sqlite3")
    os.close(fd)
    return name


def _prepare_restore(src: Path, data_dir: Path, tmp_dir: Path) -> list[Path]:
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    if (src / SECRET).exists():
        shutil.copy2(src / SECRET, data_dir / SECRET)
        os.chmod(data_dir / SECRET, 0o600)
    files = sorted(p for p in (src / "blobs" / ORIGINALS).rglob("*") if p.is_file())
    return files


def _checked_copy(path: Path, tmp_dir: Path) -> Path | None:
    """A temp copy of the original at `path`, or None if its bytes do not match its name."""
    fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="restore-")
    copy = Path(name)
    hasher = hashlib.sha256()
    with open(path, "rb") as source, os.fdopen(fd, "wb") as handle:
        while chunk := source.read(1024 * 1024):
            hasher.update(chunk)
            handle.write(chunk)
    if hasher.hexdigest() != path.name:
        copy.unlink()
        return None
    return copy


def _install_database(source: Path, target: Path) -> None:
    part = target.with_name(target.name + ".part")
    shutil.copyfile(source, part)
    fsync(part)
    part.replace(target)
    fsync(target.parent)
