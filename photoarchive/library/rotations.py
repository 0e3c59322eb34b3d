"""Turning a photo: its owner stands a sideways picture up, clockwise, on top of the way its
EXIF orientation already stood it.

The original's bytes never change. Its renditions are made again from it, turned, and stored
under keys that name the turn (storage.rendition_key): photos of the same bytes turned alike
share them, as they share the untouched ones. The photo's row then says the turned size and
placeholder, and its media URLs carry the turn (Photo.version), so that no browser shows a
copy it kept of the other way. Renditions no photo is shown at any more are deleted.

How far it is turned lives in `photo_rotations` (migration 0019); no row is 0. No HTTP here.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Any

from photoarchive import clock
from photoarchive.accounts.users import User
from photoarchive.db import Transaction
from photoarchive.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from photoarchive.library import blobs, photos
from photoarchive.library.blobs import ROTATIONS
from photoarchive.library.photos import Photo
from photoarchive.media import images
from photoarchive.services import Services
from photoarchive.storage import (
    BlobNotFound,
    StorageError,
    original_key,
    readable_file,
    rendition_key,
)


def check_rotation(value: Any) -> int:
    """A turn as asked for: 0, 90, 180 or 270 degrees clockwise, and nothing else."""
    if isinstance(value, int) and not isinstance(value, bool) and value in ROTATIONS:
        return value
    raise Invalid("rotation must be 0, 90, 180 or 270 (degrees clockwise).", field="rotation")


def turned_by(rotation: int, quarter_turns: int) -> int:
    """`rotation` turned by that many quarter turns more (negative: counter-clockwise)."""
    return (rotation + 90 * quarter_turns) % 360


# How many times a turn is worked out again when another turn of the photo landed first.
TRIES = 4
# Turns of one photo asked of this process, one at a time: the second of two quick clicks
# then starts from the first's result instead of decoding the original for nothing. The
# check under the digest's lock is for turns asked of other instances.
_turning: weakref.WeakValueDictionary[tuple[int, int], asyncio.Lock] = weakref.WeakValueDictionary()


async def set_rotation(svc: Services, actor: User, photo_id: int, rotation: Any) -> Photo:
    """The owner turns their photo to `rotation` degrees clockwise (from how it came): NotFound
    for a photo they may not see, Forbidden for another person's. The photo as it is now."""
    wanted = check_rotation(rotation)
    return await _rotated(svc, actor, photo_id, lambda _: wanted)


async def turn(svc: Services, actor: User, photo_id: int, quarter_turns: int) -> Photo:
    """The owner turns their photo by quarter turns from where it stands (negative:
    counter-clockwise), as the page's buttons say: two quick clicks on "Rotate right" turn
    it twice, whichever is answered first. Refusals as `set_rotation`'s."""
    return await _rotated(svc, actor, photo_id, lambda now: turned_by(now, quarter_turns))


async def _rotated(svc: Services, actor: User, photo_id: int, to: Callable[[int], int]) -> Photo:
    """Turn the photo to `to(its rotation now)`, stored only if that is still its rotation
    under the digest's lock; if another turn landed meanwhile, worked out again from it."""
    async with _turning.setdefault((id(svc.db), photo_id), asyncio.Lock()):
        for _ in range(TRIES):
            photo = await photos.find(svc, photo_id, actor)
            if not photo.can_edit:
                raise Forbidden("Only the photo's owner can rotate it.")
            wanted = to(photo.rotation)
            if wanted == photo.rotation:
                break
            turned = await _turned(svc, actor, photo, wanted)
            if await _store(svc, photo, wanted, turned):
                # Open pages showing it fetch its new renditions' addresses and shape.
                await svc.publish("photo-changed", {"photo_id": photo_id})
                break
        else:
            raise Conflict(
                "The photo was being turned by other requests; look at it and turn it again."
            )
    return await photos.get(svc, photo_id, actor)


async def _turned(svc: Services, actor: User, photo: Photo, wanted: int) -> images.Turned:
    """The photo's renditions turned `wanted` degrees from how its original stands."""
    # A whole original is decoded: it takes turns with the uploads, as one more would.
    try:
        async with (
            svc.image_slots.held_by(actor.id),
            readable_file(
                svc.store, original_key(photo.sha256), svc.settings.tmp_dir, prefix="rotate-"
            ) as path,
        ):
            return await asyncio.to_thread(images.turned, path, svc.settings.max_pixels, wanted)
    except images.ImageError as exc:
        raise Invalid(f"The original could not be turned: {exc}") from None
    except (FileNotFoundError, BlobNotFound):
        await photos.find(svc, photo.id, actor)  # NotFound: deleted meanwhile
        raise Unavailable(
            "The photo's original is missing from the store (photoarchive verify reports"
            " it); it was not rotated."
        ) from None
    except StorageError as exc:
        raise Unavailable(f"{exc} The photo was not rotated; try again later.") from None


async def _store(svc: Services, photo: Photo, rotation: int, turned: images.Turned) -> bool:
    """Store the turned renditions, then say the turn, under the digest's lock (see `blobs`):
    no deletion of the photo's bytes, and no other turn of them, slips in between. The store
    is called outside any database transaction. False, with nothing stored, when the photo
    no longer stands as `photo` read it (turned meanwhile, or gone)."""
    digest = photo.sha256
    async with blobs.storing(svc.db, svc.store, digest, "rotated"):
        # The rotation as photos.py reads it (a fixed expression); the id is bound.
        standing = await svc.db.fetchval(
            f"SELECT {photos.ROTATION_SQL} FROM photos p WHERE p.id = ?",  # noqa: S608
            (photo.id,),
        )
        if standing != photo.rotation:
            return False
        for rendition in turned.renditions:
            key = rendition_key(digest, rendition.name, rotation)
            if await svc.store.stat(key) is None:
                await svc.store.put_bytes(key, rendition.data)
        async with svc.db.transaction() as tx:
            await _turn(tx, photo.id, rotation, turned)
        # The renditions of the way it was shown, unless another photo of them is shown so.
        await blobs.discard_while_locked(svc.db, svc.store, digest)
    return True


async def _turn(tx: Transaction, photo_id: int, rotation: int, turned: images.Turned) -> None:
    """Record the turn and the turned size (NotFound for a photo deleted meanwhile)."""
    preview = next(r for r in turned.renditions if r.name == "preview")
    found = await tx.fetchval(
        "UPDATE photos SET width = ?, height = ?, preview_width = ?, placeholder = ?"
        " WHERE id = ? RETURNING id",
        (turned.width, turned.height, preview.width, turned.placeholder, photo_id),
    )
    if found is None:
        raise NotFound(photos.PHOTO_GONE)
    if rotation:
        await tx.execute(
            "INSERT INTO photo_rotations (photo_id, rotation, rotated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (photo_id) DO UPDATE SET rotation = excluded.rotation,"
            " rotated_at = excluded.rotated_at",
            (photo_id, rotation, clock.now_iso()),
        )
    else:
        await tx.execute("DELETE FROM photo_rotations WHERE photo_id = ?", (photo_id,))
