"""Zip downloads of many originals (an album, a share link), streamed as they are read.

The standard library's zipfile writes to any object with `write` and `tell`: without `seek` it
puts each file's sizes and CRC in a data descriptor after its bytes, so nothing is held back
and memory stays at one chunk whatever the album's size. Entries are stored, not deflated
(JPEG, HEIC and WebP do not shrink), and ZIP64 is used where sizes or counts need it. No
dependency was worth adding for this: zipfile is exactly the tool, and it is CRC-checked by
every unzip there is (tests read the result back with zipfile itself).

Each original goes out as this viewer may have it: location blanked for anyone but its owner
(see originals.py), or left out, with a note in the zip saying why, when it cannot be blanked.
Albums, share links and chosen photos (downloads.py) all go through `originals_of` and
`stream`; members are made as their turn comes, so the first bytes leave before the last
photo is even looked at.

A zip entry's date and time (DOS) has no zone: every reader shows it as it is, as local time.
So each entry's is the wall clock of the archive's zone (PHOTOARCHIVE_TIMEZONE) at the moment
it stands for: a date taken without an offset is already a wall clock (the camera's) and goes
as it is; one with an offset, and an upload time, are instants read in the archive's zone. The
instant itself goes in each entry's extended timestamp (extra field 0x5455, UTC seconds), which
unzip and most file managers prefer, and show in their reader's own zone.
"""

from __future__ import annotations

import logging
import re
import struct
import unicodedata
import zipfile
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import TypeVar

from photoarchive import clock
from photoarchive.accounts.users import User
from photoarchive.errors import Forbidden, NotFound, Unavailable
from photoarchive.library import originals
from photoarchive.library.photos import Photo
from photoarchive.services import Services
from photoarchive.storage import StorageError, original_key

T = TypeVar("T")
log = logging.getLogger("photoarchive")
LEFT_OUT = "NOT INCLUDED.txt"
_NAME_MAX = 180  # characters of a name in the zip, its ending included
_NAME_BYTES = 240  # and its bytes in UTF-8, a number added for a name given twice included
_ENDING_MAX = 10
# Folders, control characters, what Windows refuses, and the marks that turn text around
# (U+202E shows `photo<RLO>gpj.exe` as `photoexe.jpg`): a name shows what it ends with.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|\u200e\u200f\u202a-\u202e\u2066-\u2069]+")
# The extended timestamp extra field (Info-ZIP's "UT"): its id, and flags 1 (a modification
# time follows), the same 9 bytes in the local header and in the central directory.
_EXTENDED_TIME = 0x5455
_MODIFIED = 1
# Its time is four bytes, read as signed by some readers and unsigned by others: only the
# moments both read alike (1970 to January 2038) are written; the DOS time carries the rest.
_EXTENDED_RANGE = range(0, 2**31)
UNREADABLE = "its file could not be read from the archive's storage; tell its administrator."


class Withdrawn(Exception):
    """Raised by a zip's members between two files: what it was made of is no longer to be
    had (a share link turned off). The zip ends there, with no directory."""


@dataclass(frozen=True)
class Member:
    """One file of the zip: its name, its time (the wall clock it is shown at, without a zone),
    its size as stored, its bytes (opened only when its turn comes), and the moment its time
    stands for (UTC seconds; None when not known: then there is no extended timestamp)."""

    name: str
    modified: datetime
    size: int
    chunks: Callable[[], AsyncIterator[bytes]]
    moment: float | None = None


class _Sink:
    """Where zipfile writes: bytes are taken out as soon as they are written. It can tell its
    position but not seek, which makes zipfile stream (data descriptors)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._position = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


async def stream(members: Iterable[Member] | AsyncIterable[Member]) -> AsyncIterator[bytes]:
    """The zip of `members`, chunk by chunk; cut short when they are `Withdrawn`: it then
    ends without its directory, which no unzip takes for a whole zip."""
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        try:
            async for member in _each(members):
                info = zipfile.ZipInfo(member.name, _zip_time(member.modified))
                info.compress_type = zipfile.ZIP_STORED
                info.file_size = member.size  # lets zipfile choose ZIP64 for a file over 4 GiB
                info.external_attr = 0o644 << 16
                info.extra = _extended_time(member.moment)
                with zf.open(info, mode="w") as entry:
                    async for chunk in member.chunks():
                        entry.write(chunk)
                        if data := sink.take():
                            yield data
                if data := sink.take():
                    yield data
        except Withdrawn:
            return  # what closing writes (the directory) is never taken from the sink
    if data := sink.take():  # the central directory
        yield data


async def _each(items: Iterable[T] | AsyncIterable[T]) -> AsyncIterator[T]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    """A zip's time of day (no zone, two-second steps, 1980-2107)."""
    year = min(max(moment.year, 1980), 2107)
    return (year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


def _extended_time(moment: float | None) -> bytes:
    """The extended timestamp extra field of `moment`; nothing for none, or one it cannot hold."""
    if moment is None or int(moment) not in _EXTENDED_RANGE:
        return b""
    return struct.pack("<HHBl", _EXTENDED_TIME, 5, _MODIFIED, int(moment))


class Names:
    """Names safe inside a zip (no folders, no control characters), each given once: a second
    "IMG_1.jpg" becomes "IMG_1 (2).jpg". Kept as the zip is written: only the names so far."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def give(self, raw: str) -> str:
        name = _UNSAFE.sub("_", unicodedata.normalize("NFC", raw)).strip(" .") or "photo"
        path = PurePosixPath(name)
        stem, suffix = path.stem or "photo", path.suffix
        if len(suffix) > _ENDING_MAX:  # a dot in a long name, not an ending
            stem, suffix = name, ""
        # Shortened before its ending, which stays: the computer opens the file by it (cut
        # at 180, `x…x.html-page.jpg` would be an .html).
        stem = stem[: _NAME_MAX - len(suffix)]
        candidate, number = _fit(stem, suffix), 1
        # One name whatever its case, as a Mac's or Windows' disk takes it (ΟΔΟΣ is οδος).
        while candidate.casefold() in self._taken or candidate == LEFT_OUT:
            number += 1
            candidate = _fit(stem, f" ({number}){suffix}")
        self._taken.add(candidate.casefold())
        return candidate


def _fit(stem: str, tail: str) -> str:
    """`stem` + `tail` within the bytes a file name may take on disk (255 in UTF-8 on Linux
    and macOS): 180 characters of Japanese are 540 bytes, which unzip could not write."""
    room = _NAME_BYTES - len(tail.encode())
    return stem.encode()[:room].decode("utf-8", "ignore").rstrip(" .") + tail


def unique_names(names: Sequence[str]) -> list[str]:
    """`Names` for a list known in advance."""
    given = Names()
    return [given.give(raw) for raw in names]


def _entry_time(photo: Photo, zone_name: str) -> tuple[datetime, float | None]:
    """The wall-clock time of `photo`'s entry in the archive's zone `zone_name` ("": the
    server's), and the moment it stands for: its date taken, else its upload. A date taken
    without an offset is the camera's wall clock, kept as it is (its moment read in the
    archive's zone); an instant is read on the archive's clock."""
    for stamp in (photo.taken_at, photo.created_at):
        try:
            found = datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None
        except ValueError:
            continue
        if found is None:
            continue
        if found.tzinfo is None:
            return found, clock.moment_of(found, zone_name)
        moment = found.timestamp()
        return clock.local_time(moment, zone_name), moment
    return datetime(1980, 1, 1), None


async def originals_of(
    svc: Services,
    photos: Iterable[Photo | None] | AsyncIterable[Photo | None],
    viewer: User | None,
    *,
    camera: bool = True,
) -> AsyncIterator[Member]:
    """The members for `photos` (each already allowed to `viewer` by the caller), originals
    as the viewer may have them (without their camera's details unless `camera`: see
    originals.holder_patches), made one at a time as the zip asks; a note at the end lists
    those that could not go out. A None in `photos` stands for a photo the viewer may not
    have at all: it is only counted, never named (its name would tell it is there)."""
    names = Names()
    zone = svc.settings.timezone
    missing: list[str] = []
    unseen = 0
    async for photo in _each(photos):
        if photo is None:
            unseen += 1
            continue
        name = names.give(originals.download_name(photo, camera=camera))
        try:
            patches = await originals.holder_patches(svc, photo, viewer, camera=camera)
            chunks = await _opened(svc, photo, patches)
        except (Forbidden, NotFound, Unavailable) as exc:
            missing.append(f"{name}: {exc.message}")
            continue
        wall, moment = _entry_time(photo, zone)
        yield Member(name, wall, photo.bytes, chunks, moment)
    if missing or unseen:
        note = _note(missing, unseen).encode()
        now = clock.now()
        yield Member(LEFT_OUT, clock.local_time(now, zone), len(note), _constant(note), now)


def _note(missing: list[str], unseen: int) -> str:
    lines = []
    if unseen:
        # No reason and no name: that would tell whether the photo exists.
        lines.append(f"{unseen} {'photo' if unseen == 1 else 'photos'} could not be included.")
    if missing:
        lines.append("These photos are not in this download:\n\n" + "\n".join(missing))
    return "\n\n".join(lines) + "\n"


async def _opened(
    svc: Services, photo: Photo, patches: list[tuple[int, bytes]]
) -> Callable[[], AsyncIterator[bytes]]:
    """`photo`'s original as it goes out, its first chunk read already: one missing from the
    store, or a store that fails, is then told in the note, instead of ending the zip halfway
    (and every later try at the same point). A failure past the first chunk still ends it."""
    chunks = svc.store.stream(original_key(photo.sha256))
    if patches:
        chunks = originals.patched(chunks, 0, patches)
    try:
        first = await anext(chunks, None)
    except StorageError as exc:
        log.error("Photo %s left out of a zip: %s", photo.id, exc)
        raise Unavailable(UNREADABLE) from None

    async def rest() -> AsyncIterator[bytes]:
        try:
            if first is None:
                return
            yield first
            async for chunk in chunks:
                yield chunk
        finally:  # a file or an S3 answer let go at once, the zip whole or given up
            await _close(chunks)

    return rest


async def _close(chunks: AsyncIterator[bytes]) -> None:
    close = getattr(chunks, "aclose", None)
    if close is not None:
        await close()


def _constant(data: bytes) -> Callable[[], AsyncIterator[bytes]]:
    async def chunks() -> AsyncIterator[bytes]:
        yield data

    return chunks
