"""`photoarchive backup DEST` and `photoarchive restore SRC`.

A backup is a folder holding the database as one consistent SQLite snapshot (SQLite's online
backup API; from PostgreSQL, a `db copy` of one REPEATABLE READ snapshot into a new SQLite
file, so that any archive can come home to one box: the server keeps answering and writing
meanwhile either way), the originals that snapshot refers to
(renditions are derived data and are regenerated on restore), the secret key, and
`manifest.json`, written last: a folder without it is an unfinished backup and is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from photoarchive import __version__, clock
from photoarchive.db import AppDatabase, Database, PostgresDatabase
from photoarchive.ops.db_copy import copy_database, refuse_rows
from photoarchive.ops.findings import Report
from photoarchive.ops.progress import Progress
from photoarchive.ops.verify import GRACE_DEFAULT, verify
from photoarchive.storage import BlobNotFound, BlobStore, StorageError, original_key

MANIFEST = "manifest.json"
FORMAT = 1
DATABASE = "photoarchive.sqlite3"
SECRET = "secret_key"  # noqa: S105 - the name of the file, not a secret
ORIGINALS = "originals"


class BackupError(Exception):
    """The backup or restore cannot start; the message tells the operator what to do."""


@dataclass
class BackupSummary:
    counts: dict[str, int] = field(default_factory=dict)
    originals: int = 0
    bytes: int = 0
    originals_included: bool = True
    dropped: list[str] = field(default_factory=list)  # photos deleted while the backup ran
    problems: list[str] = field(default_factory=list)


@dataclass
class RestoreSummary:
    manifest: dict[str, Any]
    originals: int
    report: Report
    damaged: list[str] = field(default_factory=list)


def _require_empty(folder: Path, what: str) -> None:
    # lost+found is what a freshly formatted volume mounted there already holds.
    if folder.exists() and (
        not folder.is_dir() or any(p.name != "lost+found" for p in folder.iterdir())
    ):
        raise BackupError(
            f"The {what} {folder} is not empty. Choose a new folder, or move this one aside."
        )


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# Each query written out whole: a table name cannot be a bound parameter.
_COUNTS = {
    "users": "SELECT COUNT(*) FROM users",
    "photos": "SELECT COUNT(*) FROM photos",
    "comments": "SELECT COUNT(*) FROM comments",
    "likes": "SELECT COUNT(*) FROM likes",
}


async def _count(db: Database) -> dict[str, int]:
    return {table: await db.fetchval(query) for table, query in _COUNTS.items()}


async def backup(
    db: AppDatabase,
    store: BlobStore,
    data_dir: Path,
    dest: Path,
    *,
    include_originals: bool,
    progress: Progress | None = None,
) -> BackupSummary:
    """Snapshot the database into `dest`, then copy the originals the snapshot refers to.

    A backup that cannot be finished (its disk full, its folder not writable, the archive
    unreadable) takes away what it wrote: a half-made backup must not wait there to be kept
    or restored by mistake, nor hold the folder a second attempt wants."""
    progress = progress or Progress(enabled=False)
    await asyncio.to_thread(_require_empty, dest, "backup folder")
    made = not await asyncio.to_thread(dest.exists)
    try:
        await asyncio.to_thread(dest.mkdir, parents=True, exist_ok=True)
        return await _write_backup(
            db, store, data_dir, dest, include_originals=include_originals, progress=progress
        )
    except BaseException as exc:
        await asyncio.to_thread(_take_away, dest, made)
        if isinstance(exc, OSError):
            raise BackupError(_unwritable(dest, exc)) from None
        raise


def _unwritable(dest: Path, exc: OSError) -> str:
    reason = (
        "its disk is full"
        if exc.errno in (errno.ENOSPC, errno.EDQUOT)
        else (exc.strerror or str(exc)).lower()
    )
    return (
        f"The backup could not be written to {dest}: {reason}. Nothing of it was kept; free"
        " some space or choose another folder, and run the backup again."
    )


def _take_away(dest: Path, made: bool) -> None:
    """Remove what an unfinished backup wrote: `dest` was empty (but for lost+found) before."""
    if made:
        shutil.rmtree(dest, ignore_errors=True)
        return
    with contextlib.suppress(OSError):
        for path in dest.iterdir():
            if path.name == "lost+found":
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


async def _write_backup(
    db: AppDatabase,
    store: BlobStore,
    data_dir: Path,
    dest: Path,
    *,
    include_originals: bool,
    progress: Progress,
) -> BackupSummary:
    summary = BackupSummary(originals_included=include_originals)
    snapshot_path = dest / DATABASE
    if isinstance(db, Database):
        await db.backup_to(snapshot_path)
    snapshot = Database(snapshot_path, readers=1)
    await snapshot.open()
    try:
        if isinstance(db, PostgresDatabase):
            await copy_database(db, snapshot, source_name=db.shown_as, target_name="the backup")
        rows = await snapshot.fetchall(
            "SELECT sha256, MAX(bytes) AS bytes FROM photos GROUP BY sha256 ORDER BY MIN(id)"
        )
        if include_originals:
            progress.start("copying originals", len(rows))
            for row in rows:
                await _back_up_original(db, snapshot, store, dest, row["sha256"], summary)
                progress.advance()
            progress.finish()
        summary.counts = await _count(snapshot)
        schema = await snapshot.schema_version()
    finally:
        await snapshot.close()
    manifest = {
        "format": FORMAT,
        "photoarchive": __version__,
        "schema_version": schema,
        "created_at": clock.now_iso(),
        "originals_included": include_originals,
        "originals": summary.originals,
        **summary.counts,
    }
    await asyncio.to_thread(_finish, data_dir, dest, manifest)
    return summary


def _prepare(folder: Path, what: str) -> None:
    _require_empty(folder, what)
    folder.mkdir(parents=True, exist_ok=True)


def _finish(data_dir: Path, dest: Path, manifest: dict[str, Any]) -> None:
    """Copy the secret key, flush everything to disk, and only then write the manifest."""
    if (data_dir / SECRET).exists():
        shutil.copy2(data_dir / SECRET, dest / SECRET)
    for path in [p for p in dest.rglob("*") if p.is_file()]:
        _fsync(path)
    part = dest / (MANIFEST + ".part")
    part.write_text(json.dumps(manifest, indent=2) + "\n")
    _fsync(part)
    part.replace(dest / MANIFEST)
    _fsync(dest)


async def _back_up_original(
    live: AppDatabase,
    snapshot: Database,
    store: BlobStore,
    dest: Path,
    digest: str,
    summary: BackupSummary,
) -> None:
    key = original_key(digest)
    target = dest / "blobs" / key
    part = target.with_name(target.name + ".part")
    hasher = hashlib.sha256()
    size = 0
    handle = await asyncio.to_thread(_create, part)
    try:
        async for chunk in store.stream(key):
            hasher.update(chunk)
            await asyncio.to_thread(handle.write, chunk)
            size += len(chunk)
    except BlobNotFound:
        handle.close()
        await asyncio.to_thread(part.unlink, missing_ok=True)
        still_there = await live.fetchval(
            "SELECT 1 FROM photos WHERE sha256 = ? LIMIT 1", (digest,)
        )
        if still_there:
            summary.problems.append(f"the archive has lost the original {key}; run verify")
            return
        # Deleted after the snapshot was taken: the backup keeps that deletion too.
        ids = await snapshot.fetchall("SELECT id FROM photos WHERE sha256 = ?", (digest,))
        await snapshot.execute("DELETE FROM photos WHERE sha256 = ?", (digest,))
        summary.dropped += [f"photo {row['id']}" for row in ids]
        return
    except (StorageError, OSError):
        handle.close()
        await asyncio.to_thread(part.unlink, missing_ok=True)
        raise
    handle.close()
    if hasher.hexdigest() != digest:
        await asyncio.to_thread(part.unlink)
        summary.problems.append(f"the original {key} is damaged (wrong SHA-256); run verify")
        return
    await asyncio.to_thread(part.replace, target)
    summary.originals += 1
    summary.bytes += size


def _create(path: Path) -> BinaryIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    return open(path, "wb")


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
) -> RestoreSummary:
    """Restore the backup in `src` into an empty data dir, then regenerate the renditions.
    The records go into the SQLite file at `database_path`, or into `into`: an open and
    empty PostgreSQL database (checked before anything is stored)."""
    progress = progress or Progress(enabled=False)
    if into is not None:
        await refuse_rows(into, into.shown_as)
    manifest, files = await asyncio.to_thread(_prepare_restore, src, data_dir, tmp_dir)
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
    # The database goes in last: a data dir with a database is one the server may use.
    if into is None:
        await asyncio.to_thread(_install_database, src / DATABASE, database_path)
        db: AppDatabase = Database(database_path, readers=1)
        await db.open()  # migrations run here, so an older backup is brought up to date
    else:
        await _copy_snapshot(src / DATABASE, tmp_dir, into)
        db = into
    try:
        report = await verify(
            db,
            store,
            tmp_dir,
            repair=True,
            grace=GRACE_DEFAULT,
            max_pixels=max_pixels,
            progress=progress,
        )
    finally:
        if into is None:
            await db.close()
    return RestoreSummary(manifest, len(files) - len(damaged), report, damaged)


async def _copy_snapshot(snapshot: Path, tmp_dir: Path, into: PostgresDatabase) -> None:
    """The backup's SQLite snapshot into PostgreSQL, by way of a temp copy: opening it brings
    it up to the current schema, which must not change the backup itself."""
    work = Path(await asyncio.to_thread(_temp_name, tmp_dir))
    try:
        await asyncio.to_thread(_install_database, snapshot, work)
        source = Database(work, readers=1)
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


def _prepare_restore(src: Path, data_dir: Path, tmp_dir: Path) -> tuple[dict[str, Any], list[Path]]:
    manifest = read_manifest(src)
    _prepare(data_dir, "data folder")
    tmp_dir.mkdir(parents=True, exist_ok=True)
    if (src / SECRET).exists():
        shutil.copy2(src / SECRET, data_dir / SECRET)
        os.chmod(data_dir / SECRET, 0o600)
    files = sorted(p for p in (src / "blobs" / ORIGINALS).rglob("*") if p.is_file())
    return manifest, files


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
    _fsync(part)
    part.replace(target)
    _fsync(target.parent)
