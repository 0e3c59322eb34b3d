"""`storage.readable_file`: a stored blob as a file that Pillow or the redactor can read. On the
local store it is the store's own file; from a bucket (real S3 servers: rclone and moto) it is
a temp copy that is gone when the block ends, however it ends. A blob missing from a bucket is
BlobNotFound, and a store that cannot be read is StorageError."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from photoarchive.settings import Settings
from photoarchive.storage import BlobNotFound, StorageError, readable_file
from photoarchive.storage.local import LocalBlobStore
from photoarchive.storage.s3 import S3BlobStore
from tests.cloud import S3Server

KEY = "originals/ab/cd/abcd"
MISSING = "originals/ef/01/ef01"
DATA = os.urandom(700 * 1024)  # several of a store's read chunks


@pytest.fixture(params=["rclone", "moto"])
def s3(request: pytest.FixtureRequest) -> S3Server:
    return request.getfixturevalue(request.param)


def temp_dir(tmp_path: Path) -> Path:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    return tmp


def test_the_local_store_hands_over_its_own_file(tmp_path: Path) -> None:
    tmp = temp_dir(tmp_path)
    store = LocalBlobStore(tmp_path / "blobs", tmp)

    async def run() -> None:
        await store.put_bytes(KEY, DATA)
        async with readable_file(store, KEY, tmp) as path:
            assert path == store.local_path(KEY)
            assert path.read_bytes() == DATA
            assert list(tmp.iterdir()) == []  # no copy made
        assert path.read_bytes() == DATA  # the store's file stays where it is

        # Nor for a missing one: its reader finds it missing, as it would the store's file.
        async with readable_file(store, MISSING, tmp) as path:
            assert path == store.local_path(MISSING)
            with pytest.raises(FileNotFoundError):
                path.read_bytes()
        assert list(tmp.iterdir()) == []

    asyncio.run(run())


def test_a_bucket_blob_is_copied_and_the_copy_goes_however_the_block_ends(
    s3: S3Server, tmp_path: Path
) -> None:
    tmp = temp_dir(tmp_path)
    store = S3BlobStore(Settings(**s3.settings(s3.new_bucket())))

    async def run() -> None:
        await store.put_bytes(KEY, DATA)
        try:
            async with readable_file(store, KEY, tmp, prefix="turn-") as path:
                assert path.parent == tmp and path.name.startswith("turn-")
                assert path.read_bytes() == DATA
            assert list(tmp.iterdir()) == []

            with pytest.raises(RuntimeError, match="the reader failed"):
                async with readable_file(store, KEY, tmp):
                    assert list(tmp.iterdir()) != []
                    raise RuntimeError("the reader failed")
            assert list(tmp.iterdir()) == []

            inside = asyncio.Event()

            async def reader_cancelled_inside() -> None:
                async with readable_file(store, KEY, tmp):
                    inside.set()
                    await asyncio.Event().wait()  # until cancelled

            task = asyncio.create_task(reader_cancelled_inside())
            await inside.wait()
            assert list(tmp.iterdir()) != []
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert list(tmp.iterdir()) == []
        finally:
            await store.close()

    asyncio.run(run())


def test_a_missing_bucket_blob_and_a_failing_store_are_told_apart(
    s3: S3Server, tmp_path: Path
) -> None:
    tmp = temp_dir(tmp_path)
    entered = False

    async def run() -> None:
        nonlocal entered
        store = S3BlobStore(Settings(**s3.settings(s3.new_bucket())))
        gone = S3BlobStore(Settings(**s3.settings("no-such-bucket-here")))
        try:
            with pytest.raises(BlobNotFound):
                async with readable_file(store, MISSING, tmp):
                    entered = True
            assert list(tmp.iterdir()) == []

            with pytest.raises(StorageError) as failed:
                async with readable_file(gone, KEY, tmp):
                    entered = True
            assert not isinstance(failed.value, BlobNotFound)
            assert list(tmp.iterdir()) == []
        finally:
            await store.close()
            await gone.close()

    asyncio.run(run())
    assert not entered


def test_a_temp_folder_that_cannot_take_the_copy_is_a_storage_error(
    moto: S3Server, tmp_path: Path
) -> None:
    store = S3BlobStore(Settings(**moto.settings(moto.new_bucket())))

    async def run() -> None:
        await store.put_bytes(KEY, DATA)
        try:
            with pytest.raises(StorageError, match="temp copy"):
                async with readable_file(store, KEY, tmp_path / "not-there"):
                    pytest.fail("no copy was made")
        finally:
            await store.close()

    asyncio.run(run())
