"""Photos: ingest, the feed and profile pages, captions, likes, deletion. No HTTP here."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import secrets
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from photoarchive import clock
from photoarchive.accounts.users import User
from photoarchive.db import MAX_ROWID, placeholders
from photoarchive.errors import (
    BadRequest,
    Forbidden,
    InsufficientStorage,
    Invalid,
    NotFound,
    Unavailable,
    UnsupportedMedia,
)
from photoarchive.media import images, redaction
from photoarchive.services import Services
from photoarchive.storage import StorageError, StorageFull, original_key, rendition_key

CAPTION_MAX = 2200
PAGE_DEFAULT = 30
PAGE_MAX = 100
LATEST_COMMENTS = 3
PHOTO_GONE = "That photo does not exist (or was deleted)."
RENDITIONS = ("thumbnail", "preview")


@dataclass(frozen=True)
class IncomingFile:
    """An upload already on local disk (in the temp dir), hashed while it streamed in."""

    path: Path
    filename: str
    sha256: str
    size: int
    # When the photo has no camera date: the file's own date (known for imports, not uploads).
    file_date: str | None = None


@dataclass
class Comment:
    id: int
    photo_id: int
    author: str
    text: str
    created_at: str
    can_delete: bool = False

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "photo_id": self.photo_id,
            "author": {"username": self.author},
            "text": self.text,
            "created_at": self.created_at,
            "can_delete": self.can_delete,
        }


@dataclass
class Photo:
    id: int
    owner: str
    owner_display: str
    owner_id: int
    caption: str
    created_at: str
    taken_at: str | None
    camera_make: str | None
    camera_model: str | None
    lens: str | None
    focal_length: float | None
    aperture: float | None
    exposure_time: str | None
    iso: int | None
    gps_lat: float | None
    gps_lon: float | None
    width: int
    height: int
    preview_width: int
    bytes: int
    content_type: str
    filename: str
    sha256: str  # of the original as stored: its owner's to see (see `tag`)
    tag: str  # random, fixed at upload: names this photo's media for everyone
    placeholder: str
    like_count: int
    comment_count: int
    liked_by_me: bool = False
    can_edit: bool = False
    can_delete: bool = False
    comments: list[Comment] = field(default_factory=list)

    @property
    def camera(self) -> str | None:
        make, model = self.camera_make or "", self.camera_model or ""
        if make and model.lower().startswith(make.lower().split()[0]):
            return model
        return " ".join(part for part in (make, model) if part) or None

    @property
    def alt(self) -> str:
        return self.caption.strip()[:300] or f"Photo by {self.owner}"

    @property
    def thumbnail_size(self) -> tuple[int, int]:
        return images.rendition_size(self.width, self.height, images.THUMBNAIL_EDGE)

    @property
    def preview_size(self) -> tuple[int, int]:
        return images.rendition_size(self.width, self.height, images.PREVIEW_EDGE)

    def url(self, name: str) -> str:
        # Media is cached as immutable, and SQLite can hand a deleted photo's id to the next
        # upload: the photo's tag in the URL keeps browsers from showing the old picture.
        return f"/media/{self.id}/{name}?v={self.tag}"

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "owner": {"username": self.owner},
            "caption": self.caption,
            "created_at": self.created_at,
            "taken_at": self.taken_at,
            "camera": self.camera,
            "exif": {
                "make": self.camera_make,
                "model": self.camera_model,
                "lens": self.lens,
                "focal_length": self.focal_length,
                "aperture": self.aperture,
                "exposure_time": self.exposure_time,
                "iso": self.iso,
            },
            "width": self.width,
            "height": self.height,
            "bytes": self.bytes,
            "content_type": self.content_type,
            "placeholder": self.placeholder,
            "like_count": self.like_count,
            "liked_by_me": self.liked_by_me,
            "comment_count": self.comment_count,
            "urls": {name: self.url(name) for name in ("original", "thumbnail", "preview")},
        }
        if self.can_edit:
            # The digest of the original (location included) and the location itself are the
            # owner's alone: the digest would let others test guesses of the location.
            data["sha256"] = self.sha256
            if self.gps_lat is not None:
                data["location"] = {"lat": self.gps_lat, "lon": self.gps_lon}
        return data


# A Photo's columns in the order of its fields, so that a row becomes a photo positionally:
# looking thirty values up by name, for thirty photos a page, cost more than the query.
_PHOTO_COLUMNS = (
    "p.id, u.username, u.display_name, p.owner_id, p.caption, p.created_at, p.taken_at,"
    " p.camera_make, p.camera_model, p.lens, p.focal_length, p.aperture, p.exposure_time,"
    " p.iso, p.gps_lat, p.gps_lon, p.width, p.height, p.preview_width, p.bytes,"
    " p.content_type, p.filename, p.sha256, p.tag, p.placeholder, p.like_count, p.comment_count"
)


def _photo(row: sqlite3.Row, viewer: User | None) -> Photo:
    photo = Photo(*row)
    is_owner = viewer is not None and viewer.id == photo.owner_id
    if not is_owner:  # where a photo was taken is its owner's to know
        photo.gps_lat = photo.gps_lon = None
    photo.can_edit = is_owner
    photo.can_delete = is_owner or (viewer is not None and viewer.is_admin)
    return photo


def parse_cursor(cursor: str | None) -> int | None:
    if cursor in (None, ""):
        return None
    try:
        value = int(cursor)
    except (TypeError, ValueError):
        raise BadRequest("The cursor is not valid.", field="cursor") from None
    if not 0 < value <= MAX_ROWID:
        raise BadRequest("The cursor is not valid.", field="cursor")
    return value


def check_limit(limit: int | None) -> int:
    if limit is None:
        return PAGE_DEFAULT
    if not 1 <= limit <= PAGE_MAX:
        raise BadRequest(f"limit must be between 1 and {PAGE_MAX}.", field="limit")
    return limit


async def page(
    svc: Services,
    viewer: User | None,
    *,
    cursor: str | None = None,
    limit: int | None = None,
    owner_id: int | None = None,
    with_comments: bool = True,
) -> tuple[list[Photo], str | None]:
    """One page of photos, newest first, in a fixed number of queries (keyset pagination)."""
    size = check_limit(limit)
    before = parse_cursor(cursor)
    where, params = [], []
    if owner_id is not None:
        where.append("p.owner_id = ?")
        params.append(owner_id)
    if before is not None:
        where.append("p.id < ?")
        params.append(before)
    sql = f"SELECT {_PHOTO_COLUMNS} FROM photos p JOIN users u ON u.id = p.owner_id"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY p.id DESC LIMIT ?"
    rows = await svc.db.fetchall(sql, [*params, size + 1])
    photos = [_photo(row, viewer) for row in rows[:size]]
    next_cursor = str(photos[-1].id) if len(rows) > size else None
    await _decorate(svc, photos, viewer, with_comments=with_comments)
    return photos, next_cursor


async def _decorate(
    svc: Services, photos: list[Photo], viewer: User | None, *, with_comments: bool
) -> None:
    if not photos:
        return
    ids = [p.id for p in photos]
    by_id = {p.id: p for p in photos}
    if viewer is not None:
        liked = await svc.db.fetchall(
            f"SELECT photo_id FROM likes WHERE user_id = ? AND photo_id IN ({placeholders(len(ids))})",
            [viewer.id, *ids],
        )
        for row in liked:
            by_id[row["photo_id"]].liked_by_me = True
    if with_comments:
        # The latest few of each photo, each photo's taken from the end of its index entry:
        # a window over all of a page's comments cost more as they piled up.
        rows = await svc.db.fetchall(
            "SELECT c.id, c.photo_id, c.author_id, c.text, c.created_at, u.username"
            " FROM json_each(?) AS page JOIN comments c ON c.id IN"
            " (SELECT id FROM comments WHERE photo_id = page.value ORDER BY id DESC LIMIT ?)"
            " JOIN users u ON u.id = c.author_id ORDER BY c.id",
            [json.dumps(ids), LATEST_COMMENTS],
        )
        for row in rows:
            photo = by_id[row["photo_id"]]
            photo.comments.append(_comment(row, photo, viewer))


def _comment(row: sqlite3.Row, photo: Photo, viewer: User | None) -> Comment:
    can_delete = viewer is not None and viewer.id in (row["author_id"], photo.owner_id)
    return Comment(
        row["id"], row["photo_id"], row["username"], row["text"], row["created_at"], can_delete
    )


async def get(
    svc: Services, photo_id: int, viewer: User | None, *, all_comments: bool = False
) -> Photo:
    row = await svc.db.fetchone(
        f"SELECT {_PHOTO_COLUMNS} FROM photos p JOIN users u ON u.id = p.owner_id WHERE p.id = ?",
        (photo_id,),
    )
    if row is None:
        raise NotFound(PHOTO_GONE)
    photo = _photo(row, viewer)
    await _decorate(svc, [photo], viewer, with_comments=not all_comments)
    if all_comments:
        photo.comments = await comments_of(svc, photo, viewer)
    return photo


async def comments_of(svc: Services, photo: Photo, viewer: User | None) -> list[Comment]:
    rows = await svc.db.fetchall(
        "SELECT c.*, u.username FROM comments c JOIN users u ON u.id = c.author_id"
        " WHERE c.photo_id = ? ORDER BY c.id",
        (photo.id,),
    )
    return [_comment(row, photo, viewer) for row in rows]


def check_caption(caption: Any) -> str:
    if caption is None:
        return ""
    if not isinstance(caption, str):
        raise Invalid("The caption must be text.", field="caption")
    caption = caption.replace("\r\n", "\n").strip()
    if len(caption) > CAPTION_MAX:
        raise Invalid(f"Captions can be at most {CAPTION_MAX:,} characters.", field="caption")
    return caption


async def add(
    svc: Services, owner: User, incoming: IncomingFile, caption: str
) -> tuple[Photo, bool]:
    """Store an uploaded file as a photo of `owner`. Returns (photo, duplicate).

    The temp file is always consumed. On any failure nothing is left: no row, no new blob.
    """
    try:
        existing = await svc.db.fetchval(
            "SELECT id FROM photos WHERE owner_id = ? AND sha256 = ?", (owner.id, incoming.sha256)
        )
        if existing is not None:
            return await get(svc, existing, owner), True
        if incoming.size == 0:
            raise Invalid("The file is empty.")
        try:
            async with svc.image_slots.held_by(owner.id):
                ingested = await asyncio.to_thread(
                    images.ingest, incoming.path, svc.settings.max_pixels
                )
        except images.UnsupportedImage as exc:
            raise UnsupportedMedia(str(exc)) from None
        except images.ImageError as exc:
            raise Invalid(str(exc)) from None
        photo_id = await _store_and_insert(svc, owner, incoming, caption, ingested)
    finally:
        incoming.path.unlink(missing_ok=True)
    if photo_id is None:  # the same bytes arrived twice at once: the other request won
        existing = await svc.db.fetchval(
            "SELECT id FROM photos WHERE owner_id = ? AND sha256 = ?", (owner.id, incoming.sha256)
        )
        return await get(svc, existing, owner), True
    photo = await get(svc, photo_id, owner)
    await svc.publish("photo", {"id": photo.id, "owner": photo.owner})
    return photo, False


async def _store_and_insert(
    svc: Services, owner: User, incoming: IncomingFile, caption: str, ingested: images.Ingested
) -> int | None:
    digest = incoming.sha256
    meta = ingested.metadata
    if svc.settings.strip_location:
        meta.gps_lat = meta.gps_lon = None
    preview = next(r for r in ingested.renditions if r.name == "preview")
    try:
        reused = []  # files another photo of the same bytes stored already
        if await svc.store.stat(original_key(digest)) is None:
            await svc.store.put_file(original_key(digest), incoming.path)
        else:
            reused.append(original_key(digest))
        for rendition in ingested.renditions:
            key = rendition_key(digest, rendition.name)
            if await svc.store.stat(key) is None:
                await svc.store.put_bytes(key, rendition.data)
            else:
                reused.append(key)
        async with svc.db.transaction() as tx:
            # Deleting the last photo of these bytes (or `verify --repair`) removes their files
            # under this same lock; checked here, a reused file cannot vanish before the insert.
            if reused and not all(await asyncio.gather(*map(svc.store.stat, reused))):
                raise StorageError("A stored file of this photo was removed during the upload.")
            return await tx.insert(
                "INSERT INTO photos (owner_id, sha256, bytes, content_type, filename, caption,"
                " width, height, preview_width, taken_at, camera_make, camera_model, lens,"
                " focal_length, aperture, exposure_time, iso, gps_lat, gps_lon, placeholder,"
                " created_at, location_patches, tag)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    owner.id,
                    digest,
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
                    clock.now_iso(),
                    encode_patches(ingested.location_patches),
                    secrets.token_hex(8),
                ),
            )
    except sqlite3.IntegrityError:
        # The (owner, sha256) pair arrived twice at once: the caller returns the winner's row.
        # Any other constraint failing is a real error, and the blobs stored above are dropped.
        if await svc.db.fetchval(
            "SELECT 1 FROM photos WHERE owner_id = ? AND sha256 = ?", (owner.id, digest)
        ):
            return None
        await discard_unreferenced(svc, digest)
        raise
    except StorageError as exc:
        await discard_unreferenced(svc, digest)
        if isinstance(exc, StorageFull):
            raise InsufficientStorage(f"{exc} The photo was not saved.") from None
        raise Unavailable(f"{exc} The photo was not saved; try again later.") from None
    except BaseException:
        await discard_unreferenced(svc, digest)
        raise


async def discard_unreferenced(svc: Services, digest: str) -> None:
    """Delete the blobs of `digest` unless a photo still refers to them.

    Checked and deleted under the write lock, which inserting a photo holds too: a photo of the
    same bytes committed meanwhile keeps its files.
    """
    async with svc.db.transaction() as tx:
        if await tx.fetchone("SELECT 1 FROM photos WHERE sha256 = ? LIMIT 1", (digest,)):
            return
        for key in (original_key(digest), *(rendition_key(digest, name) for name in RENDITIONS)):
            with contextlib.suppress(StorageError):  # else left for `photoarchive verify --repair`
                await svc.store.delete(key)


async def set_caption(svc: Services, actor: User, photo_id: int, caption: Any) -> Photo:
    photo = await get(svc, photo_id, actor)
    if not photo.can_edit:
        raise Forbidden("Only the photo's owner can change its caption.")
    await svc.db.execute(
        "UPDATE photos SET caption = ? WHERE id = ?", (check_caption(caption), photo_id)
    )
    return await get(svc, photo_id, actor)


async def delete(svc: Services, actor: User, photo_id: int) -> None:
    photo = await get(svc, photo_id, actor)
    if not photo.can_delete:
        raise Forbidden("Only the photo's owner or an administrator can delete it.")
    await svc.db.execute("DELETE FROM photos WHERE id = ?", (photo_id,))
    await discard_unreferenced(svc, photo.sha256)
    await svc.publish("photo-deleted", {"id": photo_id})


async def set_like(svc: Services, actor: User, photo_id: int, liked: bool) -> Photo:
    await get(svc, photo_id, actor)
    try:
        async with svc.db.transaction() as tx:
            if liked:
                changed = await tx.execute(
                    "INSERT OR IGNORE INTO likes (photo_id, user_id, created_at) VALUES (?, ?, ?)",
                    (photo_id, actor.id, clock.now_iso()),
                )
            else:
                changed = await tx.execute(
                    "DELETE FROM likes WHERE photo_id = ? AND user_id = ?", (photo_id, actor.id)
                )
            if changed:
                await tx.execute(
                    "UPDATE photos SET like_count = like_count + ? WHERE id = ?",
                    (1 if liked else -1, photo_id),
                )
    except sqlite3.IntegrityError:  # deleted between the check and the insert
        raise NotFound(PHOTO_GONE) from None
    photo = await get(svc, photo_id, actor)
    if changed:
        await svc.publish("like", {"id": photo_id, "like_count": photo.like_count})
    return photo


async def blob_key(svc: Services, photo_id: int, name: str) -> tuple[Photo, str]:
    """The storage key of one of a photo's files; the caller has checked the viewer may see it."""
    row = await svc.db.fetchone(
        f"SELECT {_PHOTO_COLUMNS} FROM photos p JOIN users u ON u.id = p.owner_id WHERE p.id = ?",
        (photo_id,),
    )
    if row is None:
        raise NotFound(PHOTO_GONE)
    photo = _photo(row, None)
    if name == "original":
        return photo, original_key(photo.sha256)
    if name in RENDITIONS:
        return photo, rendition_key(photo.sha256, name)
    raise NotFound("There is no such file.")


async def location_patches(
    svc: Services, photo: Photo, viewer: User | None
) -> list[tuple[int, bytes]]:
    """The patches that blank the location inside `photo`'s original, unless `viewer` owns it."""
    if viewer is not None and viewer.id == photo.owner_id:
        return []
    stored = json.loads(
        await svc.db.fetchval("SELECT location_patches FROM photos WHERE id = ?", (photo.id,))
        or "[]"
    )
    if stored is None:
        raise Forbidden(
            "Only its owner can download this original: the location inside it could not be "
            "removed. The photo itself is visible as usual."
        )
    if stored == "recheck":  # rechecks.RECHECK: patches from older code, not yet redone
        raise Forbidden(
            "This original is being checked for a location to remove; it can be downloaded "
            "again shortly. The photo itself is visible as usual."
        )
    return [(at, base64.b64decode(blank)) for at, blank in stored]


async def hides_location(svc: Services, photo: Photo, viewer: User | None) -> bool:
    """Whether `viewer` may not learn where `photo` was taken: nor, then, the digest of its
    original, which names its stored files (and would confirm a guessed location)."""
    try:
        return bool(await location_patches(svc, photo, viewer))
    except Forbidden:
        return True


def encode_patches(patches: list[tuple[int, bytes]] | None) -> str:
    if patches is None:
        return "null"  # withheld from everyone but the owner (see images._blanking_patches)
    return json.dumps([[at, base64.b64encode(blank).decode("ascii")] for at, blank in patches])


async def patched(
    chunks: AsyncIterator[bytes], start: int, patches: list[tuple[int, bytes]]
) -> AsyncIterator[bytes]:
    """The byte range [start, ...) of a blob, with `patches` applied on the way out."""
    offset = start
    async for chunk in chunks:
        yield redaction.apply_patches(chunk, offset, patches)
        offset += len(chunk)
