"""Renditions: the preview and thumbnail every photo is shown as, and its placeholder.

Shrunk before rotation and colour conversion, encoded as WebP without any metadata.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

from PIL import Image, ImageCms

THUMBNAIL_EDGE = 512
PREVIEW_EDGE = 1600
PLACEHOLDER_EDGE = 16
RENDITION_CONTENT_TYPE = "image/webp"
WEBP_QUALITY = 80
# libwebp's effort 0-6. 4 (its default) costs the same as 3 here; 2 halves the encoding time
# but loses ~0.9 dB PSNR at the same quality setting, so 4 it is (bench/results/ingest.md).
WEBP_METHOD = 4
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

# Clockwise turns as Pillow names them (its ROTATE_90 turns counter-clockwise).
_CLOCKWISE = {
    90: Image.Transpose.ROTATE_270,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True)
class Rendition:
    name: str  # "thumbnail" or "preview"
    data: bytes
    width: int
    height: int


def decode_preview(image: Image.Image, orientation: int, upright: tuple[int, int]) -> Image.Image:
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


def turn(image: Image.Image, rotation: int) -> Image.Image:
    """`image` turned `rotation` degrees clockwise (0, 90, 180 or 270), after it was shrunk:
    the turn touches the preview's pixels, never the full frame's."""
    if rotation not in _CLOCKWISE:
        return image
    turned = image.transpose(_CLOCKWISE[rotation])
    image.close()
    return turned


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
