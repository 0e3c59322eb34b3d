"""What a photo's EXIF (and, for the position, its XMP) says: when, with what camera, where.

Best effort throughout: every field is optional, and a broken value is skipped, never fatal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from fractions import Fraction
from typing import Any

from PIL import Image

from photoarchive.media import xmp

# No camera date, or date set by hand (library/taken_dates.py), before photography.
EARLIEST_YEAR = 1800


@dataclass
class Metadata:
    taken_at: str | None = None
    camera_make: str | None = None
    camera_model: str | None = None
    lens: str | None = None
    focal_length: float | None = None
    aperture: float | None = None
    exposure_time: str | None = None
    iso: int | None = None
    gps_lat: float | None = None
    gps_lon: float | None = None


_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825


def read_metadata(image: Image.Image, xmp_packets: Iterable[bytes] = ()) -> Metadata:
    """Best effort: every field is optional and broken values are skipped, never fatal.
    The position comes from EXIF, else from the file's XMP packets (`redaction.xmp_packets`:
    the same packets, read the same way, as those the location is blanked in)."""
    meta = Metadata()
    try:
        exif = image.getexif()
    except Exception:
        return meta
    base: dict[int, Any] = dict(_safe_items(exif))
    try:
        sub: dict[int, Any] = dict(_safe_items(exif.get_ifd(_EXIF_IFD)))
    except Exception:
        sub = {}
    meta.camera_make = _text(base.get(271))
    meta.camera_model = _text(base.get(272))
    meta.lens = _text(sub.get(42036))
    meta.focal_length = _number(sub.get(37386))
    meta.aperture = _number(sub.get(33437))
    meta.exposure_time = _exposure(sub.get(33434))
    iso = _number(sub.get(34855))
    meta.iso = int(iso) if iso else None
    # DateTimeOriginal with OffsetTimeOriginal; else digitised; else the file's DateTime.
    # OffsetTime is DateTime's, the file's last change (edited in another zone, say): it
    # stands in for the taking's only when that change is the same clock reading.
    changed = _taken_at(base.get(306), None)  # read as a date taken is (padding, bytes)
    for when, (stamp, offset) in (
        (sub, (36867, 36881)),
        (sub, (36868, 36882)),
        (base, (306, 36880)),
    ):
        same = changed is not None and _taken_at(when.get(stamp), None) == changed
        meta.taken_at = _taken_at(
            when.get(stamp), sub.get(offset) or (sub.get(36880) if same else None)
        )
        if meta.taken_at:
            break
    try:
        gps = dict(_safe_items(exif.get_ifd(_GPS_IFD)))
        meta.gps_lat = _coordinate(gps.get(2), gps.get(1), 90)
        meta.gps_lon = _coordinate(gps.get(4), gps.get(3), 180)
    except Exception:
        meta.gps_lat = meta.gps_lon = None
    if meta.gps_lat is None or meta.gps_lon is None:
        meta.gps_lat = meta.gps_lon = None
        found = next(filter(None, map(xmp.position, xmp_packets)), None)
        if found is not None:
            meta.gps_lat, meta.gps_lon = found
    return meta


def file_date(timestamp: float, zone: tzinfo | None = UTC) -> str:
    """A file's modification time as a `taken_at` value, for photos without a camera date:
    the wall clock in `zone` (None: the server's), with its offset."""
    return (
        datetime.fromtimestamp(timestamp, UTC).astimezone(zone).replace(microsecond=0).isoformat()
    )


def _safe_items(ifd: Any) -> list[tuple[int, Any]]:
    items = []
    for key in list(ifd.keys()):
        try:
            items.append((key, ifd[key]))
        except Exception:  # noqa: S112 - skip the one broken tag, keep the rest
            continue
    return items


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    cleaned = "".join(ch for ch in value if ch.isprintable()).strip()
    return cleaned[:100] or None


def _number(value: Any) -> float | None:
    if isinstance(value, tuple) and value:
        value = value[0]
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if number != number or number in (float("inf"), float("-inf")) or number <= 0:
        return None
    return round(number, 4)


def _exposure(value: Any) -> str | None:
    number = _number(value)
    if number is None:
        return None
    if number >= 1:
        return f"{number:g}"
    fraction = Fraction(number).limit_denominator(100_000)
    return f"1/{round(1 / number)}" if fraction.numerator != 1 else str(fraction)


def _taken_at(value: Any, offset: Any) -> str | None:
    text = _text(value)
    if not text:
        return None
    try:
        moment = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if not EARLIEST_YEAR <= moment.year <= 2200:
        return None
    stamp = moment.isoformat()
    zone = _text(offset)
    if zone and re.fullmatch(r"[+-](0\d|1[0-4]):[0-5]\d", zone, re.ASCII):
        stamp += zone
    return stamp


def _coordinate(value: Any, ref: Any, bound: float) -> float | None:
    if not isinstance(value, tuple) or len(value) != 3:
        return None
    try:
        degrees, minutes, seconds = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if any(part != part or part < 0 for part in (degrees, minutes, seconds)):
        return None
    result = degrees + minutes / 60 + seconds / 3600
    if _text(ref) in ("S", "W"):
        result = -result
    if not -bound <= result <= bound:
        return None
    return round(result, 6)
