"""`photoarchive backup DEST` (restore.py brings one back).

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from photoarchive import __version__, clock
from photoarchive.db import AppDatabase, Database, PostgresDatabase, sqlite_file_errors
from photoarchive.ops.db_copy import copy_database
from photoarchive.ops.progress import Progress
from photoarchive.storage import (
    BlobNotFound,
    BlobStore,
    BlobUnreadable,
    StorageError,
    StorageFull,
    original_key,
)

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


def require_empty(folder: Path, what: str) -> None:
    # lost+found is what a freshly formatted volume mounted there already holds.
    if folder.exists() and (
        not folder.is_dir() or any(p.name != "lost+found" for p in folder.iterdir())
    ):
        raise BackupError(
            f"The {what} {folder} is not empty. Choose a new folder, or move this one aside."
        )


def fsync(path: Path) -> None:
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
    await asyncio.to_thread(require_empty, dest, "backup folder")
    made = not await asyncio.to_thread(dest.exists)
    try:
        await asyncio.to_thread(dest.mkdir, parents=True, exist_ok=True)
        return await _write_backup(
            db, store, data_dir, dest, include_originals=include_originals, progress=progress
        )
    except BaseException as exc:
        await asyncio.to_thread(take_away, dest, made)
        if isinstance(exc, OSError):
            raise BackupError(_unwritable(dest, exc)) from None
        raise


def _unwritable(dest: Path, exc: OSError) -> str:
    return (
        f"The backup could not be written to {dest}: {reason(exc)}. Nothing of it was kept;"
        " free some space or choose another folder, and run the backup again."
    )


def reason(exc: OSError | StorageFull) -> str:
    if isinstance(exc, StorageFull) or exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "its disk is full"
    return (exc.strerror or str(exc)).lower()


def take_away(dest: Path, made: bool) -> None:
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
    with sqlite_file_errors():  # the snapshot's own disk or folder failing
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


def _finish(data_dir: Path, dest: Path, manifest: dict[str, Any]) -> None:
    """Copy the secret key, flush everything to disk, and only then write the manifest.

    The folders too: an original is named by a rename into its folder, which a crash may
    forget until that folder is flushed, leaving a backup whose manifest promises it."""
    if (data_dir / SECRET).exists():
        shutil.copy2(data_dir / SECRET, dest / SECRET)
    for path in _written(dest):
        fsync(path)
    part = dest / (MANIFEST + ".part")
    part.write_text(json.dumps(manifest, indent=2) + "\n")
    fsync(part)
    part.replace(dest / MANIFEST)
    fsync(dest)


def _written(dest: Path) -> list[Path]:
    """Every file and folder the backup wrote into `dest`: not a volume's lost+found, which
    was there before (and which only root may open)."""
    found = []
    for path in dest.iterdir():
        if path.name == "lost+found":
            continue
        if path.is_dir() and not path.is_symlink():
            found += [p for p in path.rglob("*") if p.is_file() or p.is_dir()]
        found.append(path)
    return found


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
    except BlobUnreadable as exc:
        # This one file (a bad sector, say): said, and the backup goes on with the others.
        handle.close()
        await asyncio.to_thread(part.unlink, missing_ok=True)
        summary.problems.append(f"{exc}; run verify")
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
