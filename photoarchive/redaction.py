"""Blanking the location inside an original file without rewriting it.

The stored original stays byte-exact (its SHA-256 is its name, and its owner gets it back as
it was); anyone else downloads it with same-length patches applied on the way out, so Range
requests keep working and no second copy is stored. No Pillow here: this is byte surgery on
the EXIF (TIFF) blocks and XMP packets that JPEG, PNG, WebP, GIF, HEIC and AVIF embed as they are.

XMP packets are found where each container keeps them (`xmp_packets`), and what to blank in
them is decided by parsing them (`xmp.location_spans`), never by a pattern over the bytes.
"""

from __future__ import annotations

import mmap
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Union

from photoarchive import xmp

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
_XMP_TIFF_TAG = 0x02BC
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Every XMP packet declares the RDF namespace: one found outside the packets located below is
# a packet in a place this module does not know, so the original is withheld instead.
_RDF_URI = xmp.RDF_NS.encode()

Buffer = Union[bytes, mmap.mmap]  # noqa: UP007 - a runtime alias
# An XMP packet as the file holds it: byte ranges (start, end) that read in order are the packet
# (several only for JPEG's extended XMP, which is split over segments).
Pieces = list[tuple[int, int]]


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


def xmp_packets(source: Path | bytes) -> list[bytes]:
    """Every XMP packet in the file (or its bytes), found the way `location_patches` finds them:
    for reading the owner's location from the same structure that decides what to blank."""
    if isinstance(source, bytes):
        return [_joined(source, pieces) for pieces in _xmp_pieces(source)]
    with _mapped(source) as data:
        return [_joined(data, pieces) for pieces in _xmp_pieces(data)]


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
    patches: list[tuple[int, bytes]] = []
    for header in _TIFF_HEADERS:
        start = data.find(header)
        while start != -1:
            patches.extend(_gps_ifd_patches(data, start))
            start = data.find(header, start + 1)
    packets = _xmp_pieces(data)
    for pieces in packets:
        patches.extend(_xmp_patches(data, pieces))
    if _stray_packet(data, packets):
        return None
    if data[:8] == _PNG_SIGNATURE:
        patches.extend(_png_text_patches(data))
        if patches:
            patches.extend(_png_crc_patches(data, patches))
    return sorted(patches)


def _joined(data: Buffer, pieces: Pieces) -> bytes:
    return b"".join(data[lo:hi] for lo, hi in pieces)


def _xmp_patches(data: Buffer, pieces: Pieces) -> list[tuple[int, bytes]]:
    """Spaces over every position property of one packet, or over all of it when it cannot be
    parsed: other readers are more lenient than XML and would still find a position there."""
    packet = _joined(data, pieces)
    spans = xmp.location_spans(packet)
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


def _stray_packet(data: Buffer, packets: list[Pieces]) -> bool:
    at = data.find(_RDF_URI)
    while at != -1:
        if not any(lo <= at < hi for pieces in packets for lo, hi in pieces):
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


# --- where each container keeps its XMP packets ------------------------------------------

_APP1_XMP = b"http://ns.adobe.com/xap/1.0/\x00"
_APP1_EXTENDED = b"http://ns.adobe.com/xmp/extension/\x00"
_GIF_XMP = b"\x21\xff\x0bXMP DataXMP"
_GIF_TRAILER = bytes([1, 255, 254, 253, 252])  # the start of its 258-byte "magic trailer"


def _xmp_pieces(data: Buffer) -> list[Pieces]:
    packets = _jpeg_packets(data)
    for base in (at for header in _TIFF_HEADERS for at in _all(data, header)):
        packets.extend(_tiff_packet(data, base))
    if data[:8] == _PNG_SIGNATURE:
        packets.extend(_png_packets(data))
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        packets.extend(_webp_packets(data))
    elif data[:3] == b"GIF":
        packets.extend(_gif_packets(data))
    elif data[4:8] == b"ftyp":
        packets.extend(_isobmff_packets(data))
    unique = {tuple(pieces): pieces for pieces in packets if pieces}
    return list(unique.values())


def _all(data: Buffer, needle: bytes) -> Iterator[int]:
    at = data.find(needle)
    while at != -1:
        yield at
        at = data.find(needle, at + 1)


def _jpeg_packets(data: Buffer) -> list[Pieces]:
    """APP1 XMP of every JPEG in the file (an MPO's other pictures, EXIF thumbnails): the
    standard header, ExifTool's non-standard ones, and extended XMP joined by its GUID."""
    packets: list[Pieces] = []
    extended: dict[bytes, list[tuple[int, int, int]]] = {}
    for soi in _all(data, b"\xff\xd8\xff"):  # FF D8 never occurs inside entropy-coded data
        at = soi + 2
        while at + 4 <= len(data) and data[at] == 0xFF:
            marker = data[at + 1]
            if marker in (0xD9, 0xDA) or marker == 0xFF:
                break  # image data (or the end) from here on: no more metadata segments
            length = struct.unpack_from(">H", data, at + 2)[0]
            lo, hi = at + 4, at + 2 + length
            if length < 2 or hi > len(data):
                break
            if marker == 0xE1:
                head = bytes(data[lo : min(hi, lo + 80)])
                if head.startswith(_APP1_EXTENDED) and hi - lo > len(_APP1_EXTENDED) + 40:
                    guid = head[len(_APP1_EXTENDED) : len(_APP1_EXTENDED) + 32]
                    chunk = lo + len(_APP1_EXTENDED) + 40
                    offset = struct.unpack_from(">I", data, chunk - 4)[0]
                    extended.setdefault(guid, []).append((offset, chunk, hi))
                elif head.startswith(_APP1_XMP):
                    packets.append([(lo + len(_APP1_XMP), hi)])
                elif head.startswith(b"XMP\x00"):
                    packets.append([(lo + 4, hi)])
                elif not head.startswith(b"Exif") and (
                    head.startswith(b"http") or _holds_markup(data[lo:hi])
                ):
                    packets.append([(lo, hi)])  # ExifTool reads these as XMP too
            at = hi
    for chunks in extended.values():
        packets.append([(lo, hi) for _, lo, hi in sorted(chunks)])
    return packets


def _holds_markup(segment: bytes) -> bool:
    return b"<exif:" in segment or b"<?xpacket" in segment or _RDF_URI in segment


def _tiff_packet(data: Buffer, base: int) -> list[Pieces]:
    """XMP as tag 700 of a TIFF structure's first directory (EXIF blocks can carry it)."""
    order = "<" if data[base : base + 2] == b"II" else ">"
    try:
        ifd0 = base + struct.unpack_from(order + "I", data, base + 4)[0]
        count = struct.unpack_from(order + "H", data, ifd0)[0]
        for index in range(min(count, 1000)):
            entry = ifd0 + 2 + index * 12
            tag, _, number = struct.unpack_from(order + "HHI", data, entry)
            if tag == _XMP_TIFF_TAG:
                at = (
                    entry + 8
                    if number <= 4
                    else base + struct.unpack_from(order + "I", data, entry + 8)[0]
                )
                if at >= 0 and at + number <= len(data):
                    return [[(at, at + number)]]
    except struct.error:
        pass
    return []


def _png_packets(data: Buffer) -> list[Pieces]:
    """Uncompressed tEXt/iTXt "XML:com.adobe.xmp" (compressed ones go whole: see below)."""
    packets = []
    at = 8
    while at + 12 <= len(data):
        length = struct.unpack_from(">I", data, at)[0]
        kind, lo, hi = bytes(data[at + 4 : at + 8]), at + 8, at + 8 + length
        if hi + 4 > len(data):
            break
        if kind in (b"tEXt", b"iTXt"):
            head = bytes(data[lo : min(hi, lo + 1024)])
            keyword, _, rest = head.partition(b"\x00")
            if keyword.lower() == b"xml:com.adobe.xmp":
                if kind == b"tEXt":
                    packets.append([(lo + len(keyword) + 1, hi)])
                elif rest[:1] == b"\x00":  # iTXt: flag, method, language\0, keyword\0, text
                    fields = rest[2:].split(b"\x00", 2)
                    if len(fields) == 3:
                        skip = len(keyword) + 3 + len(fields[0]) + 1 + len(fields[1]) + 1
                        packets.append([(lo + skip, hi)])
        at = hi + 4
    return packets


def _webp_packets(data: Buffer) -> list[Pieces]:
    packets = []
    at = 12
    while at + 8 <= len(data):
        kind = bytes(data[at : at + 4])
        length = struct.unpack_from("<I", data, at + 4)[0]
        if kind == b"XMP " and at + 8 + length <= len(data):
            packets.append([(at + 8, at + 8 + length)])
        at += 8 + length + (length & 1)
    return packets


def _gif_packets(data: Buffer) -> list[Pieces]:
    """GIF's XMP application extension: the raw packet, then the magic trailer."""
    packets = []
    for at in _all(data, _GIF_XMP):
        lo = at + len(_GIF_XMP)
        hi = data.find(_GIF_TRAILER, lo)
        packets.append([(lo, hi if hi != -1 else len(data))])
    return packets


def _isobmff_packets(data: Buffer) -> list[Pieces]:
    """HEIC/AVIF: the items of type "mime" with content type application/rdf+xml, where the
    item location box (iloc) puts them."""
    try:
        meta = _child_boxes(data, 0, len(data)).get(b"meta")
        if meta is None:
            return []
        boxes = _child_boxes(data, meta[0] + 4, meta[1])  # meta is a full box
        xmp_items = _xmp_items(data, *boxes.get(b"iinf", (0, 0)))
        idat = boxes.get(b"idat", (0, 0))[0]
        return [
            pieces
            for item, pieces in _item_locations(data, *boxes.get(b"iloc", (0, 0)), idat).items()
            if item in xmp_items
        ]
    except (struct.error, ValueError):
        return []


def _child_boxes(data: Buffer, lo: int, hi: int) -> dict[bytes, tuple[int, int]]:
    """The first box of each type between lo and hi, as the range of its content."""
    boxes: dict[bytes, tuple[int, int]] = {}
    while lo + 8 <= hi:
        size, kind = struct.unpack_from(">I4s", data, lo)
        start = lo + 8
        if size == 1:
            size, start = struct.unpack_from(">Q", data, lo + 8)[0], lo + 16
        elif size == 0:
            size = hi - lo
        if size < start - lo or lo + size > hi:
            break
        boxes.setdefault(kind, (start, lo + size))
        lo += size
    return boxes


def _xmp_items(data: Buffer, lo: int, hi: int) -> set[int]:
    items: set[int] = set()
    if hi <= lo:
        return items
    at = lo + (6 if data[lo] == 0 else 8)  # full box header, then the entry count
    while at + 8 <= hi:
        size, kind = struct.unpack_from(">I4s", data, at)
        if size < 8:
            break
        version = data[at + 8]
        if kind == b"infe" and version >= 2:
            body = at + 12
            item = struct.unpack_from(">H" if version == 2 else ">I", data, body)[0]
            body += (2 if version == 2 else 4) + 2
            item_type = bytes(data[body : body + 4])
            _, content_type = bytes(data[body + 4 : at + size]).split(b"\x00")[:2]
            if item_type == b"mime" and content_type.strip().lower() == b"application/rdf+xml":
                items.add(item)
        at += size
    return items


def _item_locations(data: Buffer, lo: int, hi: int, idat: int) -> dict[int, Pieces]:
    if hi <= lo:
        return {}
    version = data[lo]
    sizes, more = data[lo + 4], data[lo + 5]
    offset_size, length_size, base_size = sizes >> 4, sizes & 15, more >> 4
    index_size = more & 15 if version in (1, 2) else 0
    at = lo + 6

    def number(width: int) -> int:
        nonlocal at
        value = int.from_bytes(data[at : at + width], "big") if width else 0
        at += width
        return value

    locations: dict[int, Pieces] = {}
    for _ in range(number(2 if version < 2 else 4)):
        item = number(2 if version < 2 else 4)
        method = number(2) & 15 if version in (1, 2) else 0
        number(2)  # data reference index: 0, this file
        base = number(base_size) + (idat if method == 1 else 0)
        pieces = []
        for _ in range(number(2)):
            number(index_size)
            start, length = base + number(offset_size), number(length_size)
            pieces.append((start, start + length if length else len(data)))
        if method in (0, 1) and all(0 <= a <= b <= len(data) for a, b in pieces):
            locations[item] = pieces
        if at > hi:
            raise ValueError("iloc runs past its box")
    return locations


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
