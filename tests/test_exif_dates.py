"""The date a photo was taken, from its EXIF: DateTimeOriginal with the offset recorded for it
(OffsetTimeOriginal). OffsetTime is the offset of DateTime, when the file was last changed:
a photo taken in Tokyo and edited in New York must not be placed by New York's offset, so it
stands in only when that change is the same clock reading as the taking."""

from __future__ import annotations

import io

from PIL import Image

from photoarchive.media.metadata import read_metadata

EXIF_IFD = 0x8769


def photo(**tags: str) -> Image.Image:
    names = {
        "date_time": (None, 306),
        "original": (EXIF_IFD, 36867),
        "offset": (EXIF_IFD, 36880),
        "offset_original": (EXIF_IFD, 36881),
    }
    exif = Image.Exif()
    for name, value in tags.items():
        ifd, tag = names[name]
        if ifd is None:
            exif[tag] = value
        else:
            exif.get_ifd(ifd)[tag] = value
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "JPEG", exif=exif)
    return Image.open(io.BytesIO(out.getvalue()))


def test_the_original_offset_goes_with_the_original_date() -> None:
    taken = photo(original="2024:07:02 08:00:00", offset_original="+09:00", offset="-04:00")
    assert read_metadata(taken).taken_at == "2024-07-02T08:00:00+09:00"


def test_the_offset_of_a_later_change_is_not_the_taking_s() -> None:
    edited = photo(date_time="2024:07:05 19:00:00", original="2024:07:02 08:00:00", offset="-04:00")
    assert read_metadata(edited).taken_at == "2024-07-02T08:00:00"


def test_the_offset_of_a_change_at_the_same_reading_stands_in() -> None:
    untouched = photo(
        date_time="2024:07:02 08:00:00", original="2024:07:02 08:00:00", offset="+09:00"
    )
    assert read_metadata(untouched).taken_at == "2024-07-02T08:00:00+09:00"


def test_the_file_s_date_goes_with_its_own_offset() -> None:
    only_changed = photo(date_time="2024:07:05 19:00:00", offset="-04:00")
    assert read_metadata(only_changed).taken_at == "2024-07-05T19:00:00-04:00"


def test_the_same_reading_is_told_through_padding() -> None:
    """Cameras pad their text with NULs or spaces, or write one tag as bytes."""
    untouched = photo(
        date_time="2024:07:02 08:00:00\x00 ", original="2024:07:02 08:00:00", offset="+09:00"
    )
    assert read_metadata(untouched).taken_at == "2024-07-02T08:00:00+09:00"
