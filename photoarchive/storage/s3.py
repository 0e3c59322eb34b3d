"""Blobs in an S3 bucket (AWS, MinIO or any S3-compatible store), through aiobotocore.

Large files go up as multipart uploads read from disk one part at a time, so memory stays at
about one part whatever the file's size; a failed or cancelled upload is aborted so no parts
are left behind. Some S3-compatible servers answer a Range request with the whole object
(200); `stream` notices and cuts the range out itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import aiohttp
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from photoarchive.settings import Settings
from photoarchive.storage import BlobInfo, BlobNotFound, SignedURL, StorageError

log = logging.getLogger("photoarchive.s3")

CHUNK = 256 * 1024
PART_SIZE = 8 * 1024 * 1024  # S3 wants at least 5 MiB for every part but the last
CHECK_KEY = ".photoarchive-check"
SIGNED_CACHE_MAX = 4096

CREDENTIAL_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
}
MISSING_CODES = {"NoSuchKey", "404", "NotFound"}


class S3BlobStore:
    def __init__(self, settings: Settings, *, part_size: int = PART_SIZE) -> None:
        self.bucket = settings.s3_bucket
        self.prefix = settings.s3_prefix
        self.endpoint = settings.s3_endpoint or None
        self.region = settings.s3_region
        self.presign_seconds = settings.s3_presign_seconds if settings.s3_serve == "presign" else 0
        self.part_size = part_size
        self._credentials: dict[str, str] = {}
        if settings.s3_access_key_id:
            self._credentials = {
                "aws_access_key_id": settings.s3_access_key_id,
                "aws_secret_access_key": settings.s3_secret_access_key,
            }
        self._config = AioConfig(
            region_name=self.region,
            signature_version="s3v4",
            s3={"addressing_style": "path" if settings.s3_uses_path_style else "virtual"},
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
            # Checksums only where S3 demands them: many S3-compatible servers reject the
            # newer default trailing checksums.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            max_pool_connections=20,
        )
        self._stack: AsyncExitStack | None = None
        self._s3: Any = None
        self._lock = asyncio.Lock()
        self._signed: dict[tuple[str, str, str | None], SignedURL] = {}

    @property
    def where(self) -> str:
        place = self.endpoint or f"AWS S3 in {self.region}"
        return f"bucket {self.bucket!r} at {place}"

    def _key(self, key: str) -> str:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"not a blob key: {key!r}")
        return self.prefix + key

    async def _client(self) -> Any:
        if self._s3 is None:
            async with self._lock:
                if self._s3 is None:
                    stack = AsyncExitStack()
                    self._s3 = await stack.enter_async_context(
                        get_session().create_client(
                            "s3",
                            endpoint_url=self.endpoint,
                            config=self._config,
                            **self._credentials,
                        )
                    )
                    self._stack = stack
        return self._s3

    def local_path(self, key: str) -> Path | None:
        return None

    # --- start-up check -------------------------------------------------------------------

    async def check(self) -> None:
        """List, write and delete under the prefix: proves the bucket exists, the credentials
        work and the policy allows what the app does."""
        s3 = await self._client()
        probe = f"{self.prefix}{CHECK_KEY}-{secrets.token_hex(4)}"
        try:
            await s3.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix, MaxKeys=1)
            await s3.put_object(Bucket=self.bucket, Key=probe, Body=b"ok")
            await s3.delete_object(Bucket=self.bucket, Key=probe)
        except Exception as exc:
            raise StorageError(f"S3 storage is not usable: {self._explain(exc)}") from exc

    def _explain(self, exc: BaseException) -> str:
        if isinstance(exc, ClientError):
            code = str(exc.response.get("Error", {}).get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code == "NoSuchBucket" or (code == "404" and status == 404):
                return (
                    f"the {self.where} does not exist. Create it, or correct "
                    "PHOTOARCHIVE_S3_BUCKET / PHOTOARCHIVE_S3_ENDPOINT."
                )
            if code in CREDENTIAL_CODES:
                return (
                    f"the {self.where} refused the credentials ({code}). Check "
                    "PHOTOARCHIVE_S3_ACCESS_KEY_ID and PHOTOARCHIVE_S3_SECRET_ACCESS_KEY "
                    "(or the AWS credential chain when they are unset)."
                )
            if code in ("AccessDenied", "403", "AllAccessDisabled"):
                return (
                    f"access to the {self.where} was denied ({code}). The credentials need "
                    "s3:ListBucket on the bucket and s3:GetObject, s3:PutObject and "
                    "s3:DeleteObject on its objects."
                )
            if code in (
                "PermanentRedirect",
                "AuthorizationHeaderMalformed",
                "IllegalLocationConstraintException",
            ):
                return (
                    f"the {self.where} is in another region ({code}). "
                    "Correct PHOTOARCHIVE_S3_REGION."
                )
            message = exc.response.get("Error", {}).get("Message", "")
            return f"the {self.where} answered {status} {code} {message}".strip()
        if isinstance(exc, NoCredentialsError | PartialCredentialsError):
            return (
                "no S3 credentials were found. Set PHOTOARCHIVE_S3_ACCESS_KEY_ID and "
                "PHOTOARCHIVE_S3_SECRET_ACCESS_KEY, or give the machine an AWS profile or role."
            )
        if isinstance(exc, BotoConnectionError | aiohttp.ClientError | OSError | TimeoutError):
            return (
                f"cannot reach the {self.where} ({type(exc).__name__}). "
                "Check PHOTOARCHIVE_S3_ENDPOINT and that the server is running."
            )
        if isinstance(exc, BotoCoreError):
            return f"the {self.where} could not be used: {exc}"
        return f"the {self.where} failed: {type(exc).__name__}: {exc}"

    def _failure(self, exc: BaseException) -> StorageError:
        if isinstance(exc, StorageError):
            return exc
        log.warning("S3 request failed: %s", self._explain(exc))
        return StorageError("The photo store cannot be reached.")

    # --- writing --------------------------------------------------------------------------

    async def put_file(self, key: str, path: Path) -> None:
        target = self._key(key)
        try:
            size = (await asyncio.to_thread(path.stat)).st_size
            if size <= self.part_size:
                data = await asyncio.to_thread(path.read_bytes)
                s3 = await self._client()
                await s3.put_object(Bucket=self.bucket, Key=target, Body=data)
            else:
                await self._put_multipart(target, path)
        except (BotoCoreError, ClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise self._failure(exc) from exc
        finally:
            await asyncio.to_thread(path.unlink, True)

    async def _put_multipart(self, target: str, path: Path) -> None:
        s3 = await self._client()
        started = await s3.create_multipart_upload(Bucket=self.bucket, Key=target)
        upload_id = started["UploadId"]
        try:
            parts = []
            handle = await asyncio.to_thread(open, path, "rb")
            try:
                number = 1
                while chunk := await asyncio.to_thread(handle.read, self.part_size):
                    answer = await s3.upload_part(
                        Bucket=self.bucket,
                        Key=target,
                        UploadId=upload_id,
                        PartNumber=number,
                        Body=chunk,
                    )
                    parts.append({"ETag": answer["ETag"], "PartNumber": number})
                    number += 1
                    del chunk
            finally:
                handle.close()
            await s3.complete_multipart_upload(
                Bucket=self.bucket,
                Key=target,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            # Even when the request was cancelled: parts left behind would be billed forever.
            await asyncio.shield(self._abort(target, upload_id))
            raise

    async def _abort(self, target: str, upload_id: str) -> None:
        try:
            s3 = await self._client()
            async with asyncio.timeout(30):
                await s3.abort_multipart_upload(Bucket=self.bucket, Key=target, UploadId=upload_id)
        except Exception as exc:
            log.warning(
                "could not abort the multipart upload of %s (%s); a lifecycle rule for "
                "incomplete multipart uploads will remove its parts",
                target,
                self._explain(exc),
            )

    async def put_bytes(self, key: str, data: bytes) -> None:
        try:
            s3 = await self._client()
            await s3.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)
        except (BotoCoreError, ClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise self._failure(exc) from exc

    async def delete(self, key: str) -> None:
        try:
            s3 = await self._client()
            await s3.delete_object(Bucket=self.bucket, Key=self._key(key))
        except (BotoCoreError, ClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise self._failure(exc) from exc

    # --- reading --------------------------------------------------------------------------

    async def get_bytes(self, key: str) -> bytes:
        try:
            s3 = await self._client()
            answer = await s3.get_object(Bucket=self.bucket, Key=self._key(key))
            async with answer["Body"] as body:
                return await body.read()
        except ClientError as exc:
            if _code(exc) in MISSING_CODES:
                raise BlobNotFound(key) from None
            raise self._failure(exc) from exc
        except (BotoCoreError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise self._failure(exc) from exc

    async def stat(self, key: str) -> BlobInfo | None:
        try:
            s3 = await self._client()
            head = await s3.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if _code(exc) in MISSING_CODES:
                return None
            raise self._failure(exc) from exc
        except (BotoCoreError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise self._failure(exc) from exc
        return BlobInfo(key, int(head["ContentLength"]), head["LastModified"].timestamp())

    async def stream(
        self, key: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        if end is not None and end <= start:
            return
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": self._key(key)}
        if start > 0 or end is not None:
            params["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
        try:
            s3 = await self._client()
            answer = await s3.get_object(**params)
        except ClientError as exc:
            if _code(exc) in MISSING_CODES:
                raise BlobNotFound(key) from None
            raise self._failure(exc) from exc
        except (BotoCoreError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise self._failure(exc) from exc
        # A server that ignored the Range header sent the whole object: skip to `start`.
        skip = start if "Range" in params and not answer.get("ContentRange") else 0
        remaining = None if end is None else end - start
        body = answer["Body"]
        try:
            while remaining is None or remaining > 0:
                try:
                    chunk = await body.read(CHUNK)
                except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                    raise self._failure(exc) from exc
                if not chunk:
                    break
                if skip:
                    cut = min(skip, len(chunk))
                    chunk, skip = chunk[cut:], skip - cut
                    if not chunk:
                        continue
                if remaining is not None:
                    chunk = chunk[:remaining]
                    remaining -= len(chunk)
                yield chunk
        finally:
            body.close()

    async def list(self, prefix: str = "") -> AsyncIterator[BlobInfo]:
        try:
            s3 = await self._client()
            pages = s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix + prefix
            )
            async for page in pages:
                for entry in page.get("Contents", []):
                    key = entry["Key"][len(self.prefix) :]
                    if key.startswith(CHECK_KEY):
                        continue
                    yield BlobInfo(key, int(entry["Size"]), entry["LastModified"].timestamp())
        except (BotoCoreError, ClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise self._failure(exc) from exc

    @property
    def signs_urls(self) -> bool:
        return self.presign_seconds > 0

    async def signed_url(
        self, key: str, *, content_type: str, disposition: str | None = None
    ) -> SignedURL | None:
        if not self.presign_seconds:
            return None
        wanted = (key, content_type, disposition)
        now = time.time()
        cached = self._signed.get(wanted)
        # Hand out the same URL for a while, so browsers can cache what it points to.
        if cached is not None and cached.expires_at - now > self.presign_seconds / 2:
            return cached
        params = {
            "Bucket": self.bucket,
            "Key": self._key(key),
            "ResponseContentType": content_type,
            "ResponseCacheControl": f"private, max-age={self.presign_seconds}",
        }
        if disposition:
            params["ResponseContentDisposition"] = disposition
        try:
            s3 = await self._client()
            url = await s3.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=self.presign_seconds
            )
        except (BotoCoreError, ClientError) as exc:
            raise self._failure(exc) from exc
        signed = SignedURL(url, now + self.presign_seconds)
        if len(self._signed) >= SIGNED_CACHE_MAX:
            self._signed.clear()
        self._signed[wanted] = signed
        return signed

    async def close(self) -> None:
        stack, self._stack, self._s3 = self._stack, None, None
        if stack is not None:
            with contextlib.suppress(Exception):
                await stack.aclose()


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
