"""Blanking the location inside an original file without rewriting it (and, for a share link
that does not show them, the camera's details: `camera_patches`).

The stored original stays byte-exact (its SHA-256 is its name, and its owner gets it back as
it was); anyone else downloads it with same-length patches applied on the way out, so Range
requests keep working and no second copy is stored. No Pillow here: this is byte surgery on
the EXIF (TIFF) blocks and XMP packets that JPEG, PNG, WebP, GIF, HEIC and AVIF embed as they are.

What to patch in an EXIF block's TIFF directories is worked out by `tiff.py`. XMP packets are
found where each container keeps them (`packets.py`), and what to blank in them is decided by
parsing them (`xmp.location_spans`), never by a pattern over the bytes.
"""

from __future__ import annotations

import mmap
import struct
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from photoarchive.media import iptc, packets, tiff, xmp
from photoarchive.media.packets import Buffer, Pieces

_PNG_SIGNATURE = packets.PNG_SIGNATURE
# Every XMP packet declares the RDF namespace: one found outside the packets located by
# `packets.find` is a packet in a place no container rule knows, so the original is withheld.
_RDF_URI = packets.RDF_URI


def location_patches(path: Path) -> list[tuple[int, bytes]] | None:
    """Same-length byte patches that blank every GPS record and place name in the file at
    `path`: the GPS directory of each embedded EXIF block (any container: JPEG, PNG, WebP,
    HEIC, AVIF), the places of its IPTC blocks, and every position or place property of every
    XMP packet (a packet that cannot be parsed is blanked whole). Served originals get them applied for anyone but the owner, so the stored original
    stays byte-exact (its SHA-256 is its name) and Range requests still work. None when an XMP
    packet sits where no container rule finds it: then it cannot be blanked with certainty."""
    try:
        with _mapped(path) as data:
            return _location_patches(data)
    except OSError:
        return []  # unreadable now: ingest, which reads it too, refuses the file
    except packets.TooManyParts:
        return None  # not looked through: nothing can be said of what is inside


def camera_patches(path: Path) -> list[tuple[int, bytes]] | None:
    """As `location_patches`, and the camera's details blanked too, for a share link that does
    not show them: in each EXIF block, IFD0's camera entries (make, model, firmware, serial
    number, the date) taken out of its directory and the whole EXIF sub-directory blanked
    (exposure, lens, serial numbers, maker notes, dates taken); in XMP, every camera property
    (`xmp.camera_spans`). Orientation and the picture's own bytes stay as they are. Patches
    that rewrite a directory come first, blanks after them: a directory found inside a blanked
    value (a maker note's own) stays blank."""
    try:
        with _mapped(path) as data:
            return _patches(data, camera=True)
    except (OSError, packets.TooManyParts):
        return None  # unreadable now, or not looked through: nothing can be said of it


def xmp_packets(source: Path | bytes) -> list[bytes]:
    """Every XMP packet in the file (or its bytes), found the way `location_patches` finds them:
    for reading the owner's location from the same structure that decides what to blank."""
    if isinstance(source, bytes):
        return [_joined(source, pieces) for pieces in packets.find(source)]
    with _mapped(source) as data:
        return [_joined(data, pieces) for pieces in packets.find(data)]


@contextmanager
def _mapped(path: Path) -> Iterator[Buffer]:
    with open(path, "rb") as handle:
        try:
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file cannot be mapped, and has no location either
            yield b""
            return
        with data:
            yield data


def _location_patches(data: Buffer) -> list[tuple[int, bytes]] | None:
    return _patches(data, camera=False)


def _patches(data: Buffer, *, camera: bool) -> list[tuple[int, bytes]] | None:
    rewrites: list[tuple[int, bytes]] = []
    patches: list[tuple[int, bytes]] = []
    for header in packets.TIFF_HEADERS:
        for start in packets.find_all(data, header):
            patches.extend(tiff.location_patches(data, start))
            if camera:
                directory, blanks = tiff.camera_patches(data, start)
                rewrites.extend(directory)
                patches.extend(blanks)
    found = packets.find(data)
    spans = xmp.camera_spans if camera else xmp.location_spans
    for pieces in found:
        patches.extend(_xmp_patches(data, pieces, spans))
    if _stray_packet(data, found):
        return None
    patches.extend(iptc.patches(data, iptc.PLACE_AND_CAMERA if camera else iptc.PLACE))
    if data[:8] == _PNG_SIGNATURE:
        patches.extend(_png_text_patches(data, camera=camera))
    ordered = sorted(rewrites) + sorted(patches)  # applied in this order: blanks win
    if data[:8] == _PNG_SIGNATURE and ordered:
        ordered.extend(_png_crc_patches(data, ordered))
    return ordered if camera else sorted(ordered)


def _joined(data: Buffer, pieces: Pieces) -> bytes:
    return b"".join(data[lo:hi] for lo, hi in pieces)


def _xmp_patches(
    data: Buffer, pieces: Pieces, blanked: Callable[[bytes], list[tuple[int, int]] | None]
) -> list[tuple[int, bytes]]:
    """Spaces over every property of one packet that is `blanked` (its spans), or over all of
    it when it cannot be parsed: other readers are more lenient than XML and would still find
    a position there."""
    packet = _joined(data, pieces)
    spans = blanked(packet)
    if spans is None:
        spans = [(0, len(packet))]
    patches = []
    logical = 0
    for lo, hi in pieces:  # map spans in the joined packet back to the file
        for start, end in spans:
            first, last = max(start, logical), min(end, logical + hi - lo)
            if first < last:
                patches.append((lo + first - logical, b" " * (last - first)))
        logical += hi - lo
    return patches


def _stray_packet(data: Buffer, found: list[Pieces]) -> bool:
    at = data.find(_RDF_URI)
    while at != -1:
        if not any(lo <= at < hi for pieces in found for lo, hi in pieces):
            return True
        at = data.find(_RDF_URI, at + 1)
    return False


_PNG_TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")
# A private ancillary chunk type that every decoder skips: what a blanked text chunk becomes.
_PNG_BLANK_TYPE = b"prVt"


def _png_text_patches(data: Buffer, *, camera: bool = False) -> list[tuple[int, bytes]]:
    """Text chunks that carry metadata in a form the byte search above cannot read:
    ImageMagick's hex "Raw profile type exif/xmp" (any chunk) and compressed XMP; with
    `camera`, also every other text chunk but XMP's own (read as a packet above) and the
    time chunk: writers put the program and the moment there ("Software", "Creation Time").
    Their type and data are blanked (the CRC is fixed by `_png_crc_patches`)."""
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
            if (
                name.startswith(b"raw profile type")
                or (compressed and name == b"xml:com.adobe.xmp")
                or (camera and name != b"xml:com.adobe.xmp")
            ):
                patches.append((at + 4, _PNG_BLANK_TYPE))
                patches.append((body_start, b"\x00" * length))
        elif camera and kind == b"tIME":
            patches.append((at + 4, _PNG_BLANK_TYPE))
            patches.append((body_start, b"\x00" * length))
        at = body_end + 4
    return patches


def _png_crc_patches(data: Buffer, patches: list[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
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
