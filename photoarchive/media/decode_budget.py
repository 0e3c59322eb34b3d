"""What decoding a file will cost, read from its structure before any pixel is decoded.

Pixels are not the whole cost: libjpeg visits every block of the picture once per scan of a
progressive JPEG, and Pillow walks every frame of a GIF to count them. These walkers read
bytes only, stop as soon as a limit is passed, and take a bounded number of steps themselves.
"""

from __future__ import annotations

import mmap
import re

# A whole file, read or mapped: the walkers only index and search it.
Bytes = bytes | memoryview | mmap.mmap

# Real files need far fewer steps: a JPEG has tens of marker segments, a GIF of 100 MB about
# 400,000 sub-blocks of 255 bytes. A hostile file of tiny pieces is refused after ~0.1 s of
# walking (Pillow's own walk of it in Python would take seconds per megabyte).
MAX_JPEG_MARKERS = 10_000
MAX_GIF_BLOCKS = 1_000_000

# Where entropy-coded data ends: 0xFF followed by a marker code. 0xFF 0x00 is a stuffed data
# byte, 0xFF 0xD0-D7 a restart marker inside the scan, and 0xFF 0xFF fill before a marker.
_JPEG_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_SOS, _EOI = 0xDA, 0xD9


class TooManySteps(ValueError):
    """The file is made of more pieces than any real image; walking it would cost too much."""


def jpeg_scans(data: Bytes, limit: int) -> int:
    """The scans (SOS segments) of the first picture in a JPEG, counted up to `limit` + 1."""
    scans = steps = 0
    pos = 2  # after SOI
    while pos + 1 < len(data):
        steps += 1
        if steps > MAX_JPEG_MARKERS:
            raise TooManySteps("The JPEG is made of too many marker segments.")
        if data[pos] != 0xFF or data[pos + 1] == 0x00:
            # Bytes that start no marker: libjpeg (so Pillow) passes over them to the next
            # marker ("extraneous bytes") and decodes on, so the count goes on there too.
            found = _JPEG_NEXT_MARKER.search(data, pos)
            if found is None:
                break
            pos = found.start()
            continue
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == _EOI:
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            pos += 2
            continue
        if pos + 3 >= len(data):
            break
        pos += 2 + (data[pos + 2] << 8 | data[pos + 3])
        if marker == _SOS:
            scans += 1
            if scans > limit:
                break
            found = _JPEG_NEXT_MARKER.search(data, pos)
            if found is None:
                break
            pos = found.start()
    return scans


def gif_frames(data: Bytes, limit: int) -> int:
    """The frames (image descriptors) of a GIF, counted up to `limit` + 1.

    Counting stops at the trailer or at a byte that starts no block, as browsers stop playing.
    Such a byte before the first frame is refused: Pillow would walk on through the rest a byte
    at a time, in Python, to find one."""
    if len(data) < 13:
        return 0
    pos = 13 + _colour_table(data[10])  # header, screen descriptor, global palette
    frames = steps = 0
    while pos < len(data):
        block = data[pos]
        if block == 0x2C:  # image descriptor: 9 bytes, local palette, LZW code size, data
            frames += 1
            if frames > limit:
                break
            flags = data[pos + 9] if pos + 9 < len(data) else 0
            pos += 11 + _colour_table(flags)
        elif block == 0x21:  # extension: label, then sub-blocks
            pos += 2
        elif frames == 0 and block != 0x3B:
            raise TooManySteps("The GIF has no picture where its first should be.")
        else:  # the trailer, or junk after the frames
            break
        while pos < len(data):  # sub-blocks, ended by an empty one
            steps += 1
            if steps > MAX_GIF_BLOCKS:
                raise TooManySteps("The GIF is made of too many blocks.")
            size = data[pos]
            pos += 1 + size
            if size == 0:
                break
    return frames


def _colour_table(flags: int) -> int:
    return 3 << ((flags & 0x07) + 1) if flags & 0x80 else 0
