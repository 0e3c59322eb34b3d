"""Blob storage: one interface, chosen by configuration. Keys are derived from content, never names."""

from __future__ import annotations

import asyncio
import errno
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from photoarchive.settings import Settings


class StorageError(Exception):
    """The store could not complete an operation (full disk, unreachable server...)."""


class StorageFull(StorageError):
    """No space left: answered with 507 rather than 503."""


class BlobNotFound(StorageError):
    pass


class BlobUnreadable(StorageError):
    """This one stored file could not be read (a bad sector, the wrong owner): the store
    itself answers, so whoever reads many files may say so and go on to the next."""


@dataclass(frozen=True)
class BlobInfo:
    key: str
    size: int
    modified: float  # seconds since the epoch


@dataclass(frozen=True)
class SignedURL:
    """A URL that lets a browser fetch one blob straight from the store until `expires_at`."""

    url: str
    expires_at: float  # seconds since the epoch


class BlobStore(Protocol):
    async def put_file(self, key: str, path: Path) -> None:
        """Store the file at `path` under `key`; the file is consumed (moved or deleted)."""

    async def put_bytes(self, key: str, data: bytes) -> None: ...

    async def get_bytes(self, key: str) -> bytes: ...

    async def stat(self, key: str) -> BlobInfo | None: ...

    def stream(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Yield the bytes [start, end) of the blob."""
        ...

    async def delete(self, key: str) -> None: ...

    def list(self, prefix: str = "") -> AsyncIterator[BlobInfo]: ...

    @property
    def signs_urls(self) -> bool:
        """Whether `signed_url` hands out URLs, so that the app sends browsers to the store for
        the bytes; settled when the store is built, for whoever decides once how to serve."""
        ...

    async def signed_url(
        self, key: str, *, content_type: str, disposition: str | None = None
    ) -> SignedURL | None:
        """A short-lived direct URL to the blob, answered with these headers; None when the
        store serves nothing itself and the app must stream the bytes."""
        ...

    def local_path(self, key: str) -> Path | None:
        """A path on this machine to serve the blob from directly, when there is one."""
        ...

    async def check(self) -> None:
        """Raise StorageError with a clear message when the store is not usable."""
        ...

    async def close(self) -> None: ...


def _fanout(digest: str) -> str:
    return f"{digest[:2]}/{digest[2:4]}/{digest}"


def original_key(sha256: str) -> str:
    return f"originals/{_fanout(sha256)}"


def rendition_key(sha256: str, name: str, rotation: int = 0) -> str:
    """A rendition of the original of `sha256`, turned `rotation` degrees clockwise by its
    owner: photos of the same bytes share their renditions only when turned alike."""
    turned = f"-r{rotation}" if rotation else ""
    return f"{name}s/{_fanout(sha256)}{turned}.webp"


@asynccontextmanager
async def readable_file(
    store: BlobStore, key: str, tmp_dir: Path, *, prefix: str = "blob-"
) -> AsyncIterator[Path]:
    """A path on this machine to read the blob `key` from (for code that wants a file, such as
    Pillow's or the redactor's): the store's own file, as it is (its reader meets a missing
    one as FileNotFoundError), or else a copy in `tmp_dir` that is gone when the block ends,
    whatever ends it: BlobNotFound when the bucket has no such blob, StorageError when it
    cannot be read or copied."""
    local = store.local_path(key)
    if local is not None:
        yield local
        return
    try:
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix=prefix)
    except OSError as exc:
        raise _copy_failed(exc) from exc
    copy = Path(name)
    try:
        try:
            with os.fdopen(fd, "wb") as handle:
                async for chunk in store.stream(key):
                    await asyncio.to_thread(handle.write, chunk)
        except OSError as exc:  # the temp folder's, not the store's: those are StorageErrors
            raise _copy_failed(exc) from exc
        yield copy
    finally:
        # Shielded: a second cancellation of the reader does not call the deletion off.
        await asyncio.shield(asyncio.to_thread(copy.unlink, missing_ok=True))


def _copy_failed(exc: OSError) -> StorageError:
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageFull(f"The temp folder is full: {reason}.")
    return StorageError(f"A temp copy of the stored file could not be written: {reason}.")


def build_store(settings: Settings) -> BlobStore:
    """The store the settings name: the data dir's blob folder, or an S3 bucket."""
    if settings.storage == "s3":
        from photoarchive.storage.s3 import S3BlobStore  # botocore loads only when used

        return S3BlobStore(settings)
    from photoarchive.storage.local import LocalBlobStore

    return LocalBlobStore(settings.blob_dir, settings.tmp_dir)
