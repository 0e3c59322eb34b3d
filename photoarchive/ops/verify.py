"""`photoarchive verify`: is every photo's file there and intact, and is anything left over?

Only the BlobStore protocol is used, so local and S3 storage are checked alike; and only the
database seam, so a SQLite archive and a PostgreSQL one are checked alike. It is safe to
run while the server is up: a missing file is stat-ed again before it is reported (an upload
may have finished after the listing), and a leftover is deleted only when it is older than the
grace period and, under the lock uploads of the same bytes take, still belongs to no photo.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from photoarchive.db import AppDatabase, Row
from photoarchive.library import blobs
from photoarchive.library.blobs import RENDITIONS
from photoarchive.media import images
from photoarchive.ops.findings import LEFT_ALONE, PROBLEM, REPAIRED, Report
from photoarchive.ops.progress import Progress
from photoarchive.ops.rendition_repair import NotMade, regenerate
from photoarchive.storage import (
    BlobInfo,
    BlobNotFound,
    BlobStore,
    StorageError,
    original_key,
    rendition_key,
)

GRACE_DEFAULT = 3600.0
KEPT_AT_RESTORE = (
    "kept: this archive was restored from a backup, and this may be the original of a photo"
    " added after that backup, in a store the backup did not copy (its only copy); bring the"
    " photo back with `photoarchive import`, or delete the file by hand if it is not wanted"
)
# Files checked at once: enough to hide a remote store's latency, few enough to bound memory.
PARALLEL = 4

# A stored file's digest: an original, or a rendition (turned: "-r90" before its ending).
DIGEST_IN_KEY = re.compile(r"(?:^|/)([0-9a-f]{64})(?:-r(\d+))?(\.webp)?$")


async def verify(
    db: AppDatabase,
    store: BlobStore,
    tmp_dir: Path,
    *,
    checksums: bool = False,
    repair: bool = False,
    grace: float = GRACE_DEFAULT,
    max_pixels: int = 100_000_000,
    progress: Progress | None = None,
    keep_leftovers: bool = False,
) -> Report:
    """Check (and with `repair`, mend) the archive. With `keep_leftovers`, stored files no
    photo refers to are reported and kept even when repairing: after a restore they may be
    the originals of photos added since the backup, in a store the backup did not copy. The
    originals a restore found so (`keep_restore_leftovers`) are kept by every later run too:
    nothing else tells them from a failed upload's leftovers."""
    progress = progress or Progress(enabled=False)
    report = Report(checksums=checksums)
    await _check_database(db, report, repair=repair)
    # List the store before reading the photos: files are stored before their row commits, so
    # an upload finishing in between is not taken for leftovers; and a file the listing missed
    # is stat-ed again before it is reported missing.
    listed = await _list_store(store)
    report.blobs = len(listed)
    rows = _by_digest(
        await db.fetchall(
            "SELECT p.id, p.sha256, p.bytes, COALESCE((SELECT r.rotation FROM photo_rotations r"
            " WHERE r.photo_id = p.id), 0) AS rotation FROM photos p ORDER BY p.id"
        )
    )
    report.photos = sum(row["n"] for row in rows)
    report.files = len(rows)
    checker = _PhotoChecker(db, store, tmp_dir, report, checksums, repair, max_pixels, listed)
    progress.start("checking photos", len(rows))
    await _bounded(
        (checker.check(row["sha256"], row["bytes"], row["ids"], row["turns"]) for row in rows),
        after_each=progress.advance,
    )
    progress.finish()
    expected = {key for row in rows for key in _keys_of(row["sha256"], row["turns"])}
    leftovers = [info for key, info in sorted(listed.items()) if key not in expected]
    if repair:  # brought back by an import: its file is the photo's again, deleted with it
        await db.execute(
            "DELETE FROM restore_kept WHERE EXISTS"
            " (SELECT 1 FROM photos p WHERE p.sha256 = restore_kept.sha256)"
        )
    kept = {row[0] for row in await db.fetchall("SELECT sha256 FROM restore_kept")}
    await _check_leftover_blobs(
        db,
        store,
        leftovers,
        report,
        repair=repair,
        grace=grace,
        keep=keep_leftovers,
        kept_originals=kept,
    )
    _check_temp_files(tmp_dir, report, repair=repair, grace=grace)
    return report


def _by_digest(photos: Sequence[Row]) -> list[dict[str, Any]]:
    """One entry per stored original, in the order of its first photo: the photos of the same
    bytes grouped here rather than by an aggregate each database spells its own way, with the
    turns they are shown at (each a set of renditions)."""
    grouped: dict[str, dict[str, Any]] = {}
    for photo in photos:
        entry = grouped.setdefault(
            photo["sha256"], {"sha256": photo["sha256"], "bytes": 0, "n": 0, "turns": set()}
        )
        entry["turns"].add(photo["rotation"])
        entry["bytes"] = max(entry["bytes"], photo["bytes"])
        entry["n"] += 1
        entry["ids"] = f"{entry['ids']},{photo['id']}" if "ids" in entry else str(photo["id"])
    return list(grouped.values())


async def _check_database(db: AppDatabase, report: Report, *, repair: bool) -> None:
    messages = await db.integrity_check()
    if messages != ["ok"]:
        for message in messages[:20]:
            report.add(PROBLEM, f"database integrity_check: {message}")
    for table, referred in await db.missing_references():
        report.add(PROBLEM, f"database: a row of {table} refers to a missing {referred} row")
    # like_count and comment_count are kept beside the rows they count, for cheap pages.
    wrong = await db.fetchall(
        "SELECT id, like_count, comment_count, likes, comments FROM (SELECT p.id, p.like_count,"
        " p.comment_count, (SELECT COUNT(*) FROM likes l WHERE l.photo_id = p.id) AS likes,"
        " (SELECT COUNT(*) FROM comments c WHERE c.photo_id = p.id) AS comments FROM photos p)"
        " AS counted WHERE like_count != likes OR comment_count != comments"
    )
    for row in wrong:
        text = (
            f"photo {row['id']}: counted {row['like_count']} likes and {row['comment_count']}"
            f" comments, has {row['likes']} and {row['comments']}"
        )
        if repair:
            await db.execute(
                "UPDATE photos SET like_count = (SELECT COUNT(*) FROM likes WHERE photo_id = ?),"
                " comment_count = (SELECT COUNT(*) FROM comments WHERE photo_id = ?) WHERE id = ?",
                (row["id"], row["id"], row["id"]),
            )
            report.add(REPAIRED, text + "; recounted")
        else:
            report.add(PROBLEM, text)


async def _list_store(store: BlobStore) -> dict[str, BlobInfo]:
    listed: dict[str, BlobInfo] = {}
    async for info in store.list():
        listed[info.key] = info
    return listed


def _keys_of(digest: str, turns: set[int]) -> list[str]:
    return [original_key(digest), *(key for turn in turns for key in _renditions(digest, turn))]


def _renditions(digest: str, turn: int) -> list[str]:
    return [rendition_key(digest, name, turn) for name in RENDITIONS]


async def _bounded(
    jobs: Iterable[Awaitable[None]], *, after_each: Callable[[], None], limit: int = PARALLEL
) -> None:
    """Runs the jobs, at most `limit` at once. A job is taken from `jobs` only once it has a
    slot, so one stopped here is never left un-awaited; stopped (Ctrl-C) or failing, the jobs
    still running are cancelled and waited for, so none outlives the caller's clean-up (a
    check meeting the database it used already closed)."""
    slots = asyncio.Semaphore(limit)

    async def run(job: Awaitable[None]) -> None:
        try:
            await job
        finally:
            slots.release()
            after_each()

    waiting = iter(jobs)
    tasks: list[asyncio.Task[None]] = []
    try:
        while True:
            await slots.acquire()
            job = next(waiting, None)
            if job is None:
                break
            tasks.append(asyncio.create_task(run(job)))
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class _PhotoChecker:
    def __init__(
        self,
        db: AppDatabase,
        store: BlobStore,
        tmp_dir: Path,
        report: Report,
        checksums: bool,
        repair: bool,
        max_pixels: int,
        listed: dict[str, BlobInfo],
    ) -> None:
        self.db = db
        self.store = store
        self.tmp_dir = tmp_dir
        self.report = report
        self.checksums = checksums
        self.repair = repair
        self.max_pixels = max_pixels
        self.listed = listed

    async def _present(self, key: str) -> BlobInfo | None:
        return self.listed.get(key) or await self.store.stat(key)

    async def _still_used(self, digest: str) -> bool:
        # A photo deleted since the snapshot takes its files with it: not a problem.
        found = await self.db.fetchval("SELECT 1 FROM photos WHERE sha256 = ? LIMIT 1", (digest,))
        return found is not None

    async def check(self, digest: str, size: int, ids: str, turns: set[int]) -> None:
        whose = f"(photo {ids.replace(',', ', ')})"
        key = original_key(digest)
        try:
            info = await self._present(key)
            if info is None:
                if await self._still_used(digest):
                    self.report.add(PROBLEM, f"original missing: {key} {whose}")
                return
            if info.size != size:
                self.report.add(
                    PROBLEM, f"original is {info.size} bytes, should be {size}: {key} {whose}"
                )
                return
            if self.checksums:
                actual = await self._sha256(key)
                if actual is None:
                    return
                if actual != digest:
                    self.report.add(
                        PROBLEM, f"original's SHA-256 is wrong ({actual}): {key} {whose}"
                    )
                    return
            for turn in sorted(turns):
                missing = [
                    name
                    for name in RENDITIONS
                    if await self._present(rendition_key(digest, name, turn)) is None
                ]
                if missing and await self._still_used(digest):
                    await self._missing_renditions(digest, missing, turn, whose)
        except StorageError as exc:
            self.report.add(PROBLEM, f"could not read {key}: {exc} {whose}")

    async def _sha256(self, key: str) -> str | None:
        hasher = hashlib.sha256()
        try:
            async for chunk in self.store.stream(key):
                hasher.update(chunk)
        except BlobNotFound:
            return None
        return hasher.hexdigest()

    async def _missing_renditions(
        self, digest: str, missing: list[str], turn: int, whose: str
    ) -> None:
        keys = ", ".join(rendition_key(digest, name, turn) for name in missing)
        if not self.repair:
            self.report.add(PROBLEM, f"rendition missing: {keys} {whose}")
            return
        try:
            regenerated = await regenerate(
                self.db, self.store, self.tmp_dir, digest, missing, turn, self.max_pixels
            )
        except images.ImageError as exc:
            self.report.add(PROBLEM, f"rendition missing, could not regenerate ({exc}): {keys}")
        except NotMade as exc:
            self.report.add(PROBLEM, f"rendition missing, could not be {exc.what} ({exc}): {keys}")
        else:
            if regenerated:
                text = f"rendition regenerated from the original: {keys} {whose}"
                self.report.add(REPAIRED, text)


def _age(modified: float) -> str:
    seconds = max(0, time.time() - modified)
    if seconds < 120:
        return f"{seconds:.0f} s old"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min old"
    return f"{seconds / 3600:.1f} h old"


def _young(grace: float) -> str:
    return f"younger than the {grace:g} s grace period (an upload may still be using it)"


async def _check_leftover_blobs(
    db: AppDatabase,
    store: BlobStore,
    leftovers: list[BlobInfo],
    report: Report,
    *,
    repair: bool,
    grace: float,
    keep: bool,
    kept_originals: set[str],
) -> None:
    for info in leftovers:
        match = DIGEST_IN_KEY.search(info.key)
        digest = match.group(1) if match else None
        text = f"stored file no photo refers to: {info.key} ({_age(info.modified)})"
        if digest is None or info.key not in _keys_of(digest, set(blobs.ROTATIONS)):
            # Not named as the archive names its files: someone else's (a bucket shared without
            # a prefix, another archive under a longer one), never the archive's to delete.
            report.add(LEFT_ALONE, f"stored file not of the archive's: {info.key}; left as it is")
        elif time.time() - info.modified < grace:
            report.add(LEFT_ALONE, f"{text}, {_young(grace)}")
        elif keep or (digest in kept_originals and info.key == original_key(digest)):
            report.add(LEFT_ALONE, f"{text}; {KEPT_AT_RESTORE}")
        elif not repair:
            report.add(PROBLEM, text)
        else:
            outcome = await _delete_leftover(db, store, info.key, digest, grace)
            if outcome is not None:
                report.add(*outcome)
            else:
                report.add(REPAIRED, f"{text}; deleted")


async def _still_wanted(db: AppDatabase, key: str, digest: str) -> bool:
    """Whether a photo uses the file now: an original while any photo has its bytes, a
    rendition while one of them is shown turned its way (library/rotations.py)."""
    match = DIGEST_IN_KEY.search(key)
    if match is None or match.group(3) is None:  # an original
        return await blobs.referenced(db, digest)
    return int(match.group(2) or 0) in await blobs.rotations_in_use(db, digest)


async def _delete_leftover(
    db: AppDatabase, store: BlobStore, key: str, digest: str | None, grace: float
) -> tuple[str, str] | None:
    """Delete an unreferenced blob; None when done, else the finding to report instead.

    The check and the delete happen under the digest's named lock, which an upload of the same
    bytes holds until its photo is saved, so a blob cannot be deleted just as a new photo starts
    using it; no database transaction is held while the store answers.
    """
    try:
        async with contextlib.AsyncExitStack() as held:
            if digest is not None:
                await held.enter_async_context(db.lock(blobs.lock_name(digest)))
                if await _still_wanted(db, key, digest):
                    return LEFT_ALONE, f"stored file {key} now belongs to a new photo"
            current = await store.stat(key)
            if current is not None:
                if time.time() - current.modified < grace:
                    return LEFT_ALONE, f"stored file {key} was just rewritten; {_young(grace)}"
                await store.delete(key)
    except StorageError as exc:
        return PROBLEM, f"stored file no photo refers to: {key}; could not delete it: {exc}"
    return None


def _check_temp_files(tmp_dir: Path, report: Report, *, repair: bool, grace: float) -> None:
    """Files in the temp dir outlive their request only when the server died mid-upload."""
    if not tmp_dir.is_dir():
        return
    for path in sorted(p for p in tmp_dir.rglob("*") if p.is_file()):
        try:
            modified = path.stat().st_mtime
        except FileNotFoundError:
            continue  # its request just finished
        text = f"temp file: {path} ({_age(modified)})"
        if time.time() - modified < grace:
            report.add(LEFT_ALONE, f"{text}, {_young(grace)}")
        elif repair:
            path.unlink(missing_ok=True)
            report.add(REPAIRED, f"{text}; deleted")
        else:
            report.add(PROBLEM, text)
