"""The stored files of a photo's bytes: its original and renditions, keyed by their SHA-256.

Every photo of the same bytes shares these files, so the rule is: a file is deleted only when
no photo refers to its digest, and a photo is saved only while its files are there. Both sides
hold the digest's named lock (`lock_name`) from their check to the end of their work, storage
I/O included, and never a database transaction across storage I/O: a slow store then delays
the uploads and deletions of those bytes alone, not every write of the archive.
"""

from __future__ import annotations

import contextlib

from photoarchive.db import Backend
from photoarchive.storage import BlobStore, StorageError, original_key, rendition_key

RENDITIONS = ("thumbnail", "preview")


def lock_name(digest: str) -> str:
    """The named lock an upload reusing these files and a deletion removing them both hold."""
    return f"blobs:{digest}"


def keys(digest: str) -> tuple[str, ...]:
    return (original_key(digest), *(rendition_key(digest, name) for name in RENDITIONS))


async def referenced(db: Backend, digest: str) -> bool:
    return await db.fetchone("SELECT 1 FROM photos WHERE sha256 = ? LIMIT 1", (digest,)) is not None


async def discard_unreferenced(db: Backend, store: BlobStore, digest: str) -> None:
    """Delete the files of `digest` unless a photo still refers to them."""
    async with db.lock(lock_name(digest)):
        await discard_while_locked(db, store, digest)


async def discard_while_locked(db: Backend, store: BlobStore, digest: str) -> None:
    """`discard_unreferenced` for a caller that holds the digest's lock already.

    A photo of these bytes is only ever inserted under that lock: none can be committed
    between the check and the deletes."""
    if await referenced(db, digest):
        return
    for key in keys(digest):
        with contextlib.suppress(StorageError):  # else left for `photoarchive verify --repair`
            await store.delete(key)
