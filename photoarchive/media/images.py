"""Decoding, orientation, renditions and metadata. The only module that imports Pillow."""

from __future__ import annotations

import base64
import io
import mmap
import re
import struct
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import pillow_heif
from PIL import Image, ImageCms, UnidentifiedImageError

from photoarchive.media import decode_budget, redaction, xmp

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
# Pillow's JPEG opener is the one that returns MPO files.
_OPENERS = [name for name in FORMATS if name != "MPO"]
THUMBNAIL_EDGE = 512
PREVIEW_EDGE = 1600
PLACEHOLDER_EDGE = 16
RENDITION_CONTENT_TYPE = "image/webp"
WEBP_QUALITY = 80
# libwebp's effort 0-6. 4 (its default) costs the same as 3 here; 2 halves the encoding time
# but loses ~0.9 dB PSNR at the same quality setting, so 4 it is (bench/results/ingest.md).
WEBP_METHOD = 4
# Animated images are limited by the pixels of all frames together (only the first frame is
# decoded for the renditions, but browsers play every frame of the original).
MAX_FRAMES = 1000
ANIMATION_PIXEL_FACTOR = 4
# libjpeg visits every block once per scan of a progressive JPEG, even in draft mode: a file of
# 2,000 scans costs a minute of CPU. Real ones have about 10 (libjpeg's script) to 20.
MAX_JPEG_SCANS = 100
# 16-bit grey is shrunk before it is converted: conversion widens it to 4 bytes a pixel.
_SIXTEEN_BIT_GREY = ("I;16", "I;16B", "I;16L", "I;16N")

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


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


@dataclass(frozen=True)
class Rendition:
    name: str  # "thumbnail" or "preview"
    data: bytes
    width: int
    height: int


@dataclass
class Metadata:
    taken_at: str | None = None
    camera_make: str | None = None
    camera_model: str | None = None
    lens: str | None = None
    focal_length: float | None = None
    aperture: float | None = None
    exposure_time: str | None = None
    iso: int | None = None
    gps_lat: float | None = None
    gps_lon: float | None = None


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
        raise UnsupportedImage(
            "This file is not a supported image. Upload JPEG, PNG, WebP, GIF, HEIC or AVIF."
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise TooManyPixels(f"The image has more than {max_pixels:,} pixels.") from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise UndecodableImage(f"The image could not be read: {exc}") from None
    try:
        width, height = image.size
        if width <= 0 or height <= 0:
            raise UndecodableImage("The image has no pixels.")
        if width * height > max_pixels:
            raise TooManyPixels(
                f"The image is {width}x{height} ({width * height:,} pixels); "
                f"the limit is {max_pixels:,}."
            )
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
        metadata = read_metadata(image, redaction.xmp_packets(path))
        orientation = _orientation(image)
        width, height = image.size
        if orientation in (5, 6, 7, 8):
            width, height = height, width
        try:
            preview = _decode_preview(image, orientation, (width, height))
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


def _orientation(image: Image.Image) -> int:
    """EXIF orientation 1-8. HEIF decoders apply the container's own transforms themselves
    (pillow-heif then reports 1), so one rule fits every format."""
    try:
        value = image.getexif().get(0x0112)
    except Exception:
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _decode_preview(image: Image.Image, orientation: int, upright: tuple[int, int]) -> Image.Image:
    """Decode only as much as the preview needs, shrink, rotate upright, convert to sRGB.

    Shrinking comes before rotation and colour conversion, so both touch ~2 MP, not the
    full frame; a JPEG is even decoded at 1/2..1/8 scale by libjpeg (draft mode)."""
    target = rendition_size(*upright, PREVIEW_EDGE)
    if orientation in (5, 6, 7, 8):
        target = (target[1], target[0])  # the size before rotation
    icc = image.info.get("icc_profile")
    if image.format in ("JPEG", "MPO"):
        image.draft("RGB" if image.mode not in ("CMYK", "L") else image.mode, target)
    image.load()
    if image.mode in _SIXTEEN_BIT_GREY and image.size != target:
        # Without reducing_gap: Image.reduce has no 16-bit mode.
        decoded = _resizable(image.resize(target, Image.Resampling.LANCZOS))
    else:
        decoded = _resizable(image)
    if decoded.size != target:
        shrunk = decoded.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
        if decoded is not image:
            decoded.close()
        decoded = shrunk
    elif decoded is image:
        decoded = image.copy()
    if orientation in _TRANSPOSE:
        decoded = decoded.transpose(_TRANSPOSE[orientation])
    return to_srgb(decoded, icc)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode in ("P", "L", "RGB") and "transparency" in image.info
    )


def _resizable(image: Image.Image) -> Image.Image:
    """A mode Pillow resizes with a real filter, keeping the colour space (CMYK stays CMYK for
    its profile) and transparency."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        # 16-bit grey: keep the top 8 bits (Pillow has no 16-bit colour management).
        if image.mode != "I":
            image = image.convert("I")
        return image.point(lambda value: value * (1 / 256)).convert("L")
    if image.mode in ("RGB", "RGBA", "L", "LA", "CMYK"):
        return image
    if image.mode == "1":
        return image.convert("L")
    return image.convert("RGBA" if _has_alpha(image) else "RGB")


def to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert any mode and embedded colour profile to 8-bit sRGB, keeping transparency."""
    image = _resizable(image)
    target = "RGBA" if _has_alpha(image) else "RGB"
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            alpha = image.getchannel("A") if image.mode in ("RGBA", "LA") else None
            colour = image.convert(image.mode[:-1]) if alpha is not None else image
            converted = ImageCms.profileToProfile(
                colour,
                source,
                _SRGB,
                renderingIntent=ImageCms.Intent.PERCEPTUAL,
                outputMode="RGB",
            )
            if converted is not None:
                if alpha is not None:
                    converted.putalpha(alpha)
                image = converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken or mismatched profile is ignored: the pixels are still worth keeping
    if image.mode != target:
        image = image.convert(target)
    return image


def derive_renditions(preview: Image.Image, upright: tuple[int, int]) -> list[Rendition]:
    """The preview as given, then the thumbnail shrunk from it (never from the full frame)."""
    thumb_size = rendition_size(*upright, THUMBNAIL_EDGE)
    thumbnail = (
        preview.resize(thumb_size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        if preview.size != thumb_size
        else preview
    )
    return [_encode("preview", preview), _encode("thumbnail", thumbnail)]


def _encode(name: str, image: Image.Image) -> Rendition:
    buffer = io.BytesIO()
    # Saved without exif/xmp/icc arguments: renditions carry no metadata; pixels are sRGB.
    image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    return Rendition(name, buffer.getvalue(), image.width, image.height)


def placeholder(image: Image.Image) -> str:
    """A few-hundred-byte data URI that shows the photo's colours while it loads."""
    tiny = image.copy()
    tiny.thumbnail((PLACEHOLDER_EDGE, PLACEHOLDER_EDGE), Image.Resampling.BOX)
    buffer = io.BytesIO()
    tiny.save(buffer, "WEBP", quality=40)
    return "data:image/webp;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def rendition_size(width: int, height: int, edge: int) -> tuple[int, int]:
    """The size `derive_renditions` gives an upright image of width x height."""
    if max(width, height) <= edge:
        return width, height
    if width >= height:
        return edge, max(1, round(height * edge / width))
    return max(1, round(width * edge / height)), edge


# --- metadata -------------------------------------------------------------------------------

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825


def read_metadata(image: Image.Image, xmp_packets: Iterable[bytes] = ()) -> Metadata:
    """Best effort: every field is optional and broken values are skipped, never fatal.
    The position comes from EXIF, else from the file's XMP packets (`redaction.xmp_packets`:
    the same packets, read the same way, as those the location is blanked in)."""
    meta = Metadata()
    try:
        exif = image.getexif()
    except Exception:
        return meta
    base: dict[int, Any] = dict(_safe_items(exif))
    try:
        sub: dict[int, Any] = dict(_safe_items(exif.get_ifd(_EXIF_IFD)))
    except Exception:
        sub = {}
    meta.camera_make = _text(base.get(271))
    meta.camera_model = _text(base.get(272))
    meta.lens = _text(sub.get(42036))
    meta.focal_length = _number(sub.get(37386))
    meta.aperture = _number(sub.get(33437))
    meta.exposure_time = _exposure(sub.get(33434))
    iso = _number(sub.get(34855))
    meta.iso = int(iso) if iso else None
    # DateTimeOriginal with OffsetTimeOriginal; else digitised; else the file's DateTime.
    for when, offset in ((sub, (36867, 36881)), (sub, (36868, 36882)), (base, (306, 36880))):
        meta.taken_at = _taken_at(when.get(offset[0]), sub.get(offset[1]) or sub.get(36880))
        if meta.taken_at:
            break
    try:
        gps = dict(_safe_items(exif.get_ifd(_GPS_IFD)))
        meta.gps_lat = _coordinate(gps.get(2), gps.get(1), 90)
        meta.gps_lon = _coordinate(gps.get(4), gps.get(3), 180)
    except Exception:
        meta.gps_lat = meta.gps_lon = None
    if meta.gps_lat is None or meta.gps_lon is None:
        meta.gps_lat = meta.gps_lon = None
        found = next(filter(None, map(xmp.position, xmp_packets)), None)
        if found is not None:
            meta.gps_lat, meta.gps_lon = found
    return meta


def file_date(timestamp: float) -> str:
    """A file's modification time as a `taken_at` value, for photos without a camera date."""
    return datetime.fromtimestamp(timestamp, UTC).replace(microsecond=0).isoformat()


def _safe_items(ifd: Any) -> list[tuple[int, Any]]:
    items = []
    for key in list(ifd.keys()):
        try:
            items.append((key, ifd[key]))
        except Exception:  # noqa: S112 - skip the one broken tag, keep the rest
            continue
    return items


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    cleaned = "".join(ch for ch in value if ch.isprintable()).strip()
    return cleaned[:100] or None


def _number(value: Any) -> float | None:
    if isinstance(value, tuple) and value:
        value = value[0]
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if number != number or number in (float("inf"), float("-inf")) or number <= 0:
        return None
    return round(number, 4)


def _exposure(value: Any) -> str | None:
    number = _number(value)
    if number is None:
        return None
    if number >= 1:
        return f"{number:g}"
    fraction = Fraction(number).limit_denominator(100_000)
    return f"1/{round(1 / number)}" if fraction.numerator != 1 else str(fraction)


def _taken_at(value: Any, offset: Any) -> str | None:
    text = _text(value)
    if not text:
        return None
    try:
        moment = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if not 1800 <= moment.year <= 2200:
        return None
    stamp = moment.isoformat()
    zone = _text(offset)
    if zone and re.fullmatch(r"[+-](0\d|1[0-4]):[0-5]\d", zone):
        stamp += zone
    return stamp


def _coordinate(value: Any, ref: Any, bound: float) -> float | None:
    if not isinstance(value, tuple) or len(value) != 3:
        return None
    try:
        degrees, minutes, seconds = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if any(part != part or part < 0 for part in (degrees, minutes, seconds)):
        return None
    result = degrees + minutes / 60 + seconds / 3600
    if _text(ref) in ("S", "W"):
        result = -result
    if not -bound <= result <= bound:
        return None
    return round(result, 6)


def describe(data: bytes) -> tuple[str, tuple[int, int], bool]:
    """Format, size and whether any EXIF is present: for tests and `verify`, on rendition bytes."""
    with Image.open(io.BytesIO(data), formats=_OPENERS) as image:
        return image.format or "", image.size, bool(image.getexif()) or "exif" in image.info
