"""The stored files of a photo's bytes: its original and renditions, keyed by their SHA-256.

Every photo of the same bytes shares these files, so the rule is: a file is deleted only when
no photo refers to its digest, and a photo is saved only while its files are there. Both sides
hold the digest's named lock (`lock_name`) from their check to the end of their work, and never
a database transaction across storage I/O: a slow store then delays the uploads and deletions
of those bytes alone, not every write of the archive.

A new photo's files go to the store before the lock is asked for (`storing`'s `ahead`): on
PostgreSQL a named lock keeps a connection of the locks' pool, and ten uploads of many
megabytes each to a slow S3 held all of them, every other lock then waiting. Under the lock
each file is looked at again and stored again if a deletion took it meanwhile, so the rule
holds; the lock is held for those looks and the row.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from photoarchive.db import Backend
from photoarchive.errors import InsufficientStorage, Unavailable
from photoarchive.storage import (
    BlobStore,
    BlobUnreadable,
    StorageError,
    StorageFull,
    original_key,
    rendition_key,
)

log = logging.getLogger("photoarchive")

RENDITIONS = ("thumbnail", "preview")
# How far an owner may turn a photo, clockwise (library/rotations.py); 0 is as it came.
ROTATIONS = (0, 90, 180, 270)


def lock_name(digest: str) -> str:
    """The named lock an upload reusing these files and a deletion removing them both hold."""
    return f"blobs:{digest}"


def keys(digest: str) -> tuple[str, ...]:
    return (original_key(digest), *rendition_keys(digest, 0))


def rendition_keys(digest: str, rotation: int) -> tuple[str, ...]:
    return tuple(rendition_key(digest, name, rotation) for name in RENDITIONS)


async def referenced(db: Backend, digest: str) -> bool:
    return await db.fetchone("SELECT 1 FROM photos WHERE sha256 = ? LIMIT 1", (digest,)) is not None


async def rotations_in_use(db: Backend, digest: str) -> set[int]:
    """The turns the photos of these bytes are shown at: the renditions that must stay."""
    rows = await db.fetchall(
        "SELECT DISTINCT COALESCE(r.rotation, 0) AS rotation FROM photos p"
        " LEFT JOIN photo_rotations r ON r.photo_id = p.id WHERE p.sha256 = ?",
        (digest,),
    )
    return {row["rotation"] for row in rows}


async def discard_unreferenced(db: Backend, store: BlobStore, digest: str) -> None:
    """Delete the files of `digest` unless a photo still refers to them, and its renditions
    turned a way no photo of them is turned any more."""
    async with db.lock(lock_name(digest)):
        await discard_while_locked(db, store, digest)


async def discard_while_locked(db: Backend, store: BlobStore, digest: str) -> None:
    """`discard_unreferenced` for a caller that holds the digest's lock already.

    A photo of these bytes is only ever inserted, or turned, under that lock: none can be
    committed between the check and the deletes. Every turn is looked at, not only the one a
    caller read: a photo turned after its deleter read it must not leave its renditions."""
    in_use = await rotations_in_use(db, digest)
    unused = [
        key for turn in ROTATIONS if turn not in in_use for key in rendition_keys(digest, turn)
    ]
    if not in_use:
        unused.append(original_key(digest))
    for key in unused:
        with contextlib.suppress(StorageError):  # else left for `photoarchive verify --repair`
            await store.delete(key)


async def discard_after_failure(db: Backend, store: BlobStore, digest: str) -> None:
    """After an upload or a turn of these bytes failed, once out of the digest's lock: the
    lock taken again for the clean-up alone. Nothing is deleted but under a lock truly held (a
    lock that went with its PostgreSQL session may be another instance's by now, reusing these
    very files), and files another photo came to use meanwhile stay. A clean-up that cannot
    run (the database down, say) is logged and left for `verify --repair`: the error that ended
    the upload is the one to report."""
    try:
        await discard_unreferenced(db, store, digest)
    except Exception as exc:  # any failure here is second to the first one
        log.warning("files of %s left for verify --repair: %s", digest[:12], exc)


@contextlib.asynccontextmanager
async def storing(
    db: Backend,
    store: BlobStore,
    digest: str,
    outcome: str,
    ahead: Callable[[], Awaitable[bool]] | None = None,
) -> AsyncIterator[None]:
    """Hold the digest's lock while files of it are stored and the photo saying so is written;
    `ahead`, if given, may store files before the lock is asked for, saying whether it did
    (the block must then look at each again, under the lock).

    Should anything fail once a file may have been stored, the files no photo refers to are
    cleaned up (`discard_after_failure`), and a store that failed is said in words a person
    understands: full -> 507, unreachable -> 503, each ending "The photo was not <outcome>".
    Failing to take the lock leaves no files to clean up but those stored ahead: for them the
    lock is asked for again (a server back from a restart answers at once; a pool busy for its
    whole wait makes the answer that much later), and if it cannot be had they are logged and
    left for `verify --repair`."""
    stage = "ahead"
    stored_ahead = False
    try:
        if ahead is not None:
            stored_ahead = await ahead()
        stage = "lock"
        async with db.lock(lock_name(digest)):
            stage = "held"
            yield
    except BaseException as exc:
        if stage != "lock" or stored_ahead:
            await discard_after_failure(db, store, digest)
        if isinstance(exc, StorageFull):
            raise InsufficientStorage(f"{exc} The photo was not {outcome}.") from None
        if isinstance(exc, BlobUnreadable):  # its name in the log alone (the digest)
            log.error("%s", exc)
            raise Unavailable(
                f"A stored file of this photo could not be read. The photo was not {outcome};"
                " tell the archive's administrator."
            ) from None
        if isinstance(exc, StorageError):
            raise Unavailable(f"{exc} The photo was not {outcome}; try again later.") from None
        raise
