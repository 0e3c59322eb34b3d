"""The TIFF directories of the EXIF blocks an original embeds, patched in place for
`redaction`: the GPS directory and the places in the IPTC entry blanked, and for a share link
that does not show them, the camera's entries taken out, the EXIF sub-directory blanked, and
the dates and program in the IPTC entry blanked. Same-length byte patches only; a structure that is not a TIFF directory
after all gets none."""

from __future__ import annotations

import struct
from collections.abc import Callable

from photoarchive.media import iptc
from photoarchive.media.packets import Buffer

_GPS_IFD = 0x8825
_EXIF_IFD = 0x8769
_IPTC = 0x83BB  # IIM datasets as they are, without JPEG's Photoshop resource around them
_TYPE_SIZES = {
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
        _IPTC,  # its places, dates and program blanked on their own
        0x8773,  # ICC profile
        0x8825,  # GPS directory (blanked with the location)
        *range(0x9C9B, 0x9CA0),  # Windows' title, comment, author, keywords, subject
    }
)
_VALUE_MAX = 16 * 1024 * 1024  # a value longer than this is no metadata a camera wrote


def _reader(data: Buffer, base: int) -> tuple[str, Callable[[str, int], int]]:
    """The byte order of the TIFF structure starting at `base`, and a reader of its numbers
    that raises ValueError rather than read outside the file."""
    order = "<" if data[base : base + 2] == b"II" else ">"
    size = len(data)

    def read(fmt: str, at: int) -> int:
        if at < 0 or at + struct.calcsize(fmt) > size:
            raise ValueError("outside the file")
        return int(struct.unpack_from(order + fmt, data, at)[0])

    return order, read


def location_patches(data: Buffer, base: int) -> list[tuple[int, bytes]]:
    """The patches that blank the location in the TIFF structure starting at `base`: its GPS
    directory (entries and values) and the places in the IPTC entry of its first directory;
    none when it is not one, or has neither."""
    _, read = _reader(data, base)
    try:
        ifd0 = base + read("I", base + 4)
        count = read("H", ifd0)
        if count > 1000:
            return []
        gps_at = iptc_at = None
        for index in range(count):
            entry = ifd0 + 2 + index * 12
            tag = read("H", entry)
            if tag == _GPS_IFD and gps_at is None:
                gps_at = base + read("I", entry + 8)
            elif tag == _IPTC and iptc_at is None:
                iptc_at = entry
    except (ValueError, struct.error):
        return []
    patches = [] if gps_at is None else _gps_blanks(data, base, gps_at)
    if iptc_at is not None:
        patches.extend(_iptc_blanks(data, base, iptc_at, iptc.PLACE))
    return patches


def _gps_blanks(data: Buffer, base: int, gps_at: int) -> list[tuple[int, bytes]]:
    """The GPS directory at `gps_at` and its values blanked; none when it is no directory."""
    _, read = _reader(data, base)
    size = len(data)
    try:
        entries = read("H", gps_at)
        if entries == 0 or entries > 200:
            return []
        patches = [(gps_at, b"\x00\x00"), (gps_at + 2, b"\x00" * (entries * 12))]
        for index in range(entries):
            entry = gps_at + 2 + index * 12
            kind, number = read("H", entry + 2), read("I", entry + 4)
            length = _TYPE_SIZES.get(kind, 1) * number
            if length > 4:
                value_at = base + read("I", entry + 8)
                if value_at >= 0 and value_at + length <= size and length <= 65536:
                    patches.append((value_at, b"\x00" * length))
        read("I", gps_at + 2 + entries * 12)  # the directory must end inside the file
        return patches
    except (ValueError, struct.error):
        return []


def _iptc_blanks(
    data: Buffer, base: int, entry: int, datasets: frozenset[int]
) -> list[tuple[int, bytes]]:
    """The values of `datasets` in the IIM datasets an IPTC entry (at `entry`) holds."""
    _, read = _reader(data, base)
    try:
        kind, number = read("H", entry + 2), read("I", entry + 4)
        length = _TYPE_SIZES.get(kind, 1) * number
        value_at = entry + 8 if length <= 4 else base + read("I", entry + 8)
    except (ValueError, struct.error):
        return []
    if value_at < 0 or value_at + length > len(data) or length > _VALUE_MAX:
        return []
    return iptc.datasets_patches(data, value_at, value_at + length, datasets)


def camera_patches(
    data: Buffer, base: int
) -> tuple[list[tuple[int, bytes]], list[tuple[int, bytes]]]:
    """For one TIFF structure starting at `base` (none when it is not one): IFD0 and IFD1
    rewritten in place with only their `_KEPT_TAGS` entries (moved up, the count and the next
    directory's offset where readers look for them, zeros after), and blanks over the values
    of the entries taken out, and over the whole EXIF sub-directory with its values."""
    order, read = _reader(data, base)
    size = len(data)

    def entries(directory: int) -> list[tuple[int, int, int, int]]:
        """(where, tag, type, count) of each entry; ValueError when it is no directory."""
        count = read("H", directory)
        if not 1 <= count <= 1000:
            raise ValueError("not a directory")
        found = []
        for index in range(count):
            at = directory + 2 + index * 12
            kind = read("H", at + 2)
            if kind not in _TYPE_SIZES:
                raise ValueError("not a directory")
            found.append((at, read("H", at), kind, read("I", at + 4)))
        read("I", directory + 2 + count * 12)  # the directory must end inside the file
        return found

    def value_range(at: int, kind: int, number: int) -> tuple[int, int] | None:
        length = _TYPE_SIZES[kind] * number
        if length <= 4:
            return None  # held in the entry itself (which goes with it, if it goes)
        value_at = base + read("I", at + 8)
        if value_at < 0 or value_at + length > size or length > _VALUE_MAX:
            return None
        return value_at, value_at + length

    def value_blanks(at: int, kind: int, number: int) -> list[tuple[int, bytes]]:
        found = value_range(at, kind, number)
        return [] if found is None else [(found[0], bytes(found[1] - found[0]))]

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
                elif tag == _IPTC:
                    # Kept for its captions and keywords: only its places, dates and program go.
                    blanks.extend(_iptc_blanks(data, base, at, iptc.PLACE_AND_CAMERA))
            if not following:
                break
            directory = base + following
    except (ValueError, struct.error):
        if not rewrites and not blanks:
            return [], []  # not a TIFF structure after all
    return rewrites, blanks
