"""The S3 blob store against real S3 servers (rclone checks signatures; moto does multipart as
AWS does): round trips, ranges, streamed multipart uploads, aborts, and start-up checks."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tracemalloc
from pathlib import Path

import pytest

from photoarchive.settings import Settings
from photoarchive.storage import StorageError
from photoarchive.storage.s3 import S3BlobStore
from tests.cloud import S3Server, free_port

PART = 5 * 1024 * 1024  # the smallest part S3 accepts


@pytest.fixture(params=["rclone", "moto"])
def s3(request: pytest.FixtureRequest) -> S3Server:
    return request.getfixturevalue(request.param)


def store_for(
    server: S3Server, bucket: str, part_size: int = PART, **overrides: object
) -> S3BlobStore:
    return S3BlobStore(Settings(**server.settings(bucket, **overrides)), part_size=part_size)


def random_file(path: Path, size: int) -> bytes:
    data = os.urandom(size)
    path.write_bytes(data)
    return data


def test_round_trip_ranges_list_and_delete(s3: S3Server, tmp_path: Path) -> None:
    bucket = s3.new_bucket()
    big = tmp_path / "big"
    data = random_file(big, 2 * PART + 1234)  # three parts

    async def run() -> None:
        store = store_for(s3, bucket)
        try:
            await store.check()
            await store.put_file("originals/ab/cd/abcd", big)
            assert not big.exists()  # consumed, as the local store consumes it
            info = await store.stat("originals/ab/cd/abcd")
            assert info is not None and info.size == len(data)
            assert await store.get_bytes("originals/ab/cd/abcd") == data
            for start, end in [
                (0, 10),
                (PART - 5, PART + 5),
                (len(data) - 7, None),
                (3, len(data)),
            ]:
                got = b"".join([c async for c in store.stream("originals/ab/cd/abcd", start, end)])
                assert got == data[start:end], (start, end)
            await store.put_bytes("thumbnails/ab/cd/abcd.webp", b"small")
            listed = sorted([i.key async for i in store.list()])
            assert listed == ["originals/ab/cd/abcd", "thumbnails/ab/cd/abcd.webp"]
            assert [i.key async for i in store.list("thumbnails/")] == [
                "thumbnails/ab/cd/abcd.webp"
            ]
            assert await store.stat("previews/missing") is None
            await store.delete("originals/ab/cd/abcd")
            await store.delete("thumbnails/ab/cd/abcd.webp")
            assert [i async for i in store.list()] == []
        finally:
            await store.close()

    asyncio.run(run())
    assert s3.keys(bucket) == []  # the start-up check's probe object is gone too


def test_large_upload_is_multipart_and_memory_stays_flat(moto: S3Server, tmp_path: Path) -> None:
    bucket = moto.new_bucket()

    async def peak_while_storing(size: int, key: str) -> int:
        path = tmp_path / key
        random_file(path, size)
        store = store_for(moto, bucket)
        try:
            await store.check()
            tracemalloc.start()
            await store.put_file(key, path)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            await store.close()

    small = asyncio.run(peak_while_storing(3 * PART, "three-parts"))
    large = asyncio.run(peak_while_storing(9 * PART, "nine-parts"))
    assert large < 3 * PART, f"peak {large / 2**20:.1f} MiB for a {9 * PART / 2**20:.0f} MiB file"
    assert large < small + PART  # three times the file, not three times the memory
    head = moto.client().head_object(Bucket=bucket, Key="archive/nine-parts")
    assert head["ContentLength"] == 9 * PART
    assert head["ETag"].strip('"').endswith("-9")  # S3's mark of a 9-part upload


def test_cancelled_upload_is_aborted_and_leaves_nothing(moto: S3Server, tmp_path: Path) -> None:
    bucket = moto.new_bucket()
    client = moto.client()
    path = tmp_path / "upload"
    random_file(path, 20 * 1024 * 1024)

    async def run() -> None:
        # small parts: cancelled long before the end (S3 only checks part sizes at completion)
        store = store_for(moto, bucket, part_size=256 * 1024)
        try:
            task = asyncio.create_task(store.put_file("originals/x", path))
            while True:
                uploads = await asyncio.to_thread(client.list_multipart_uploads, Bucket=bucket)
                if uploads.get("Uploads"):
                    upload = uploads["Uploads"][0]
                    parts = await asyncio.to_thread(
                        client.list_parts,
                        Bucket=bucket,
                        Key=upload["Key"],
                        UploadId=upload["UploadId"],
                    )
                    if parts.get("Parts"):
                        break
                assert not task.done(), "the upload finished before it could be cancelled"
                await asyncio.sleep(0.01)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        finally:
            await store.close()

    asyncio.run(run())
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert moto.keys(bucket) == []
    assert not path.exists()


def check_error(server: S3Server, bucket: str, **overrides: object) -> str:
    async def run() -> str:
        store = store_for(server, bucket, **overrides)
        try:
            await store.check()
        except StorageError as exc:
            return str(exc)
        finally:
            await store.close()
        raise AssertionError("the check passed")

    return asyncio.run(run())


def test_check_explains_wrong_credentials(rclone: S3Server) -> None:
    message = check_error(rclone, rclone.new_bucket(), s3_secret_access_key="not-the-secret")
    assert "refused the credentials" in message
    assert "PHOTOARCHIVE_S3_SECRET_ACCESS_KEY" in message


def test_check_explains_missing_bucket(s3: S3Server) -> None:
    message = check_error(s3, "no-such-bucket")
    assert "'no-such-bucket'" in message and "does not exist" in message


def test_check_explains_wrong_endpoint(moto: S3Server) -> None:
    nothing_there = f"http://127.0.0.1:{free_port()}"
    message = check_error(moto, "photos", s3_endpoint=nothing_there)
    assert "cannot reach" in message and nothing_there in message
    assert "PHOTOARCHIVE_S3_ENDPOINT" in message
