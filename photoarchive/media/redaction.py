"""Blanking the location inside an original file without rewriting it (and, for a share link
that does not show them, the camera's details: `camera_patches`).

The stored original stays byte-exact (its SHA-256 is its name, and its owner gets it back as
it was); anyone else downloads it with same-length patches applied on the way out, so Range
requests keep working and no second copy is stored. No Pillow here: this is byte surgery on
the EXIF (TIFF) blocks and XMP packets that JPEG, PNG, WebP, GIF, HEIC and AVIF embed as they are.

XMP packets are found where each container keeps them (`packets.py`), and what to blank in
them is decided by parsing them (`xmp.location_spans`), never by a pattern over the bytes.
"""

from __future__ import annotations

import mmap
import struct
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from photoarchive.media import packets, xmp
from photoarchive.media.packets import Buffer, Pieces

_GPS_IFD = 0x8825
_TIFF_HEADERS = packets.TIFF_HEADERS
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
# What a directory of an EXIF block (IFD0, and IFD1, the thumbnail's) keeps when a share link
# does not show the camera's details: how to read the picture and its thumbnail (size, layout,
# colour, orientation, resolution), its ICC profile, and what its owner wrote (artist,
# copyright, Windows' title, comment, author, keywords, subject), with the IPTC, XMP and GPS
# blocks that are blanked on their own. Anything else (make, model, firmware, serial numbers,
# dates, a description a camera fills in, EXIF tags written into IFD0, the EXIF
# sub-directory with exposure, lens and maker notes) is taken out.
_KEPT_TAGS = frozenset(
    {
        *range(0x0100, 0x0107),  # size, bits, compression, photometric interpretation
        0x0111,  # strip offsets
        0x0112,  # orientation
        *range(0x0115, 0x0118),  # samples per pixel, rows per strip, strip byte counts
        0x011A,
        0x011B,
        0x011C,  # resolution, planar configuration
        0x0128,  # resolution unit
        0x013B,  # artist
        0x013E,
        0x013F,  # white point, primary chromaticities
        0x0201,
        0x0202,  # the thumbnail's offset and length
        *range(0x0211, 0x0215),  # YCbCr coefficients, subsampling, positioning, reference
        0x02BC,  # XMP (blanked on its own)
        0x8298,  # copyright
        0x83BB,  # IPTC
        0x8773,  # ICC profile
        0x8825,  # GPS directory (blanked with the location)
        *range(0x9C9B, 0x9CA0),  # Windows' title, comment, author, keywords, subject
    }
)
_EXIF_IFD = 0x8769
_VALUE_MAX = 16 * 1024 * 1024  # a value longer than this is no metadata a camera wrote
_PNG_SIGNATURE = packets.PNG_SIGNATURE
# Every XMP packet declares the RDF namespace: one found outside the packets located by
# `packets.find` is a packet in a place no container rule knows, so the original is withheld.
_RDF_URI = packets.RDF_URI


def location_patches(path: Path) -> list[tuple[int, bytes]] | None:
    """Same-length byte patches that blank every GPS record in the file at `path`: the GPS
    directory of each embedded EXIF block (any container: JPEG, PNG, WebP, HEIC, AVIF) and
    every position property of every XMP packet (a packet that cannot be parsed is blanked
    whole). Served originals get them applied for anyone but the owner, so the stored original
    stays byte-exact (its SHA-256 is its name) and Range requests still work. None when an XMP
    packet sits where no container rule finds it: then it cannot be blanked with certainty."""
    try:
        with _mapped(path) as data:
            return _location_patches(data)
    except OSError:
        return []  # unreadable now: ingest, which reads it too, refuses the file


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
    except OSError:
        return None  # unreadable now: nothing can be said of what is inside


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
    for header in _TIFF_HEADERS:
        start = data.find(header)
        while start != -1:
            patches.extend(_gps_ifd_patches(data, start))
            if camera:
                directory, blanks = _camera_ifd_patches(data, start)
                rewrites.extend(directory)
                patches.extend(blanks)
            start = data.find(header, start + 1)
    found = packets.find(data)
    spans = xmp.camera_spans if camera else xmp.location_spans
    for pieces in found:
        patches.extend(_xmp_patches(data, pieces, spans))
    if _stray_packet(data, found):
        return None
    if data[:8] == _PNG_SIGNATURE:
        patches.extend(_png_text_patches(data))
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


def _gps_ifd_patches(data: Buffer, base: int) -> list[tuple[int, bytes]]:
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


def _camera_ifd_patches(
    data: Buffer, base: int
) -> tuple[list[tuple[int, bytes]], list[tuple[int, bytes]]]:
    """For one TIFF structure starting at `base` (none when it is not one): IFD0 and IFD1
    rewritten in place with only their `_KEPT_TAGS` entries (moved up, the count and the next
    directory's offset where readers look for them, zeros after), and blanks over the values
    of the entries taken out, and over the whole EXIF sub-directory with its values."""
    order = "<" if data[base : base + 2] == b"II" else ">"
    size = len(data)

    def read(fmt: str, at: int) -> int:
        if at < 0 or at + struct.calcsize(fmt) > size:
            raise ValueError("outside the file")
        return struct.unpack_from(order + fmt, data, at)[0]

    def entries(directory: int) -> list[tuple[int, int, int, int]]:
        """(where, tag, type, count) of each entry; ValueError when it is no directory."""
        count = read("H", directory)
        if not 1 <= count <= 1000:
            raise ValueError("not a directory")
        found = []
        for index in range(count):
            at = directory + 2 + index * 12
            kind = read("H", at + 2)
            if kind not in _TIFF_TYPE_SIZES:
                raise ValueError("not a directory")
            found.append((at, read("H", at), kind, read("I", at + 4)))
        read("I", directory + 2 + count * 12)  # the directory must end inside the file
        return found

    def value_blanks(at: int, kind: int, number: int) -> list[tuple[int, bytes]]:
        length = _TIFF_TYPE_SIZES[kind] * number
        if length <= 4:
            return []  # held in the entry itself, which goes with it
        value_at = base + read("I", at + 8)
        if value_at < 0 or value_at + length > size or length > _VALUE_MAX:
            return []
        return [(value_at, b"\x00" * length)]

    def sub_directory_blanks(pointer_at: int) -> list[tuple[int, bytes]]:
        at = base + read("I", pointer_at + 8)
        try:
            inner = entries(at)
        except ValueError:
            return []  # no directory there to blank; the pointer to it is gone anyway
        blanks = [(at, bytes(2 + len(inner) * 12 + 4))]
        for entry_at, _, kind, number in inner:
            blanks.extend(value_blanks(entry_at, kind, number))
        return blanks

    rewrites: list[tuple[int, bytes]] = []
    blanks: list[tuple[int, bytes]] = []
    try:
        directory = base + read("I", base + 4)
        for _ in range(2):  # IFD0, then IFD1 (the thumbnail's), if there is one
            listed = entries(directory)
            kept = [entry for entry in listed if entry[1] in _KEPT_TAGS]
            end = directory + 2 + len(listed) * 12
            following = read("I", end)
            if len(kept) < len(listed):
                rewritten = (
                    struct.pack(order + "H", len(kept))
                    + b"".join(bytes(data[at : at + 12]) for at, *_ in kept)
                    + bytes(data[end : end + 4])
                )
                rewrites.append(
                    (directory, rewritten + bytes(end + 4 - directory - len(rewritten)))
                )
                for at, tag, kind, number in listed:
                    if tag not in _KEPT_TAGS:
                        blanks.extend(value_blanks(at, kind, number))
                        if tag == _EXIF_IFD:
                            blanks.extend(sub_directory_blanks(at))
            if not following:
                break
            directory = base + following
    except (ValueError, struct.error):
        if not rewrites:
            return [], []  # not a TIFF structure after all
    return rewrites, blanks


_PNG_TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")
# A private ancillary chunk type that every decoder skips: what a blanked text chunk becomes.
_PNG_BLANK_TYPE = b"prVt"


def _png_text_patches(data: Buffer) -> list[tuple[int, bytes]]:
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
