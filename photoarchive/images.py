"""Decoding, orientation, renditions and metadata. The only module that imports Pillow."""

from __future__ import annotations

import base64
import io
import mmap
import re
import struct
import warnings
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import pillow_heif
from PIL import Image, ImageCms, UnidentifiedImageError

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
    # Byte patches that blank the location inside the original file (see `location_patches`).
    location_patches: list[tuple[int, bytes]] = field(default_factory=list)


def _open(path: Path, max_pixels: int) -> Image.Image:
    """Open from the allow-list only and check the pixel count from the header, before decoding."""
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
            frames = getattr(image, "n_frames", 1) or 1
        except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
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


def ingest(path: Path, max_pixels: int) -> Ingested:
    """Decode `path` once and derive everything the archive keeps about it."""
    image = _open(path, max_pixels)
    with image:
        fmt = image.format or ""
        metadata = read_metadata(image)
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
        except (OSError, SyntaxError, ValueError, EOFError, MemoryError, struct.error) as exc:
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
        location_patches=location_patches(path),
    )
    preview.close()
    return result


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


# --- location inside the original file ------------------------------------------------------

_TIFF_HEADERS = (b"II*\x00", b"MM\x00*")
_TIFF_TYPE_SIZES = {
    1: 1,
    2: 1,
    3: 2,
    4: 4,
    5: 8,
    6: 1,
    7: 1,
    8: 2,
    9: 4,
    10: 8,
    11: 4,
    12: 8,
    13: 4,
}
_XMP_GPS = re.compile(
    rb"\s[A-Za-z-]+:(?i:gps)[A-Za-z]*=\"[^\"]{0,200}\""
    rb"|\s[A-Za-z-]+:(?i:gps)[A-Za-z]*='[^']{0,200}'"
    rb"|<([A-Za-z-]+:(?i:gps)[A-Za-z]*)>[^<]{0,200}</\1>"
)
_XMP_START, _XMP_END = b"<x:xmpmeta", b"</x:xmpmeta>"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def location_patches(path: Path) -> list[tuple[int, bytes]]:
    """Same-length byte patches that blank every GPS record in the file at `path`: the GPS
    directory of each embedded EXIF block (any container: JPEG, PNG, WebP, HEIC, AVIF) and
    GPS properties in XMP. Served originals get them applied for anyone but the owner, so the
    stored original stays byte-exact (its SHA-256 is its name) and Range requests still work."""
    try:
        with (
            open(path, "rb") as handle,
            mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data,
        ):
            patches: list[tuple[int, bytes]] = []
            for header in _TIFF_HEADERS:
                start = data.find(header)
                while start != -1:
                    patches.extend(_gps_ifd_patches(data, start))
                    start = data.find(header, start + 1)
            start = data.find(_XMP_START)
            while start != -1:  # only inside XMP packets: never scan the pixel data
                end = data.find(_XMP_END, start)
                if end == -1:
                    end = min(len(data), start + 1024 * 1024)
                for match in _XMP_GPS.finditer(data, start, end):  # type: ignore[call-overload]
                    patches.append((match.start(), b" " * (match.end() - match.start())))
                start = data.find(_XMP_START, end)
            if patches and data[:8] == _PNG_SIGNATURE:
                patches.extend(_png_crc_patches(data, patches))
            return sorted(patches)
    except (OSError, ValueError):
        return []  # an empty file cannot be mapped, and has no location either


def _gps_ifd_patches(data: mmap.mmap, base: int) -> list[tuple[int, bytes]]:
    """Patches for one TIFF structure starting at `base`, or none when it is not one."""
    order = "<" if data[base : base + 2] == b"II" else ">"
    size = len(data)

    def read(fmt: str, at: int) -> int:
        if at < 0 or at + struct.calcsize(fmt) > size:
            raise ValueError("outside the file")
        return struct.unpack_from(order + fmt, data, at)[0]

    try:
        ifd0 = base + read("I", base + 4)
        count = read("H", ifd0)
        if count > 1000:
            return []
        gps_at = None
        for index in range(count):
            entry = ifd0 + 2 + index * 12
            if read("H", entry) == _GPS_IFD:
                gps_at = base + read("I", entry + 8)
                break
        if gps_at is None:
            return []
        entries = read("H", gps_at)
        if entries == 0 or entries > 200:
            return []
        patches = [(gps_at, b"\x00\x00"), (gps_at + 2, b"\x00" * (entries * 12))]
        for index in range(entries):
            entry = gps_at + 2 + index * 12
            kind, number = read("H", entry + 2), read("I", entry + 4)
            length = _TIFF_TYPE_SIZES.get(kind, 1) * number
            if length > 4:
                value_at = base + read("I", entry + 8)
                if value_at >= 0 and value_at + length <= size and length <= 65536:
                    patches.append((value_at, b"\x00" * length))
        read("I", gps_at + 2 + entries * 12)  # the directory must end inside the file
        return patches
    except (ValueError, struct.error):
        return []


def _png_crc_patches(data: mmap.mmap, patches: list[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
    """PNG chunks carry a CRC; every chunk that a patch touches gets a new one."""
    fixes = []
    at = 8
    while at + 12 <= len(data):
        length = struct.unpack_from(">I", data, at)[0]
        body_start, body_end = at + 4, at + 8 + length  # CRC covers type + data
        if body_end + 4 > len(data):
            break
        if any(body_start <= offset < body_end for offset, _ in patches):
            body = bytearray(data[body_start:body_end])
            for offset, blank in patches:
                if body_start <= offset < body_end:
                    body[offset - body_start : offset - body_start + len(blank)] = blank
            fixes.append((body_end, struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)))
        at = body_end + 4
    return fixes


def apply_patches(chunk: bytes, offset: int, patches: list[tuple[int, bytes]]) -> bytes:
    """`chunk` (found at `offset` in its file) with the overlapping parts of `patches` applied."""
    end = offset + len(chunk)
    touched = [(at, blank) for at, blank in patches if at < end and at + len(blank) > offset]
    if not touched:
        return chunk
    out = bytearray(chunk)
    for at, blank in touched:
        lo, hi = max(at, offset), min(at + len(blank), end)
        out[lo - offset : hi - offset] = blank[lo - at : hi - at]
    return bytes(out)


def describe(data: bytes) -> tuple[str, tuple[int, int], bool]:
    """Format, size and whether any EXIF is present: for tests and `verify`, on rendition bytes."""
    with Image.open(io.BytesIO(data), formats=_OPENERS) as image:
        return image.format or "", image.size, bool(image.getexif()) or "exif" in image.info
