"""Adding a photo: an uploaded or imported file decoded, its files stored, its row inserted.

No HTTP here: the upload handlers and `photoarchive import` both call `add`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from photoarchive import clock
from photoarchive.accounts.users import User
from photoarchive.db import Transaction
from photoarchive.errors import (
    Invalid,
    NotFound,
    Unavailable,
    UnsupportedMedia,
)
from photoarchive.library import (
    batches,
    blobs,
    geocoder,
    photos,
    places,
    trash,
    upload_clock,
    usage,
    visibility,
)
from photoarchive.library.batches import Adding
from photoarchive.library.originals import encode_patches
from photoarchive.library.photos import Photo
from photoarchive.media import images
from photoarchive.services import Services
from photoarchive.storage import (
    BlobInfo,
    StorageError,
    original_key,
    rendition_key,
)

# The same bytes' photo was purged from the trash just as they came to be stored again for it.
GONE_AS_IT_CAME = (
    "Your earlier copy of this photo was being deleted for good as it arrived, so it was not"
    " saved. Send it again."
)


@dataclass(frozen=True)
class IncomingFile:
    """An upload already on local disk (in the temp dir), hashed while it streamed in."""

    path: Path
    filename: str
    sha256: str
    size: int
    # When the photo has no camera date: the file's own date (known for imports, not uploads).
    file_date: str | None = None


FILENAME_MAX = 255


def clean_filename(raw: str | None) -> str:
    """A display name for the user's file: no path, no control or direction characters, and
    none that has no UTF-8 (a file name of an older system, read as Python does, holds
    lone surrogates: no database takes them)."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp")
    )
    name = name.strip().strip(".") or "photo"
    if len(name) > FILENAME_MAX:  # shorten the stem, keep the extension
        stem, dot, suffix = name.rpartition(".")
        if dot and 0 < len(suffix) <= 16:
            return stem[: FILENAME_MAX - len(suffix) - 1] + "." + suffix
    return name[:FILENAME_MAX]


async def _own_copy(svc: Services, owner: User, digest: str) -> int | None:
    return await svc.db.fetchval(
        "SELECT id FROM photos WHERE owner_id = ? AND sha256 = ?", (owner.id, digest)
    )


async def _again(svc: Services, owner: User, photo_id: int, caption: str, private: bool) -> Photo:
    """The owner's photo of bytes uploaded once more. A caption sent with them fills an empty
    caption but never replaces one the photo has: someone chose those words, maybe long ago,
    and a batch caption meant for new photos should not overwrite them. A photo in the owner's
    trash comes back from it, as it was, but private when this upload asks for that."""
    in_trash = await svc.db.fetchval("SELECT 1 FROM trashed_photos WHERE photo_id = ?", (photo_id,))
    if in_trash and private:
        # Made private while still in the trash: not a moment visible to anyone else (its
        # owner may well have forgotten the albums and links that hold it).
        async with svc.db.transaction() as tx:
            await visibility.mark(tx, photo_id, "private")
    if in_trash:
        await trash.restore(svc, owner, [photo_id])
    if caption and await svc.db.execute(
        "UPDATE photos SET caption = ? WHERE id = ? AND caption = ''", (caption, photo_id)
    ):
        await svc.publish("photo-changed", {"photo_id": photo_id})
    return await photos.get(svc, photo_id, owner)


async def add(
    svc: Services,
    owner: User,
    incoming: IncomingFile,
    caption: str,
    adding: Adding | None = None,
    *,
    private: bool = False,
    quota: bool = True,
) -> tuple[Photo, bool]:
    """Store an uploaded file as a photo of `owner`. Returns (photo, duplicate).

    A duplicate is the owner's photo of the same bytes, given `caption` only if it had none;
    it joins no batch (it was added before), and keeps its visibility. A new photo joins the
    batch of `adding`, if any, and is private with `private` (from its first moment: no event,
    page or count shows it to anyone else). With `quota`, a new photo that would take its owner
    past their quota is refused (507) before anything is decoded or stored.

    The temp file is always consumed. On any failure nothing is left: no row, no new blob
    (but files stored ahead of a lock that could not be had even to clean up: logged and left
    for `verify --repair`).
    """
    try:
        existing = await _own_copy(svc, owner, incoming.sha256)
        if existing is not None:
            # The photo is there either way; a store that fails now leaves it for verify.
            put_back = False
            with contextlib.suppress(StorageError):
                put_back = await put_back_original(svc, incoming, existing)
            try:
                return await _again(svc, owner, existing, caption, private), True
            except NotFound:
                # Purged from the trash a moment ago: these bytes make a new photo, unless
                # the store took them (and the purge their file), or a store that failed
                # removed them: nothing is left to make it of.
                if put_back or not incoming.path.exists():
                    raise Unavailable(GONE_AS_IT_CAME) from None
        if incoming.size == 0:
            raise Invalid("The file is empty.")
        if quota:
            await usage.check_room(svc.db, owner.id, incoming.size)
        try:
            async with svc.image_slots.held_by(owner.id):
                ingested = await asyncio.to_thread(
                    images.ingest, incoming.path, svc.settings.max_pixels
                )
        except images.UnsupportedImage as exc:
            raise UnsupportedMedia(str(exc)) from None
        except images.ImageError as exc:
            raise Invalid(str(exc)) from None
        photo_id = await _store_and_insert(
            svc, owner, incoming, caption, ingested, adding, private, quota
        )
    finally:
        incoming.path.unlink(missing_ok=True)
    if photo_id is None:  # the same bytes arrived twice at once: the other request won
        winner = await _own_copy(svc, owner, incoming.sha256)
        if winner is None:  # and was deleted already
            raise NotFound(photos.PHOTO_GONE)
        return await _again(svc, owner, winner, caption, private), True
    photo = await photos.get(svc, photo_id, owner)
    await svc.publish("photo", {"id": photo.id, "owner": photo.owner})
    return photo, False


def _whole(stored: BlobInfo | None, incoming: IncomingFile) -> bool:
    """Whether the stored original of the incoming bytes is there, and not cut short."""
    return stored is not None and stored.size == incoming.size


async def exists(svc: Services, photo_id: int) -> bool:
    """Whether the photo is there still (in its owner's trash or not)."""
    return await svc.db.fetchone("SELECT 1 FROM photos WHERE id = ?", (photo_id,)) is not None


async def put_back_original(
    svc: Services, incoming: IncomingFile, photo_id: int | None = None
) -> bool:
    """The incoming bytes stored again when the original of a photo of them went missing or
    was cut short: its owner may still have the file the archive lost (its digest is the one
    the stored file is named by, so these are exactly the bytes). True when they were; a
    store that fails raises StorageError. With `photo_id`, nothing is stored once that photo
    has gone meanwhile (purged from the trash): a file put back for no photo would stay for
    good, as its deleter has already looked."""
    key = original_key(incoming.sha256)
    async with svc.db.lock(blobs.lock_name(incoming.sha256)):
        if photo_id is not None and not await exists(svc, photo_id):
            return False
        if _whole(await svc.store.stat(key), incoming):
            return False
        await svc.store.put_file(key, incoming.path)
        return True


async def _store_and_insert(
    svc: Services,
    owner: User,
    incoming: IncomingFile,
    caption: str,
    ingested: images.Ingested,
    adding: Adding | None,
    private: bool,
    quota: bool,
) -> int | None:
    """The new photo's id; None when the owner's same bytes were saved meanwhile.

    Bytes no photo has yet are stored before the digest's lock is asked for (see `blobs`).
    Under the lock: files found stored are reused, those missing (a deletion took them
    meanwhile) stored again, and no deletion can slip between that finding and the insert.
    The store is called outside any database transaction."""
    digest = incoming.sha256
    meta = ingested.metadata
    located = not svc.settings.strip_location and None not in (meta.gps_lat, meta.gps_lon)
    place = await geocoder.lookup(meta.gps_lat or 0, meta.gps_lon or 0) if located else None

    async def ahead() -> bool:
        if await blobs.referenced(svc.db, digest):
            return False  # most likely stored already: looked at under the lock
        await _store_original_ahead(svc, incoming)
        for rendition in ingested.renditions:
            await svc.store.put_bytes(rendition_key(digest, rendition.name), rendition.data)
        return True

    async with blobs.storing(svc.db, svc.store, digest, "saved", ahead):
        # Reused when whole: another photo's damaged copy is replaced by these bytes.
        if not _whole(await svc.store.stat(original_key(digest)), incoming):
            await svc.store.put_file(original_key(digest), incoming.path)
        for rendition in ingested.renditions:
            key = rendition_key(digest, rendition.name)
            if await svc.store.stat(key) is None:
                await svc.store.put_bytes(key, rendition.data)
        # Any constraint failing (the owner deleted meanwhile) is a real error too.
        async with svc.db.transaction() as tx:
            if quota:
                await tx.lock(usage.lock_name(owner.id))
            photo_id = await _insert(tx, svc, owner, incoming, caption, ingested)
            if photo_id is not None and quota:
                # Again, now that no other upload of this owner's can come between: one
                # that won a race since `check_room` is counted (a refusal rolls back).
                await usage.check_after_insert(tx, owner.id, incoming.size)
            if photo_id is not None and adding is not None:
                await batches.join(tx, owner, adding, photo_id)
            if photo_id is not None and private:
                await visibility.mark(tx, photo_id, "private")
            if photo_id is not None and located:
                await places.record(tx, photo_id, place)
    return photo_id


async def _store_original_ahead(svc: Services, incoming: IncomingFile) -> None:
    """The incoming file stored as the original while the file itself stays, to be stored
    again under the lock should a deletion take the copy first: the store consumes a second
    name of it (a hard link, no copy). Where the file system has none, the original is
    stored under the lock alone, as before."""
    second = incoming.path.with_name(f"{incoming.path.name}.ahead")
    try:  # on the loop, not a thread: a request cancelled meanwhile would leave the link
        os.link(incoming.path, second)
    except OSError:
        return
    try:
        await svc.store.put_file(original_key(incoming.sha256), second)
    finally:
        second.unlink(missing_ok=True)


async def _insert(
    tx: Transaction,
    svc: Services,
    owner: User,
    incoming: IncomingFile,
    caption: str,
    ingested: images.Ingested,
) -> int | None:
    meta = ingested.metadata
    if svc.settings.strip_location:
        meta.gps_lat = meta.gps_lon = None
    preview = next(r for r in ingested.renditions if r.name == "preview")
    uploaded = clock.now()
    return await tx.fetchval(
        "INSERT INTO photos (owner_id, sha256, bytes, content_type, filename, caption,"
        " width, height, preview_width, taken_at, camera_make, camera_model, lens,"
        " focal_length, aperture, exposure_time, iso, gps_lat, gps_lon, placeholder,"
        " created_at, created_local, location_patches, tag)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (owner_id, sha256) DO NOTHING RETURNING id",
        (
            owner.id,
            incoming.sha256,
            incoming.size,
            ingested.content_type,
            incoming.filename,
            caption,
            ingested.width,
            ingested.height,
            preview.width,
            meta.taken_at or incoming.file_date,
            meta.camera_make,
            meta.camera_model,
            meta.lens,
            meta.focal_length,
            meta.aperture,
            meta.exposure_time,
            meta.iso,
            meta.gps_lat,
            meta.gps_lon,
            ingested.placeholder,
            clock.iso(uploaded),
            upload_clock.local(uploaded, svc.settings.timezone),
            encode_patches(ingested.location_patches),
            secrets.token_hex(8),
        ),
    )
