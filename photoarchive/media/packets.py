"""Where each container keeps its XMP packets: JPEG APP1 segments (the standard header,
ExifTool's non-standard ones, extended XMP), TIFF tag 700, PNG text chunks, WebP, GIF and the
items of HEIC/AVIF. Found by walking each container's structure, never by searching for markup;
what to blank inside a packet is `xmp.py`'s to decide.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator
from typing import Union

from photoarchive.media import xmp

Buffer = Union[bytes, mmap.mmap]  # noqa: UP007 - a runtime alias
# An XMP packet as the file holds it: byte ranges (start, end) that read in order are the packet
# (several only for JPEG's extended XMP, which is split over segments).
Pieces = list[tuple[int, int]]

TIFF_HEADERS = (b"II*\x00", b"MM\x00*")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RDF_URI = xmp.RDF_NS.encode()
_XMP_TIFF_TAG = 0x02BC

_APP1_XMP = b"http://ns.adobe.com/xap/1.0/\x00"
_APP1_EXTENDED = b"http://ns.adobe.com/xmp/extension/\x00"
_GIF_XMP = b"\x21\xff\x0bXMP DataXMP"
_GIF_TRAILER = bytes([1, 255, 254, 253, 252])  # the start of its 258-byte "magic trailer"
# Embedded pictures (an MPO's, EXIF thumbnails) or metadata structures of one kind a file may
# hold, and marker segments of all its JPEG pictures together: real photos have a few, and tens.
MAX_PARTS = 64
MAX_SEGMENTS = 20_000
TOO_MANY_PARTS = "The file holds too many embedded pictures or metadata blocks to be checked."


def find(data: Buffer) -> list[Pieces]:
    """Every XMP packet in the file, each once."""
    packets = _jpeg_packets(data)
    for base in (at for header in TIFF_HEADERS for at in find_all(data, header)):
        packets.extend(_tiff_packet(data, base))
    if data[:8] == PNG_SIGNATURE:
        packets.extend(_png_packets(data))
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        packets.extend(_webp_packets(data))
    elif data[:3] == b"GIF":
        packets.extend(_gif_packets(data))
    elif data[4:8] == b"ftyp":
        packets.extend(_isobmff_packets(data))
    unique = {tuple(pieces): pieces for pieces in packets if pieces}
    return list(unique.values())


class TooManyParts(ValueError):
    """The file holds more embedded pictures or metadata blocks than any photo: looking
    through them all would cost more than a whole photo's decoding (a crafted file can make
    each one lead through the rest of the file)."""


def find_all(data: Buffer, needle: bytes, limit: int = MAX_PARTS) -> Iterator[int]:
    """Where `needle` is in the file; TooManyParts past `limit` places."""
    found = 0
    at = data.find(needle)
    while at != -1:
        found += 1
        if found > limit:
            raise TooManyParts(TOO_MANY_PARTS)
        yield at
        at = data.find(needle, at + 1)


def _jpeg_packets(data: Buffer) -> list[Pieces]:
    """APP1 XMP of every JPEG in the file (an MPO's other pictures, EXIF thumbnails): the
    standard header, ExifTool's non-standard ones, and extended XMP joined by its GUID."""
    packets: list[Pieces] = []
    extended: dict[bytes, list[tuple[int, int, int]]] = {}
    segments = 0
    for soi in find_all(data, b"\xff\xd8\xff"):  # FF D8 never occurs inside entropy-coded data
        at = soi + 2
        while at + 4 <= len(data) and data[at] == 0xFF:
            segments += 1
            if segments > MAX_SEGMENTS:
                raise TooManyParts(TOO_MANY_PARTS)
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
    return b"<exif:" in segment or b"<?xpacket" in segment or RDF_URI in segment


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
    for at in find_all(data, _GIF_XMP):
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
    except (struct.error, ValueError, IndexError):  # boxes that end before their fields
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
