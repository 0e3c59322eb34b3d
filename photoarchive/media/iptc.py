"""Places, dates and programs in an original's IPTC block (IIM records: in JPEG's APP13
"Photoshop 3.0" resource 0x0404, found here, or bare in the IPTC entry of an EXIF block, which
`tiff` finds). The place is blanked wherever the location is (for everyone but the owner); the
dates and programs too for a share link that does not show when the photo was taken or with
what. Values are blanked with spaces, same length, so the file keeps its shape. Captions,
keywords and names stay, as EXIF's artist and copyright do. No Pillow here."""

from __future__ import annotations

import struct

from photoarchive.media.packets import (
    MAX_SEGMENTS,
    TOO_MANY_PARTS,
    Buffer,
    TooManyParts,
    find_all,
)

_PHOTOSHOP = b"Photoshop 3.0\x00"
_RESOURCE = b"8BIM"
_IIM = 0x0404
# Record 2 datasets that say when, or with what program: release and expiry dates and times,
# date and time created, digital creation date and time, originating program, its version.
_WHEN_AND_HOW = frozenset({30, 35, 37, 38, 55, 60, 62, 63, 65, 70})
# ... and that say where: content location code and name, city, sub-location (a street, a
# house), province or state, country code and name.
PLACE = frozenset({26, 27, 90, 92, 95, 100, 101})
PLACE_AND_CAMERA = PLACE | _WHEN_AND_HOW


def patches(data: Buffer, datasets: frozenset[int]) -> list[tuple[int, bytes]]:
    """Patches (offset, spaces) over the values of `datasets` (record 2: PLACE, or
    PLACE_AND_CAMERA) in every Photoshop IPTC block of the file."""
    found: list[tuple[int, bytes]] = []
    resources = 0
    for header in find_all(data, _PHOTOSHOP):
        at = header + len(_PHOTOSHOP)
        while at + 12 <= len(data) and bytes(data[at : at + 4]) == _RESOURCE:
            resources += 1
            if resources > MAX_SEGMENTS:
                raise TooManyParts(TOO_MANY_PARTS)
            resource_id = struct.unpack_from(">H", data, at + 4)[0]
            name_length = data[at + 6]
            name_end = at + 7 + name_length + ((name_length + 1) % 2)  # padded to even
            if name_end + 4 > len(data):
                break
            size = struct.unpack_from(">I", data, name_end)[0]
            start, end = name_end + 4, min(name_end + 4 + size, len(data))
            if resource_id == _IIM:
                found.extend(datasets_patches(data, start, end, datasets))
            at = end + (size % 2)
    return found


def datasets_patches(
    data: Buffer, at: int, end: int, datasets: frozenset[int]
) -> list[tuple[int, bytes]]:
    """Patches over the values of `datasets` among the IIM datasets from `at` to `end`: a
    Photoshop resource's, or the IPTC entry of a TIFF directory (an EXIF block's, in any
    container), which holds them bare."""
    patches: list[tuple[int, bytes]] = []
    while at + 5 <= end and data[at] == 0x1C:
        record, dataset = data[at + 1], data[at + 2]
        length = struct.unpack_from(">H", data, at + 3)[0]
        if length & 0x8000:  # an extended length: rare, and never a date or a place
            return patches
        value = at + 5
        if record == 2 and dataset in datasets and length:
            patches.append((value, b" " * min(length, end - value)))
        at = value + length
    return patches
