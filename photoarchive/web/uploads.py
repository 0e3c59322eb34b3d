"""Streaming multipart reader: files go straight to temp files, hashed and size-checked on the way.

The whole body is never held in memory: a file over the limit is refused (413) as soon as its
bytes pass the limit, and so is a body over the upload's total (chunked bodies announce none) or
text fields over their small allowance, without reading the rest.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litestar import Request
from litestar.exceptions import InternalServerException
from multipart import MultipartSegment, ParserError, ParserLimitReached, PushMultipartParser

from photoarchive.accounts.users import User
from photoarchive.errors import (
    AppError,
    BadRequest,
    Forbidden,
    InsufficientStorage,
    Invalid,
    OverQuota,
    PayloadTooLarge,
    Unavailable,
    UnsupportedMedia,
)
from photoarchive.library import batches, captions, ingest, visibility
from photoarchive.library.ingest import IncomingFile, clean_filename
from photoarchive.web.csrf import deferred_check
from photoarchive.web.forms import decode_field
from photoarchive.web.viewer import services

MAX_FIELD_BYTES = 64 * 1024  # all the text fields of one upload together: they stay in memory
MAX_PARTS = 200
TOO_LARGE = "The upload is larger than this archive accepts in one request."
NOTHING_SAVED = "None of the photos sent with it was saved: shorten it and send them again."
FILE_FAILED = "This file could not be stored because of an error on our side. It has been logged."

log = logging.getLogger("photoarchive")


@dataclass
class UploadForm:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[IncomingFile] = field(default_factory=list)

    def discard(self) -> None:
        for incoming in self.files:
            incoming.path.unlink(missing_ok=True)
        self.files.clear()


async def read_upload_form(
    stream: AsyncIterator[bytes],
    boundary: str,
    *,
    tmp_dir: Path,
    max_file_bytes: int,
    max_files: int,
    max_body_bytes: int,
    csrf_check: Callable[[str], bool] | None,
) -> UploadForm:
    """Parse the body; on any error every temp file is removed before raising."""
    form = UploadForm()
    segment: MultipartSegment | None = None
    value = bytearray()
    field_bytes = 0
    body_bytes = 0
    handle = None
    hasher = None
    size = 0
    tmp_path: Path | None = None
    try:
        with PushMultipartParser(boundary.encode("latin-1"), max_segment_count=MAX_PARTS) as parser:
            async for chunk in stream:
                if not chunk and parser.closed:
                    break
                body_bytes += len(chunk)
                if body_bytes > max_body_bytes:
                    raise PayloadTooLarge(TOO_LARGE)
                for event in parser.parse(chunk):
                    if isinstance(event, MultipartSegment):
                        segment = event
                        if segment.filename is not None:
                            if csrf_check is not None and not csrf_check(
                                form.fields.get("_csrf_token", "")
                            ):
                                raise Forbidden(
                                    "The form's security token is missing or stale. "
                                    "Reload the page and try again."
                                )
                            if len(form.files) >= max_files:
                                raise PayloadTooLarge(
                                    f"At most {max_files} files can be uploaded at once:"
                                    " nothing was saved. Send them in smaller groups."
                                )
                            fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="upload-")
                            tmp_path = Path(name)
                            handle = os.fdopen(fd, "wb")
                            hasher = hashlib.sha256()
                            size = 0
                        else:
                            value = bytearray()
                    elif event:
                        assert segment is not None
                        if handle is not None and hasher is not None:
                            size += len(event)
                            if size > max_file_bytes:
                                raise PayloadTooLarge(
                                    f"{clean_filename(segment.filename)} is larger than the "
                                    f"{max_file_bytes // (1024 * 1024)} MB limit: nothing"
                                    " sent with it was saved."
                                )
                            hasher.update(event)
                            handle.write(event)
                        else:
                            value.extend(event)
                            field_bytes += len(event)
                            if field_bytes > MAX_FIELD_BYTES:
                                raise PayloadTooLarge(
                                    f"The form field {segment.name!r} is too long: the text "
                                    f"fields may hold {MAX_FIELD_BYTES // 1024} KB together."
                                )
                    else:
                        assert segment is not None
                        if handle is not None and hasher is not None and tmp_path is not None:
                            handle.close()
                            handle = None
                            if segment.name == "file" and (segment.filename or size):
                                form.files.append(
                                    IncomingFile(
                                        tmp_path,
                                        clean_filename(segment.filename),
                                        hasher.hexdigest(),
                                        size,
                                    )
                                )
                            else:
                                tmp_path.unlink(missing_ok=True)
                            tmp_path = None
                        else:
                            text = decode_field(segment.name, bytes(value), segment.charset)
                            form.fields.setdefault(segment.name, text)
                        segment = None
            if not parser.closed:
                raise BadRequest("The upload was cut off before it finished. Try again.")
        if (
            csrf_check is not None
            and not form.files
            and not csrf_check(form.fields.get("_csrf_token", ""))
        ):
            raise Forbidden("The form's security token is missing or stale. Reload and try again.")
        return form
    except ParserLimitReached:
        form.discard()
        raise PayloadTooLarge("The upload has too many parts.") from None
    except ParserError as exc:
        form.discard()
        raise BadRequest(f"The upload is not a valid multipart form ({exc}).") from None
    except OSError as exc:  # the temp folder's disk is full or failing
        form.discard()
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise InsufficientStorage(
                "The server's disk is full: the upload was not saved."
            ) from None
        raise Unavailable(
            f"The upload could not be written ({exc.strerror or exc}); try again later."
        ) from None
    except BaseException:
        form.discard()
        raise
    finally:
        if handle is not None:
            with contextlib.suppress(OSError):  # flushing the rest fails the same way
                handle.close()
        if tmp_path is not None:
            tmp_path.unlink(missing_ok=True)


def duplicate_detail(kept_caption: str, sent_caption: str, kept: str, asked: str) -> str:
    """What became of a re-upload, of the caption sent with it and of who was asked to see it
    (`kept` and `asked`: "family" or "private"), see `ingest.add`."""
    if not sent_caption:
        text = "Already in your archive."
    elif kept_caption == sent_caption:
        text = "Already in your archive; it has your caption."
    else:
        text = (
            "Already in your archive with a caption of its own, which was kept: yours was not"
            " applied."
        )
    if kept != asked:  # a person who chose Private must not believe it became so
        text += (
            " It stays private (only you and its albums' members see it): change that on its page."
            if kept == "private"
            else " It stays seen by the family, not private: make it private on its page."
        )
    return text


@dataclass
class FileOutcome:
    """What became of one file of an upload, in the order the files were sent."""

    filename: str  # the name the file was sent with (a duplicate's photo may bear another)
    status: int  # 201 kept, 200 already there, else why it was refused
    detail: str
    photo: Any = None
    passing: bool = True  # False: refused for the person's quota, which a retry does not change

    @property
    def outcome(self) -> str:
        return "refused" if self.photo is None else "duplicate" if self.status == 200 else "kept"

    @property
    def retryable(self) -> bool:
        """Not kept for a passing reason (our error, a busy or full server): sending the same
        file again may work, unlike a refusal for what the file is."""
        return (
            self.passing
            and self.photo is None
            and (self.status >= 500 or self.status in (408, 429))
        )


@dataclass
class UploadResult:
    items: list[tuple[Any, bool]] = field(default_factory=list)  # (photo, duplicate)
    errors: list[dict[str, Any]] = field(default_factory=list)
    files: list[FileOutcome] = field(default_factory=list)  # every file, kept or not
    # What was asked for, so that a page answering without script can offer it again.
    visibility: str = "family"
    caption: str = ""
    # The longest wait a refusal asked for (the database restarting, a throttle): told to a
    # client whose upload was refused whole, as any other 503 or 429 tells it.
    retry_after: int | None = None

    @property
    def status(self) -> int:
        if any(not duplicate for _photo, duplicate in self.items):
            return 201
        if self.items:
            return 200
        return self.errors[0]["status"] if self.errors else 400

    @property
    def headers(self) -> dict[str, str]:
        """`Retry-After` for an answer that refuses every file with a 503 or 429 that says
        when to send them again; nothing otherwise."""
        if self.items or self.retry_after is None or self.status not in (429, 503):
            return {}
        return {"Retry-After": str(self.retry_after)}

    def kept(self, filename: str, photo: Any, duplicate: bool, caption: str = "") -> None:
        self.items.append((photo, duplicate))
        detail = (
            duplicate_detail(photo.caption, caption, photo.visibility, self.visibility)
            if duplicate
            else "Uploaded."
        )
        self.files.append(FileOutcome(filename, 200 if duplicate else 201, detail, photo))

    def refused(
        self,
        filename: str,
        status: int,
        detail: str,
        *,
        passing: bool = True,
        retry_after: int | None = None,
    ) -> None:
        self.errors.append({"filename": filename, "status": status, "detail": detail})
        self.files.append(FileOutcome(filename, status, detail, passing=passing))
        if retry_after is not None:
            self.retry_after = max(self.retry_after or 0, retry_after)


async def receive_photos(request: Request[Any, Any, Any], user: User) -> UploadResult:
    """Read a multipart upload from the request and ingest each file; shared by page and API."""
    svc = services(request)
    content_type, options = request.content_type
    boundary = options.get("boundary")
    if content_type != "multipart/form-data" or not boundary:
        raise UnsupportedMedia(
            "Send the photos as multipart/form-data with one or more 'file' fields."
        )
    settings = svc.settings
    limit = settings.max_upload_bytes * settings.max_files_per_upload + 1024 * 1024
    if (request.content_length or 0) > limit:
        raise PayloadTooLarge(TOO_LARGE)
    try:
        form = await read_upload_form(
            request.stream(),
            boundary,
            tmp_dir=settings.tmp_dir,
            max_file_bytes=settings.max_upload_bytes,
            max_files=settings.max_files_per_upload,
            max_body_bytes=limit,
            csrf_check=deferred_check(request.scope),
        )
    except InternalServerException:
        raise BadRequest("The upload was cut off before it finished. Try again.") from None
    result = UploadResult()
    try:
        caption, whole = _captions(form.fields)
        # New photos only: a duplicate keeps the visibility it has (as it keeps its caption).
        sent = form.fields.get("visibility")
        result.caption = caption
        result.visibility = (
            await visibility.default_of(svc.db, user) if not sent else visibility.check(sent)
        )
        private = result.visibility == "private"
        if not form.files:
            raise BadRequest("Choose at least one photo to upload.", field="file")
        # The upload page names its batch (its files come in several requests); without a
        # name, the files of one request are added together.
        adding = batches.client_adding(form.fields.get("batch"), whole)
        if adding is None and len(form.files) > 1:
            adding = batches.new_adding(whole)
        for incoming in form.files:
            # One file's failure, foreseen or not, is that file's answer: the files before it
            # are kept and those after it are still tried, and the client is told of each.
            try:
                photo, duplicate = await ingest.add(
                    svc, user, incoming, caption, adding, private=private
                )
            except AppError as exc:
                result.refused(
                    incoming.filename,
                    exc.status,
                    exc.message,
                    passing=not isinstance(exc, OverQuota),
                    retry_after=getattr(exc, "retry_after", None),
                )
            except Exception:
                log.exception("upload of %r failed", incoming.filename)
                result.refused(incoming.filename, 500, FILE_FAILED)
            else:
                result.kept(incoming.filename, photo, duplicate, caption)
    finally:
        form.discard()
    return result


def _captions(fields: Mapping[str, str]) -> tuple[str, str]:
    """The photos' caption, and the caption of the whole upload, which its batch keeps:
    `batch_caption` when sent (the upload page sends each file with its own caption, or with
    this one), else the one caption of this request's files. One too long refuses the
    request's every file, which the message says."""
    try:
        caption = captions.check_caption(fields.get("caption"))
        whole = fields.get("batch_caption")
        return caption, caption if whole is None else captions.check_caption(whole, "batch_caption")
    except Invalid as exc:
        raise Invalid(f"{exc.message} {NOTHING_SAVED}", field=exc.field) from None
