"""Bulk import: every photo under some folders, through the same `photos.add` as an upload.

Files are hashed first, so whatever is already stored is skipped without copying (a second run
imports nothing; an interrupted run is simply started again). New files are copied to the temp
dir (`photos.add` consumes its input, and the user's own files must never be moved) and
ingested by `jobs` workers at once; Pillow releases the GIL while decoding, resizing and
encoding, so threads use every core.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from photoarchive import images, photos, users
from photoarchive.auth.passwords import Passwords
from photoarchive.db import Database
from photoarchive.errors import AppError
from photoarchive.photos import IncomingFile
from photoarchive.services import Services
from photoarchive.settings import Settings
from photoarchive.storage import BlobStore
from photoarchive.users import User

CHUNK = 1024 * 1024
# Folders that NAS boxes and desktops fill with their own thumbnails and caches.
SKIPPED_DIRS = frozenset({"@eaDir", "#recycle", "__MACOSX", ".thumbnails"})


@dataclass
class Report:
    imported: int = 0
    duplicates: int = 0
    refused: list[tuple[Path, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return self.imported + self.duplicates + len(self.refused)

    def summary(self) -> str:
        rate = self.total / self.seconds if self.seconds else 0.0
        lines = [
            f"imported {self.imported}, duplicates {self.duplicates}, refused {len(self.refused)}"
            f" in {self.seconds:.1f} s ({rate:.2f} files/s)"
        ]
        lines += [f"  refused {path}: {reason}" for path, reason in self.refused]
        return "\n".join(lines)


def find_files(paths: Sequence[Path]) -> Iterator[Path]:
    """Every regular file under `paths`, in a stable order; hidden files and NAS caches skipped."""
    for root in paths:
        if root.is_file():
            yield root
            continue
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
            for name in sorted(files):
                if not name.startswith("."):
                    yield Path(folder) / name


def _sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _copy_hashed(source: Path, target: Path) -> str:
    """Copy `source` over `target`, hashing what was actually copied."""
    digest = hashlib.sha256()
    with open(source, "rb") as src, open(target, "wb") as dst:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            dst.write(chunk)
    return digest.hexdigest()


def caption_for(path: Path) -> str:
    """`2019-07 Beach_day.jpg` -> `2019-07 Beach day`."""
    return " ".join(path.stem.replace("_", " ").split())[: photos.CAPTION_MAX]


async def import_one(
    svc: Services, owner: User, path: Path, *, caption_from_filename: bool
) -> tuple[str, str]:
    """("imported" | "duplicate" | "refused", reason) for one file; never raises an AppError."""
    try:
        stat = await asyncio.to_thread(path.stat)
        if stat.st_size > svc.settings.max_upload_bytes:
            return "refused", f"larger than the {svc.settings.max_upload_mb} MB limit"
        digest, size = await asyncio.to_thread(_sha256, path)
        known = await svc.db.fetchval(
            "SELECT 1 FROM photos WHERE owner_id = ? AND sha256 = ?", (owner.id, digest)
        )
        if known:
            return "duplicate", ""
        fd, name = tempfile.mkstemp(dir=svc.settings.tmp_dir, prefix="import-")
        os.close(fd)
        copy = Path(name)
        try:  # named here, so that an interruption at any await cannot leave it behind
            if await asyncio.to_thread(_copy_hashed, path, copy) != digest:
                return "refused", "the file changed while it was being imported"
            incoming = IncomingFile(
                copy, path.name, digest, size, file_date=images.file_date(stat.st_mtime)
            )
            caption = caption_for(path) if caption_from_filename else ""
            _photo, duplicate = await photos.add(svc, owner, incoming, caption)
        finally:
            await asyncio.to_thread(copy.unlink, missing_ok=True)  # consumed, or left over
    except AppError as exc:
        return "refused", exc.message
    except OSError as exc:
        return "refused", f"could not be read ({exc.strerror or exc})"
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
    console: Console | None = None,
) -> Report:
    """Import every file under `paths` for `owner` with `jobs` files in flight at once."""
    console = console or Console(stderr=True)
    files = list(find_files(paths))
    report = Report()
    queue: asyncio.Queue[Path] = asyncio.Queue()
    for path in files:
        queue.put_nowait(path)
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

    async def worker(task_id: int) -> None:
        while not queue.empty():
            path = queue.get_nowait()
            outcome, reason = await import_one(
                svc, owner, path, caption_from_filename=caption_from_filename
            )
            if outcome == "imported":
                report.imported += 1
            elif outcome == "duplicate":
                report.duplicates += 1
            else:
                report.refused.append((path, reason))
                progress.console.print(
                    f"refused {path}: {reason}", markup=False, highlight=False, soft_wrap=True
                )
            progress.advance(task_id)

    started = time.perf_counter()
    with progress:
        task_id = progress.add_task("import", total=len(files))
        await asyncio.gather(*(worker(task_id) for _ in range(max(1, jobs))))
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
    out: TextIO = sys.stdout,
) -> int:
    """The `photoarchive import` command: 0 when every file is stored, 1 when some were refused."""
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        print(f"photoarchive: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.database_path, readers=2)
    await store.check()
    await db.open()
    svc = Services(
        settings=settings,
        db=db,
        store=store,
        passwords=Passwords(settings.argon2_memory_kib, settings.argon2_time_cost),
        image_slots=asyncio.Semaphore(jobs),
    )
    try:
        try:
            owner = await users.by_username(db, username)
        except AppError as exc:
            print(f"photoarchive: {exc.message}", file=sys.stderr)
            return 2
        report = await import_paths(
            svc, owner, paths, jobs=jobs, caption_from_filename=caption_from_filename
        )
    finally:
        await db.close()
        await store.close()
    print(report.summary(), file=out)
    return 1 if report.refused else 0
