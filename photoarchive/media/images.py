"""Opening an upload within its limits and ingesting it: what the archive keeps about a photo.

The door to media/ for everyone else: it names the metadata and rendition pieces too. Only
media/ imports Pillow.
"""

from __future__ import annotations

import io
import mmap
import struct
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pillow_heif
from PIL import Image, UnidentifiedImageError

from photoarchive.media import decode_budget, redaction
from photoarchive.media.metadata import EARLIEST_YEAR, Metadata, file_date, read_metadata
from photoarchive.media.packets import TooManyParts
from photoarchive.media.renditions import (
    PLACEHOLDER_EDGE,
    PREVIEW_EDGE,
    RENDITION_CONTENT_TYPE,
    THUMBNAIL_EDGE,
    Rendition,
    decode_preview,
    derive_renditions,
    placeholder,
    rendition_size,
    to_srgb,
    turn,
)

__all__ = [
    "EARLIEST_YEAR",
    "FORMATS",
    "MAX_FRAMES",
    "MAX_JPEG_SCANS",
    "PLACEHOLDER_EDGE",
    "PREVIEW_EDGE",
    "RENDITION_CONTENT_TYPE",
    "TEXT_TOO_LARGE",
    "THUMBNAIL_EDGE",
    "UPLOAD_FORMATS",
    "ImageError",
    "Ingested",
    "Metadata",
    "Rendition",
    "TooManyPixels",
    "TooMuchWork",
    "Turned",
    "UndecodableImage",
    "UnsupportedImage",
    "derive_renditions",
    "describe",
    "file_date",
    "ingest",
    "placeholder",
    "read_metadata",
    "rendition_size",
    "stored_location_patches",
    "to_srgb",
    "turned",
]

pillow_heif.register_heif_opener()
# A decompression bomb is refused, never merely logged.
warnings.simplefilter("error", Image.DecompressionBombWarning)

# Pillow plug-in names we ever open, with the content type we serve originals as.
# MPO is how Pillow names a JPEG that carries extra pictures (many cameras and phones write it).
FORMATS: dict[str, str] = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "HEIF": "image/heic",
    "AVIF": "image/avif",
}
# The same formats as the upload form offers them: the name people know, then the content types
# and file name endings a browser may label such a file with (HEIC is often known by name only).
UPLOAD_FORMATS: dict[str, tuple[str, ...]] = {
    "JPEG": ("image/jpeg", ".jpg", ".jpeg"),
    "PNG": ("image/png", ".png"),
    "WebP": ("image/webp", ".webp"),
    "GIF": ("image/gif", ".gif"),
    "HEIC": ("image/heic", "image/heif", ".heic", ".heif"),
    "AVIF": ("image/avif", ".avif"),
}
# Pillow's JPEG opener is the one that returns MPO files. AVIF is tried before HEIF: both are
# HEIF containers, and an AVIF branded only `mif1` would otherwise be claimed by pillow_heif,
# which has no AV1 decoder here, and refused as damaged.
_OPENERS = sorted((name for name in FORMATS if name != "MPO"), key=lambda name: name == "HEIF")
# Animated images are limited by the pixels of all frames together (only the first frame is
# decoded for the renditions, but browsers play every frame of the original).
MAX_FRAMES = 1000
ANIMATION_PIXEL_FACTOR = 4
# libjpeg visits every block once per scan of a progressive JPEG, even in draft mode: a file of
# 2,000 scans costs a minute of CPU. Real ones have about 10 (libjpeg's script) to 20.
MAX_JPEG_SCANS = 100


TEXT_TOO_LARGE = (
    "The image carries a text note (a comment or other details saved in the file) too large"
    " to read safely. Save or export it again without that note (as a JPEG, for example) and"
    " try again."
)


class ImageError(Exception):
    """An upload that is not an image we accept; `status` is the HTTP status to answer with."""

    status = 422


class UnsupportedImage(ImageError):
    status = 415


class UndecodableImage(ImageError):
    status = 422


class TooManyPixels(ImageError):
    status = 422


class TooMuchWork(ImageError):
    """Few pixels, but a structure (scans, frames, blocks) that would take too long to decode."""

    status = 422


@dataclass
class Ingested:
    format: str
    content_type: str
    width: int  # upright
    height: int
    metadata: Metadata
    renditions: list[Rendition] = field(default_factory=list)
    placeholder: str = ""
    # Byte patches that blank the location inside the original file (see redaction.py).
    # None: the location could not be blanked, so only the owner may download the original.
    location_patches: list[tuple[int, bytes]] | None = field(default_factory=list)


def _open(path: Path, max_pixels: int) -> Image.Image:
    """Open from the allow-list only and check the pixel count from the header, before decoding."""
    gif_frames = _count_costly_parts(path)
    # Pillow's own bomb check must not be stricter than the configured limit; ours is exact.
    if Image.MAX_IMAGE_PIXELS is not None and max_pixels > Image.MAX_IMAGE_PIXELS:
        Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        image = Image.open(path, formats=_OPENERS)
    except UnidentifiedImageError:
        if _begins_as_one_we_take(path):  # no opener could read past a damaged start
            raise UndecodableImage(f"{DAMAGED}.") from None
        raise UnsupportedImage(
            "This file is not a supported image. Upload JPEG, PNG, WebP, GIF, HEIC or AVIF."
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise TooManyPixels(f"The image has more than {max_pixels:,} pixels.") from None
    # RuntimeError: Pillow's AVIF opener, of a file whose primary item is missing.
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, RuntimeError) as exc:
        if isinstance(exc, ValueError) and "MAX_TEXT" in str(exc):
            # Pillow's limits on a PNG's text notes (PngImagePlugin.MAX_TEXT_CHUNK and
            # MAX_TEXT_MEMORY), named in its message: said here in words a person can act on.
            raise UndecodableImage(TEXT_TOO_LARGE) from None
        raise UndecodableImage(f"{DAMAGED} ({exc})") from None
    try:
        width, height = image.size
        if width <= 0 or height <= 0:
            raise UndecodableImage("The image has no pixels.")
        if width * height > max_pixels:
            raise TooManyPixels(
                f"The image is {width}x{height} ({width * height:,} pixels); "
                f"the limit is {max_pixels:,}."
            )
        if image.format == "HEIF":
            # A HEIF's other pictures (a burst, a depth map's companions) are no animation:
            # it opens at its primary picture, the one shown and checked above, and stays
            # there (its first picture may be another, of any size).
            return image
        try:
            # Pillow counts a GIF's frames by walking them all in Python; the count is known.
            frames = (
                max(gif_frames or 0, 1)
                if image.format == "GIF"
                else getattr(image, "n_frames", 1) or 1
            )
        except (OSError, SyntaxError, ValueError, EOFError, RuntimeError, struct.error) as exc:
            raise UndecodableImage(f"The animation could not be read: {exc}") from None
        if frames > 1 and (
            frames > MAX_FRAMES or frames * width * height > max_pixels * ANIMATION_PIXEL_FACTOR
        ):
            raise TooManyPixels(
                f"The animation has too many frames ({frames} of {width}x{height})."
            )
        if frames > 1:
            image.seek(0)
    except BaseException:
        image.close()
        raise
    return image


DAMAGED = "The image is damaged or cut short, and could not be read"
# How the files of the formats we take begin (HEIF and AVIF: an ISO box of type "ftyp" and
# one of their brands), to tell a damaged photo from a file of another kind.
_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")
_AVIF_BRANDS = (b"avif", b"avis")


def _begins_as_one_we_take(path: Path) -> bool:
    with path.open("rb") as file:
        head = file.read(12)
    if head.startswith(_SIGNATURES):
        return True
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return True
    return head[4:8] == b"ftyp" and head[8:12] in (*_HEIF_BRANDS, *_AVIF_BRANDS)


def _count_costly_parts(path: Path) -> int | None:
    """Refuse a JPEG of too many scans, or a GIF of too many frames, from its bytes alone:
    before Pillow decodes the scans or walks the frames. Returns a GIF's frame count."""
    with path.open("rb") as file:
        magic = file.read(6)
        if not magic.startswith((b"\xff\xd8\xff", b"GIF87a", b"GIF89a")):
            return None
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
            try:
                if magic.startswith(b"GIF"):
                    frames = decode_budget.gif_frames(data, MAX_FRAMES)
                    if frames > MAX_FRAMES:
                        raise TooMuchWork(f"The animation has more than {MAX_FRAMES:,} frames.")
                    return frames
                scans = decode_budget.jpeg_scans(data, MAX_JPEG_SCANS)
            except decode_budget.TooManySteps as exc:
                raise TooMuchWork(str(exc)) from None
    if scans > MAX_JPEG_SCANS:
        raise TooMuchWork(
            f"The JPEG has more than {MAX_JPEG_SCANS} scans (photos have about 10): "
            "it would take too long to decode."
        )
    return None


def ingest(path: Path, max_pixels: int) -> Ingested:
    """Decode `path` once and derive everything the archive keeps about it."""
    image = _open(path, max_pixels)
    with image:
        fmt = image.format or ""
        try:
            found = redaction.xmp_packets(path)
        except TooManyParts as exc:
            raise TooMuchWork(str(exc)) from None
        metadata = read_metadata(image, found)
        preview, (width, height) = _upright_preview(image)
    renditions = derive_renditions(preview, (width, height))
    result = Ingested(
        format=fmt,
        content_type=FORMATS.get(fmt, "application/octet-stream"),
        width=width,
        height=height,
        metadata=metadata,
        renditions=renditions,
        placeholder=placeholder(preview),
        location_patches=_blanking_patches(path, metadata),
    )
    preview.close()
    return result


@dataclass
class Turned:
    """A photo's renditions made again, turned by its owner: what its row says of them."""

    width: int  # upright, then turned
    height: int
    renditions: list[Rendition]
    placeholder: str


def turned(path: Path, max_pixels: int, rotation: int) -> Turned:
    """The renditions of the original at `path` turned `rotation` degrees clockwise on top of
    its EXIF orientation. The file is only read: an original's bytes never change."""
    image = _open(path, max_pixels)
    with image:
        preview, (width, height) = _upright_preview(image)
    preview = turn(preview, rotation)
    if rotation in (90, 270):
        width, height = height, width
    result = Turned(
        width, height, derive_renditions(preview, (width, height)), placeholder(preview)
    )
    preview.close()
    return result


def _upright_preview(image: Image.Image) -> tuple[Image.Image, tuple[int, int]]:
    """The preview stood upright by the EXIF orientation, and the full frame's upright size."""
    orientation = _orientation(image)
    width, height = image.size
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    try:
        return decode_preview(image, orientation, (width, height)), (width, height)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise TooManyPixels("The image is a decompression bomb.") from None
    except (
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        MemoryError,
        RuntimeError,  # libheif's decoding errors, through pillow-heif
        struct.error,
    ) as exc:
        raise UndecodableImage(f"The image data is damaged or truncated ({exc}).") from None


def _blanking_patches(path: Path, metadata: Metadata) -> list[tuple[int, bytes]] | None:
    """The patches that blank the location in the original, checked by reading the patched
    bytes back: None when a location would survive them (the original is then withheld from
    everyone but its owner; failing closed beats leaking where somebody lives)."""
    patches = redaction.location_patches(path)
    if patches is None or metadata.gps_lat is None:
        return patches
    try:
        blanked = redaction.apply_patches(path.read_bytes(), 0, patches)
        with Image.open(io.BytesIO(blanked), formats=_OPENERS) as image:
            survived = read_metadata(image, redaction.xmp_packets(blanked)).gps_lat is not None
    except Exception:
        survived = True
    return None if survived else patches


def stored_location_patches(path: Path) -> list[tuple[int, bytes]] | None:
    """The blanking patches of an original already in the archive, worked out again (see
    `rechecks`): only its header and metadata are read, nothing is decoded. None (withheld from
    all but its owner) when it cannot be read well enough to be sure."""
    try:
        with Image.open(path, formats=_OPENERS) as image:
            metadata = read_metadata(image, redaction.xmp_packets(path))
    except Exception:
        return None
    return _blanking_patches(path, metadata)


def camera_blanking_patches(path: Path) -> list[tuple[int, bytes]] | None:
    """The patches that blank the camera's details and the location in an original, for a
    share link that shows neither (see redaction.camera_patches), checked by reading the
    patched bytes back as ingest reads a photo: None when anything would survive them (then
    the original does not go out through the link). Nothing is decoded."""
    patches = redaction.camera_patches(path)
    if patches is None:
        return None
    try:
        blanked = redaction.apply_patches(path.read_bytes(), 0, patches)
        with Image.open(io.BytesIO(blanked), formats=_OPENERS) as image:
            left = read_metadata(image, redaction.xmp_packets(blanked))
    except Exception:
        return None
    return patches if left == Metadata() else None


def _orientation(image: Image.Image) -> int:
    """EXIF orientation 1-8. HEIF decoders apply the container's own transforms themselves
    (pillow-heif then reports 1), so one rule fits every format."""
    try:
        value = image.getexif().get(0x0112)
    except Exception:
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def describe(data: bytes) -> tuple[str, tuple[int, int], bool]:
    """Format, size and whether any EXIF is present: for tests and `verify`, on rendition bytes."""
    with Image.open(io.BytesIO(data), formats=_OPENERS) as image:
        return image.format or "", image.size, bool(image.getexif()) or "exif" in image.info
