"""Bulk import: every photo under some folders, through the same `ingest.add` as an upload.

Files are hashed first, so whatever is already stored is skipped without copying (a second run
imports nothing; an interrupted run is simply started again), unless the archive lost the
stored original or has it cut short: the file then puts it back, as an upload of it would.
Which files: file_lists.py. New files are copied to the temp
dir (`ingest.add` consumes its input, and the user's own files must never be moved) and
ingested by `jobs` workers at once; Pillow releases the GIL while decoding, resizing and
encoding, so threads use every core.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISDIR, S_ISREG
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from photoarchive.accounts import users
from photoarchive.accounts.passwords import Passwords
from photoarchive.accounts.users import User
from photoarchive.db import DatabaseUnavailable, build_database
from photoarchive.errors import AppError, InsufficientStorage, OverQuota
from photoarchive.library import batches, ingest
from photoarchive.library.batches import Adding
from photoarchive.library.ingest import IncomingFile, clean_filename
from photoarchive.ops import file_lists
from photoarchive.services import DecodeSlots, Services
from photoarchive.settings import Settings
from photoarchive.storage import BlobStore, StorageError, StorageFull, original_key

log = logging.getLogger("photoarchive")


@dataclass
class Report:
    imported: int = 0
    duplicates: int = 0
    in_trash: int = 0  # of the duplicates: a re-run does not bring back what was deleted
    put_back: int = 0  # of the duplicates: their originals, lost by the archive, stored again
    refused: list[tuple[Path, str]] = field(default_factory=list)
    seconds: float = 0.0
    disk_full: bool = False  # the run stopped there

    @property
    def total(self) -> int:
        return self.imported + self.duplicates + len(self.refused)

    def summary(self) -> str:
        rate = self.total / self.seconds if self.seconds else 0.0
        lines = [
            f"imported {self.imported}, duplicates {self.duplicates}"
            + (f" ({self.put_back} originals put back)" if self.put_back else "")
            + (f" ({self.in_trash} in the trash: restore them there)" if self.in_trash else "")
            + f", refused {len(self.refused)} in {self.seconds:.1f} s ({rate:.2f} files/s)"
        ]
        lines += [f"  refused {file_lists.shown(path)}: {reason}" for path, reason in self.refused]
        return "\n".join(lines)


async def import_one(
    svc: Services,
    owner: User,
    path: Path,
    *,
    caption_from_filename: bool,
    adding: Adding | None = None,
    private: bool = False,
) -> tuple[str, str]:
    """("imported" | "duplicate" | "refused", reason) for one file; never raises an AppError.
    A duplicate's reason is "in the trash" when the owner's only copy is there. DiskFull when
    the archive's disk is: no fault of this file's, nor a reason to try the next one."""
    if "\x00" in str(path):  # a list from `find -print0` read by lines, say
        return "refused", "not a file name this system can open (it holds a NUL)"
    try:
        stat = await asyncio.to_thread(path.stat)
        if S_ISDIR(stat.st_mode):  # only ever one file_lists could not walk
            if await asyncio.to_thread(path.is_symlink):
                return "refused", "a link to a folder, not followed: import the folder itself"
            return "refused", "a folder that could not be read: none of its files was imported"
        if not S_ISREG(stat.st_mode):  # a pipe or a device would block or never end
            return "refused", "not a regular file"
        if stat.st_size > svc.settings.max_upload_bytes:
            return "refused", f"larger than the {svc.settings.max_upload_mb} MB limit"
        digest, size = await asyncio.to_thread(file_lists.sha256_of, path)
        # The owner's copy of these bytes, one outside the trash first: (id, 1) or (id, 2).
        copy_row = await svc.db.fetchone(
            "SELECT p.id, CASE WHEN EXISTS (SELECT 1 FROM trashed_photos t"
            " WHERE t.photo_id = p.id) THEN 2 ELSE 1 END AS place FROM photos p"
            " WHERE p.owner_id = ? AND p.sha256 = ? ORDER BY place, p.id LIMIT 1",
            (owner.id, digest),
        )
        known = None if copy_row is None else int(copy_row["place"])
        in_trash = "in the trash" if known == 2 else ""
        stored = await svc.store.stat(original_key(digest)) if known else None
        if known and stored is not None and stored.size == size:
            return "duplicate", in_trash
        fd, name = tempfile.mkstemp(dir=svc.settings.tmp_dir, prefix="import-")
        os.close(fd)
        copy = Path(name)
        try:  # named here, so that an interruption at any await cannot leave it behind
            if await asyncio.to_thread(file_lists.copy_hashed, path, copy) != digest:
                return "refused", "the file changed while it was being imported"
            name = clean_filename(file_lists.shown(Path(path.name)))
            incoming = IncomingFile(
                copy,
                name,
                digest,
                size,
                file_date=file_lists.file_date(stat.st_mtime, svc.settings.timezone),
            )
            if copy_row is not None:
                # Its original lost by the archive: this file is the copy to put back, unless
                # that copy is purged meanwhile (these bytes then make a new photo, below).
                if await ingest.put_back_original(svc, incoming, int(copy_row["id"])):
                    return "duplicate", ", ".join(filter(None, (in_trash, "put back")))
                if await ingest.exists(svc, int(copy_row["id"])):
                    return "duplicate", in_trash  # whole again: another put it back first
            caption = file_lists.caption_for(path) if caption_from_filename else ""
            # No quota: an import is the server's operator bringing files on its own disks in;
            # the quota limits what people upload themselves (imports still count towards it).
            _photo, duplicate = await ingest.add(
                svc, owner, incoming, caption, adding, private=private, quota=False
            )
        finally:
            await asyncio.to_thread(copy.unlink, missing_ok=True)  # consumed, or left over
    except AppError as exc:
        if isinstance(exc, InsufficientStorage) and not isinstance(exc, OverQuota):
            raise DiskFull from None
        return "refused", exc.message
    except OSError as exc:  # reading the file, or writing its copy into the temp dir
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFull from None
        return "refused", f"could not be read ({exc.strerror or exc})"
    except StorageError as exc:
        if isinstance(exc, StorageFull):
            raise DiskFull from None
        return "refused", str(exc)
    return ("duplicate" if duplicate else "imported"), ""


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.1f} files/s" if speed else "- files/s", style="progress.data.speed")


async def import_paths(
    svc: Services,
    owner: User,
    paths: Sequence[Path],
    *,
    jobs: int,
    caption_from_filename: bool = False,
    private: bool = False,
    console: Console | None = None,
) -> Report:
    """Import every file under `paths` for `owner` with `jobs` files in flight at once."""
    files = list(file_lists.find_files(paths))
    options = {"caption_from_filename": caption_from_filename, "private": private}
    return await import_files(
        svc,
        owner,
        file_lists.listed(files),
        total=len(files),
        jobs=jobs,
        console=console,
        **options,
    )


async def import_files(
    svc: Services,
    owner: User,
    source: AsyncIterator[Path],
    *,
    total: int | None,
    jobs: int,
    caption_from_filename: bool = False,
    private: bool = False,
    console: Console | None = None,
) -> Report:
    """Import the files `source` yields, as they come, with `jobs` files in flight at once.

    `total` is None when the source cannot say in advance (a list read from a pipe). Cancelling
    stops every worker at its next step; what was stored stays, nothing half-done is left.
    """
    console = console or Console(stderr=True)
    report = Report()
    adding = batches.new_adding()  # the run's photos are one batch in the feed
    queue: asyncio.Queue[Path | None] = asyncio.Queue(maxsize=2 * jobs)
    progress = Progress(
        TextColumn("importing"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )

    async def feed(task_id: TaskID) -> None:
        seen = 0
        async for path in source:
            seen += 1
            await queue.put(path)
        progress.update(task_id, total=seen)
        for _ in range(jobs):
            await queue.put(None)

    async def worker(task_id: TaskID) -> None:
        while (path := await queue.get()) is not None:
            try:
                outcome, reason = await import_one(
                    svc,
                    owner,
                    path,
                    caption_from_filename=caption_from_filename,
                    adding=adding,
                    private=private,
                )
            except (DiskFull, DatabaseUnavailable):
                raise  # no fault of this file's: the run stops
            except Exception as exc:  # a fault of ours with this one file: the others go on
                log.exception("importing %s failed", file_lists.shown(path))
                outcome, reason = "refused", f"an unexpected error ({type(exc).__name__})"
            if outcome == "imported":
                report.imported += 1
            elif outcome == "duplicate":
                report.duplicates += 1
                report.in_trash += "in the trash" in reason
                report.put_back += "put back" in reason
            else:
                report.refused.append((path, reason))
                progress.console.print(
                    f"refused {file_lists.shown(path)}: {reason}",
                    markup=False,
                    highlight=False,
                    soft_wrap=True,
                )
            progress.advance(task_id)

    jobs = max(1, jobs)
    started = time.perf_counter()
    with progress:
        task_id = progress.add_task("import", total=total)
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(feed(task_id))
                for _ in range(jobs):
                    group.create_task(worker(task_id))
        except* DiskFull:  # the other workers were stopped as by Ctrl-C: nothing half-done
            report.disk_full = True
    report.seconds = time.perf_counter() - started
    return report


async def run(
    settings: Settings,
    store: BlobStore,
    paths: Sequence[Path],
    *,
    username: str,
    jobs: int,
    caption_from_filename: bool,
    private: bool = True,
    files_from: int | None = None,
    separator: bytes = b"\n",
    out: TextIO = sys.stdout,
) -> int:
    """The `photoarchive import` command: 0 when every file is stored, 1 when some were refused.

    Files come from `paths` and, with `files_from`, from a list read as it arrives. SIGTERM
    (a container or service stopping) ends it like Ctrl-C: what is stored stays, and running
    the same command again picks up where it stopped (exit 143, as for Ctrl-C's 130).
    """
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        print(f"photoarchive: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    db = build_database(settings, readers=2)
    await store.check()
    await db.open()
    svc = Services(
        settings=settings,
        db=db,
        store=store,
        passwords=Passwords(settings.argon2_memory_kib, settings.argon2_time_cost),
        image_slots=DecodeSlots(jobs),
    )
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    terminated = False

    def terminate() -> None:
        nonlocal terminated
        terminated = True
        if main is not None:
            main.cancel()

    loop.add_signal_handler(signal.SIGTERM, terminate)
    try:
        try:
            owner = await users.by_username(db, username)
        except AppError as exc:
            print(f"photoarchive: {exc.message}", file=sys.stderr)
            return 2
        source: AsyncIterator[Path]
        if files_from is None:
            files = list(file_lists.find_files(paths))
            source, total = file_lists.listed(files), len(files)
        else:
            source = file_lists.chain(
                file_lists.find_files(paths), file_lists.read_list(files_from, separator=separator)
            )
            total = None
        report = await import_files(
            svc,
            owner,
            source,
            total=total,
            jobs=jobs,
            caption_from_filename=caption_from_filename,
            private=private,
        )
    except asyncio.CancelledError:
        if not terminated or main is None:
            raise  # Ctrl-C: asyncio.run turns it into KeyboardInterrupt
        main.uncancel()
        print(INTERRUPTED, file=sys.stderr)
        return 128 + signal.SIGTERM
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
        await db.close()
        await store.close()
    print(report.summary(), file=out)
    if report.disk_full:
        print(DISK_FULL, file=sys.stderr)
        return 2
    return 1 if report.refused else 0


INTERRUPTED = "photoarchive: import interrupted; run it again to continue"
DISK_FULL = (
    "photoarchive: the archive's disk is full, so the import stopped. Free some space and run"
    " the same command again: what was stored stays, and it carries on from there."
)


class DiskFull(Exception):
    """The archive's disk, or its photo store, is full: no file after this one can be stored."""
