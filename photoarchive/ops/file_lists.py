"""The files `photoarchive import` reads: folders walked, and a list read as it arrives."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import stat
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from photoarchive import clock
from photoarchive.library import captions, photos
from photoarchive.media import images

CHUNK = 1024 * 1024
# Folders that NAS boxes and desktops fill with their own thumbnails and caches.
SKIPPED_DIRS = frozenset({"@eaDir", "#recycle", "__MACOSX", ".thumbnails"})


def find_files(paths: Sequence[Path]) -> Iterator[Path]:
    """Every regular file under `paths`, in a stable order; hidden files and NAS caches skipped.

    A folder that cannot be read, and a link to a folder (not followed: it may lead in a
    circle, or out of what was chosen), are yielded themselves, for `import_one` to refuse
    with the reason: none may pass unsaid, or the source be taken for imported whole."""
    for root in paths:
        if root.is_file():
            yield root
            continue
        unreadable: list[OSError] = []
        for folder, dirs, files in os.walk(root, onerror=unreadable.append):
            yield from _said(unreadable)
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
            for name in dirs:
                if os.path.islink(os.path.join(folder, name)):
                    yield Path(folder) / name
            for name in sorted(files):
                if not name.startswith("."):
                    yield Path(folder) / name
        yield from _said(unreadable)


def _said(errors: list[OSError]) -> Iterator[Path]:
    while errors:
        error = errors.pop(0)
        if error.filename is not None:
            yield Path(os.fsdecode(error.filename))


async def listed(files: Sequence[Path]) -> AsyncIterator[Path]:
    for path in files:
        yield path


def read_list(fd: int, *, separator: bytes = b"\n") -> AsyncIterator[Path]:
    """The files listed in the file or pipe `fd`, one per line (or per NUL with `find -print0`), as they arrive.

    A listed folder stands for the files under it. A daemon thread does the blocking reads and
    walks, so a pipe that stays open never holds up the end of the program: an interrupted
    import exits at once, whatever its input is doing. It reads the descriptor itself, not a
    buffered file object, whose lock it would still hold while Python shuts down.
    """
    loop = asyncio.get_running_loop()
    found: asyncio.Queue[Path | None] = asyncio.Queue()

    def expand(line: bytes) -> None:
        name = os.fsdecode(line.rstrip(b"\r") if separator == b"\n" else line)
        if name.strip():
            path = Path(name)
            # A missing file is passed on, for import_one to refuse with the reason.
            for each in find_files([path]) if path.is_dir() else [path]:
                loop.call_soon_threadsafe(found.put_nowait, each)

    def pump() -> None:
        pending = b""
        try:
            while chunk := os.read(fd, CHUNK):  # whatever has arrived: a pipe may be slow
                *complete, pending = (pending + chunk).split(separator)
                for line in complete:
                    expand(line)
            expand(pending)
        finally:
            loop.call_soon_threadsafe(found.put_nowait, None)

    threading.Thread(target=pump, name="import-list", daemon=True).start()

    async def paths() -> AsyncIterator[Path]:
        while (path := await found.get()) is not None:
            yield path

    return paths()


async def chain(first: Iterator[Path], then: AsyncIterator[Path]) -> AsyncIterator[Path]:
    for path in first:
        yield path
    async for path in then:
        yield path


def open_regular(path: Path) -> BinaryIO:
    """`path` opened for reading, if it is a regular file still (OSError otherwise). Opened
    without waiting: a file swapped for a pipe after it was looked at would block the import
    for good in a plain open(), waiting for a writer that never comes."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "no longer a regular file", str(path))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def sha256_of(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open_regular(path) as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def copy_hashed(source: Path, target: Path) -> str:
    """Copy `source` over `target` (an empty file made for it), hashing what was actually
    copied. `target` is opened, never made: a copy whose import was stopped while this thread
    waited to start finds its file already cleaned up, instead of leaving a new one behind."""
    digest = hashlib.sha256()
    with open_regular(source) as src, open(target, "r+b") as dst:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            dst.write(chunk)
    return digest.hexdigest()


def caption_for(path: Path) -> str:
    """`2019-07 Beach_day.jpg` -> `2019-07 Beach day`, kept as any caption is (captions.py)."""
    stem = shown(Path(path.stem))
    return captions.check_caption(" ".join(stem.replace("_", " ").split())[: photos.CAPTION_MAX])


def shown(path: Path) -> str:
    """A path as text that can be printed and stored: a name an older system wrote in another
    encoding than UTF-8 (read by Python with lone surrogates) gets U+FFFD for what it lacks."""
    return os.fsencode(path).decode("utf-8", "replace")


def file_date(mtime: float, zone_name: str) -> str | None:
    """The file's own date, as the clock read in the archive's zone (`zone_name`, "": the
    server's) when it was last written, with that offset: where a family's timeline places a
    photo the camera did not date. None for a date no calendar of ours holds (past 9999)."""
    try:
        return images.file_date(mtime, clock.zone(zone_name))
    except (ValueError, OverflowError, OSError):
        return None
