"""Blobs in a directory: write to a temp file, fsync, rename."""

from __future__ import annotations

import asyncio
import errno
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from photoarchive.storage import (
    BlobInfo,
    BlobNotFound,
    BlobUnreadable,
    SignedURL,
    StorageError,
    StorageFull,
)

CHUNK = 256 * 1024


class LocalBlobStore:
    def __init__(self, root: Path, tmp_dir: Path) -> None:
        self.root = root
        self.tmp_dir = tmp_dir

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"blob key escapes the store: {key!r}")
        return path

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    @property
    def signs_urls(self) -> bool:
        return False

    async def signed_url(
        self, key: str, *, content_type: str, disposition: str | None = None
    ) -> SignedURL | None:
        return None

    async def check(self) -> None:
        await asyncio.to_thread(self._check)

    def _check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self.tmp_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".check-"):
                pass
        except OSError as exc:
            raise StorageError(f"The photo folder {self.root} is not writable: {exc}") from exc

    async def put_file(self, key: str, path: Path) -> None:
        await asyncio.to_thread(self._put_file, key, path)

    def _put_file(self, key: str, path: Path) -> None:
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(path, target)
            _fsync_dir(target.parent)
        except OSError as exc:
            path.unlink(missing_ok=True)
            raise _storage_error(exc) from exc

    async def put_bytes(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._put_bytes, key, data)

    def _put_bytes(self, key: str, data: bytes) -> None:
        target = self._path(key)
        tmp: str | None = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.tmp_dir, prefix="blob-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
            tmp = None
            _fsync_dir(target.parent)
        except OSError as exc:
            raise _storage_error(exc) from exc
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)

    async def get_bytes(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError:
            raise BlobNotFound(key) from None
        except OSError as exc:
            raise _unreadable(key, exc) from None

    async def stat(self, key: str) -> BlobInfo | None:
        try:
            st = await asyncio.to_thread(os.stat, self._path(key))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise _unreadable(key, exc) from None
        return BlobInfo(key, st.st_size, st.st_mtime)

    async def stream(
        self, key: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        try:
            handle = await asyncio.to_thread(open, self._path(key), "rb")
        except FileNotFoundError:
            raise BlobNotFound(key) from None
        except OSError as exc:
            raise _unreadable(key, exc) from None
        try:
            await asyncio.to_thread(handle.seek, start)
            remaining = None if end is None else end - start
            while remaining is None or remaining > 0:
                size = CHUNK if remaining is None else min(CHUNK, remaining)
                try:
                    chunk = await asyncio.to_thread(handle.read, size)
                except OSError as exc:
                    raise _unreadable(key, exc) from None
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk
        finally:
            handle.close()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def list(self, prefix: str = "") -> AsyncIterator[BlobInfo]:
        root = self.root.resolve()
        entries = await asyncio.to_thread(_walk, root, prefix)
        for info in entries:
            yield info

    async def close(self) -> None:
        return None


def _walk(root: Path, prefix: str) -> list[BlobInfo]:
    found = []
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = Path(dirpath) / name
            key = path.relative_to(root).as_posix()
            if key.startswith(prefix) and not name.startswith(".check-"):
                try:
                    st = path.stat()
                except FileNotFoundError:  # deleted since it was listed: a purge, a turn
                    continue
                found.append(BlobInfo(key, st.st_size, st.st_mtime))
    return found


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unreadable(key: str, exc: OSError) -> BlobUnreadable:
    return BlobUnreadable(f"The stored file {key} could not be read: {exc.strerror or exc}")


def _storage_error(exc: OSError) -> StorageError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageFull("The photo store is full.")
    return StorageError(f"The photo store failed: {exc.strerror or exc}")
