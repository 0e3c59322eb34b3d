"""Blanking the location inside an original file without rewriting it.

The stored original stays byte-exact (its SHA-256 is its name, and its owner gets it back as
it was); anyone else downloads it with same-length patches applied on the way out, so Range
requests keep working and no second copy is stored. No Pillow here: this is byte surgery on
the EXIF (TIFF) blocks and XMP packets that JPEG, PNG, WebP, HEIC and AVIF embed as they are.
"""

from __future__ import annotations

import mmap
import re
import struct
import zlib
from pathlib import Path

_GPS_IFD = 0x8825
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
            if data[:8] == _PNG_SIGNATURE:
                patches.extend(_png_text_patches(data))
                if patches:
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


_PNG_TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")
# A private ancillary chunk type that every decoder skips: what a blanked text chunk becomes.
_PNG_BLANK_TYPE = b"prVt"


def _png_text_patches(data: mmap.mmap) -> list[tuple[int, bytes]]:
    """Text chunks that carry metadata in a form the byte search above cannot read:
    ImageMagick's hex "Raw profile type exif/xmp" (any chunk) and compressed XMP. Their type
    and data are blanked (the CRC is fixed by `_png_crc_patches`)."""
    patches = []
    at = 8
    while at + 12 <= len(data):
        length = struct.unpack_from(">I", data, at)[0]
        kind = bytes(data[at + 4 : at + 8])
        body_start, body_end = at + 8, at + 8 + length
        if body_end + 4 > len(data):
            break
        if kind in _PNG_TEXT_CHUNKS:
            head = bytes(data[body_start : min(body_end, body_start + 82)])
            keyword, _, rest = head.partition(b"\x00")
            compressed = kind == b"zTXt" or (kind == b"iTXt" and rest[:1] == b"\x01")
            name = keyword.lower()
            if name.startswith(b"raw profile type") or (
                compressed and name == b"xml:com.adobe.xmp"
            ):
                patches.append((at + 4, _PNG_BLANK_TYPE))
                patches.append((body_start, b"\x00" * length))
        at = body_end + 4
    return patches


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
