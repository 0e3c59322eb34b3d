"""Decoding, orientation, renditions and metadata. The only module that imports Pillow."""

from __future__ import annotations

import base64
import io
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import pillow_heif
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

pillow_heif.register_heif_opener()
# A decompression bomb is refused, never merely logged.
warnings.simplefilter("error", Image.DecompressionBombWarning)

# Pillow plug-in names we ever open, with the content type we serve originals as.
FORMATS: dict[str, str] = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "HEIF": "image/heic",
    "AVIF": "image/avif",
}
THUMBNAIL_EDGE = 512
PREVIEW_EDGE = 1600
PLACEHOLDER_EDGE = 16
RENDITION_CONTENT_TYPE = "image/webp"
# Animated images are limited by the pixels of all frames together.
MAX_FRAMES = 1000

_SRGB = ImageCms.createProfile("sRGB")


class ImageError(Exception):
    """An upload that is not an image we accept; `status` is the HTTP status to answer with."""

    status = 422


class UnsupportedImage(ImageError):
    status = 415


class UndecodableImage(ImageError):
    status = 422


class TooManyPixels(ImageError):
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


def _open(path: Path, max_pixels: int) -> Image.Image:
    """Open from the allow-list only and check the pixel count from the header, before decoding."""
    try:
        image = Image.open(path, formats=list(FORMATS))
    except UnidentifiedImageError:
        raise UnsupportedImage(
            "This file is not a supported image. Upload JPEG, PNG, WebP, GIF, HEIC or AVIF."
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise TooManyPixels(f"The image has more than {max_pixels:,} pixels.") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise UndecodableImage(f"The image could not be read: {exc}") from None
    width, height = image.size
    frames = getattr(image, "n_frames", 1) or 1
    if width <= 0 or height <= 0:
        image.close()
        raise UndecodableImage("The image has no pixels.")
    if width * height > max_pixels:
        image.close()
        raise TooManyPixels(
            f"The image is {width}x{height} ({width * height:,} pixels); the limit is {max_pixels:,}."
        )
    if frames > 1 and (frames > MAX_FRAMES or frames * width * height > max_pixels * 4):
        image.close()
        raise TooManyPixels(f"The animation has too many frames ({frames} of {width}x{height}).")
    return image


def ingest(path: Path, max_pixels: int) -> Ingested:
    """Decode `path` once and derive everything the archive keeps about it."""
    image = _open(path, max_pixels)
    with image:
        fmt = image.format or ""
        metadata = read_metadata(image)
        width, height = upright_size(image)
        try:
            upright = _decode_upright(image)
        except ImageError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise TooManyPixels("The image is a decompression bomb.") from None
        except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
            raise UndecodableImage(f"The image data is damaged or truncated ({exc}).") from None
    renditions = derive_renditions(upright)
    result = Ingested(
        format=fmt,
        content_type=FORMATS.get(fmt, "application/octet-stream"),
        width=width,
        height=height,
        metadata=metadata,
        renditions=renditions,
        placeholder=placeholder(upright),
    )
    upright.close()
    return result


def _decode_upright(image: Image.Image) -> Image.Image:
    """Fully decode, rotate upright, convert to display sRGB (RGB or RGBA)."""
    if image.format == "JPEG":
        # Let libjpeg scale down by 1/2..1/8 while decoding: far less work and memory.
        image.draft("RGB" if image.mode != "CMYK" else "CMYK", (PREVIEW_EDGE, PREVIEW_EDGE))
    image.load()
    icc = image.info.get("icc_profile")
    try:
        upright = ImageOps.exif_transpose(image) or image
    except Exception:
        upright = image
    return to_srgb(upright, icc)


def upright_size(image: Image.Image) -> tuple[int, int]:
    """Pixel size once EXIF orientation is applied, read from the header without decoding."""
    width, height = image.size
    try:
        orientation = image.getexif().get(0x0112)
    except Exception:
        orientation = None
    if orientation in (5, 6, 7, 8):
        return height, width
    return width, height


def to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert any mode and embedded colour profile to 8-bit sRGB, keeping transparency."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda value: value * (1 / 256)).convert("L")
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    target = "RGBA" if has_alpha else "RGB"
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if image.mode not in ("RGB", "RGBA", "CMYK", "L"):
                image = image.convert(target)
            converted = ImageCms.profileToProfile(
                image, source, _SRGB, outputMode=target if image.mode != "L" else "L"
            )
            if converted is not None:
                image = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile is ignored: the pixels are still worth keeping
    if image.mode != target:
        image = image.convert(target)
    return image


def derive_renditions(upright: Image.Image) -> list[Rendition]:
    renditions = []
    for name, edge in (("preview", PREVIEW_EDGE), ("thumbnail", THUMBNAIL_EDGE)):
        copy = upright.copy()
        copy.thumbnail((edge, edge), Image.Resampling.LANCZOS, reducing_gap=3.0)
        buffer = io.BytesIO()
        # Saved without exif/xmp/icc arguments: renditions carry no metadata.
        copy.save(buffer, "WEBP", quality=80, method=4)
        renditions.append(Rendition(name, buffer.getvalue(), copy.width, copy.height))
        upright = copy if name == "preview" else upright  # shrink from the preview, not the full
    return renditions


def placeholder(upright: Image.Image) -> str:
    """A few-hundred-byte data URI that shows the photo's colours while it loads."""
    tiny = upright.copy()
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


def read_metadata(image: Image.Image) -> Metadata:
    """Best effort: every field is optional and broken values are skipped, never fatal."""
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
    meta.taken_at = _taken_at(sub.get(36867) or base.get(306), sub.get(36881) or sub.get(36880))
    try:
        gps = dict(_safe_items(exif.get_ifd(_GPS_IFD)))
        meta.gps_lat = _coordinate(gps.get(2), gps.get(1))
        meta.gps_lon = _coordinate(gps.get(4), gps.get(3))
    except Exception:
        meta.gps_lat = meta.gps_lon = None
    if meta.gps_lat is None or meta.gps_lon is None:
        meta.gps_lat = meta.gps_lon = None
    return meta


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
    if zone and len(zone) == 6 and zone[0] in "+-" and zone[3] == ":":
        stamp += zone
    return stamp


def _coordinate(value: Any, ref: Any) -> float | None:
    if not isinstance(value, tuple) or len(value) != 3:
        return None
    try:
        degrees, minutes, seconds = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = degrees + minutes / 60 + seconds / 3600
    if _text(ref) in ("S", "W"):
        result = -result
    if not -180 <= result <= 180:
        return None
    return round(result, 6)


def describe(data: bytes) -> tuple[str, tuple[int, int], bool]:
    """Format, size and whether any EXIF is present: for tests and `verify`, on rendition bytes."""
    with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
        return image.format or "", image.size, bool(image.getexif()) or "exif" in image.info
