"""Serving a photo's files: which stored file a URL names, and originals with the location
blanked for everyone but the photo's owner (the patches worked out at upload, applied on the
way out)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator

from photoarchive.accounts.users import User
from photoarchive.errors import Forbidden, NotFound, Unavailable
from photoarchive.library import access
from photoarchive.library.blobs import RENDITIONS
from photoarchive.library.photos import Photo
from photoarchive.media import images, redaction
from photoarchive.services import Services
from photoarchive.storage import (
    BlobNotFound,
    StorageError,
    original_key,
    readable_file,
    rendition_key,
)

# The ending an original is saved with, by the content type it is served as.
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/heic": ".heic",
    "image/heif": ".heif",
    "image/avif": ".avif",
}
# Endings a computer opens as an image (of one kind or another, which any viewer sorts out).
_IMAGE_ENDINGS = frozenset(
    ending for named in images.UPLOAD_FORMATS.values() for ending in named if ending[0] == "."
)


def download_name(photo: Photo, *, camera: bool = True) -> str:
    """The name the photo's original is saved under: the one it was uploaded with, ending as
    an image. A file that is a picture may be a web page or a program too (its decoder skips
    what is not picture), and the computer it is saved on opens it by its name's ending: a
    `.html` would run its script there, an `.exe` its code. Without `camera` (a share link
    that hides the camera's details) the photo's own name instead: cameras and phones name
    files by their model and the moment (PXL_20240101_093015123.jpg)."""
    name = (photo.filename if camera else None) or f"photo-{photo.id}"
    stem, dot, ending = name.rpartition(".")
    if stem and dot and f".{ending.lower()}" in _IMAGE_ENDINGS:
        return name
    return name + EXTENSIONS.get(photo.content_type, ".jpg")


def key_of(photo: Photo, name: str) -> str:
    """The storage key of the photo's file `name` (NotFound for a name it has no file by)."""
    if name == "original":
        return original_key(photo.sha256)
    if name in RENDITIONS:
        return rendition_key(photo.sha256, name, photo.rotation)
    raise NotFound("There is no such file.")


async def location_patches(
    svc: Services, photo: Photo, viewer: User | None
) -> list[tuple[int, bytes]]:
    """The patches that blank the location inside `photo`'s original, unless `viewer` owns it."""
    # Whether the location is the viewer's to see does not depend on the archive's guest setting.
    if access.decide(access.Viewer(viewer, public_view=False), photo).location:
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


async def holder_patches(
    svc: Services, photo: Photo, viewer: User | None, *, camera: bool
) -> list[tuple[int, bytes]]:
    """The patches of `photo`'s original as `viewer` gets it: its location blanked unless it is
    theirs (`location_patches`), and with `camera` False (a share link that does not show the
    camera's details) those blanked too, worked out from the stored original each time."""
    patches = await location_patches(svc, photo, viewer)
    if camera:
        return patches
    try:
        async with (
            readable_file(
                svc.store, original_key(photo.sha256), svc.settings.tmp_dir, prefix="original-"
            ) as path,
            svc.image_slots,
        ):
            blanking = await asyncio.to_thread(images.camera_blanking_patches, path)
    except BlobNotFound:
        raise NotFound("This file is missing from the store.") from None
    except StorageError as exc:
        raise Unavailable(str(exc)) from None
    if blanking is None:
        raise Forbidden(
            "This original cannot be downloaded through this link: the camera details inside "
            "it could not be removed. The photo itself is visible as usual."
        )
    return blanking


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
