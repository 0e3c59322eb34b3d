"""A missing rendition made again from its original, for `verify --repair`: the original
copied to a temp file, decoded, turned as its photos are shown, and the renditions stored
under the lock that turns and deletions of the same bytes take (see library/blobs).

What stops it is said as what it is: the store failing to give the original is a read
(StorageError, reported by verify), while the temp copy or the store refusing to take what
was made is `NotMade`, with the reason (a full disk, in plain words).
"""

from __future__ import annotations

import asyncio
import errno
import tempfile
from pathlib import Path
from typing import IO

from photoarchive.db import AppDatabase
from photoarchive.library import blobs
from photoarchive.media import images
from photoarchive.storage import BlobStore, StorageError, original_key, rendition_key


class NotMade(Exception):
    """A missing rendition that could not be made again (`what`: "made", "written"), for a
    reason other than the original's bytes: the message is that reason."""

    def __init__(self, what: str, reason: str) -> None:
        super().__init__(reason)
        self.what = what


async def regenerate(
    db: AppDatabase,
    store: BlobStore,
    tmp_dir: Path,
    digest: str,
    missing: list[str],
    turn: int,
    max_pixels: int,
) -> bool:
    """Make the `missing` renditions of `digest` at `turn` again; False when no photo of these
    bytes is shown at `turn` any more (turned or deleted meanwhile), so none were wanted."""
    # The temp file is made and removed on the event loop itself (one quick system call each):
    # made in a thread, a Ctrl-C arriving meanwhile would lose its name with the file still
    # there, and removed in a thread, the process could end before the thread ran.
    try:
        handle = _temp_file(tmp_dir)
    except OSError as exc:
        raise NotMade("made", _temp_reason(tmp_dir, exc)) from exc
    path = Path(handle.name)
    try:
        with handle:
            # Reading the store fails as StorageError (reported as such by verify); writing
            # the temp copy fails here, as the OSError it is.
            async for chunk in store.stream(original_key(digest)):
                try:
                    await asyncio.to_thread(_write_through, handle, chunk)
                except OSError as exc:
                    raise NotMade("made", _temp_reason(tmp_dir, exc)) from exc
        made = await asyncio.to_thread(images.turned, path, max_pixels, turn)
    finally:
        path.unlink(missing_ok=True)  # noqa: ASYNC240  # see above: on the loop, on purpose
    # Renditions of a turn no photo is shown at would be left over for good.
    async with db.lock(blobs.lock_name(digest)):
        if turn not in await blobs.rotations_in_use(db, digest):
            return False
        for rendition in made.renditions:
            key = rendition_key(digest, rendition.name, turn)
            if rendition.name in missing and await store.stat(key) is None:
                try:
                    await store.put_bytes(key, rendition.data)
                except StorageError as exc:  # full, or refusing writes: not a read
                    raise NotMade("written", str(exc)) from exc
    return True


def _temp_reason(tmp_dir: Path, exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"no room for the original's temp copy in {tmp_dir}: its disk is full"
    return f"the original's temp copy in {tmp_dir}: {exc.strerror or exc}"


def _temp_file(tmp_dir: Path) -> IO[bytes]:
    tmp_dir.mkdir(parents=True, exist_ok=True)
    return tempfile.NamedTemporaryFile(dir=tmp_dir, prefix="verify-", delete=False)


def _write_through(handle: IO[bytes], chunk: bytes) -> None:
    """Write and flush: a full disk fails here, not later when the file is closed."""
    handle.write(chunk)
    handle.flush()
