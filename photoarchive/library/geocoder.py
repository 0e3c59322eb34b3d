"""Offline reverse geocoding: the nearest town (GeoNames' places of 1,000 people or more) to a
pair of coordinates, with its region and country. No network, and no per-request loading: the
table (about 155,000 places, bundled in geonames/) is read once, in a worker thread, the first
time it is needed, and kept. Rebuilt by scripts/geonames-data.py; GeoNames data is CC BY 4.0.

A grid of one-degree cells stands in for a k-d tree: a lookup reads the cell of the point and
rings of cells around it until no nearer place can be further out, which keeps scipy (and
numpy) out of a small server's memory for a few dozen lookups an upload.
"""

from __future__ import annotations

import asyncio
import gzip
import math
import threading
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent / "geonames"
# Beyond this a point is in no town's surroundings (open sea, say): no place is better than
# one an ocean away.
MAX_KM = 100.0
_EARTH_KM = 6371.0
_DEGREE_KM = 111.0  # of latitude, everywhere (and of longitude at the equator)


@dataclass(frozen=True, slots=True)
class Place:
    city: str | None
    region: str | None
    country: str | None
    country_code: str | None


_Entry = tuple[float, float, str, str, str]  # lat, lon, country code, city, region


class _Table:
    def __init__(self, cities: Path, countries: Path) -> None:
        self.cells: dict[tuple[int, int], list[_Entry]] = {}
        with gzip.open(cities, "rt", encoding="utf-8") as lines:
            for line in lines:
                lat, lon, code, city, region = line.rstrip("\n").split("\t")
                entry = (float(lat), float(lon), code, city, region)
                self.cells.setdefault(_cell(entry[0], entry[1]), []).append(entry)
        self.countries = dict(
            line.split("\t", 1) for line in countries.read_text("utf-8").splitlines() if line
        )

    def nearest(self, lat: float, lon: float) -> Place | None:
        row, col = _cell(lat, lon)
        # Cells are searched in square rings around the point's own, within MAX_KM: one row
        # north and south (a degree of latitude is ~111 km), and as many columns as MAX_KM
        # spans at the band's latitude nearest the pole (degrees of longitude shrink there).
        rows = math.ceil(MAX_KM / _DEGREE_KM)
        shrink = max(math.cos(math.radians(min(90.0, abs(lat) + rows))), 1e-3)
        cols = min(180, 1 + math.ceil(MAX_KM / (_DEGREE_KM * shrink)))
        best: tuple[float, _Entry] | None = None
        for ring in range(max(rows, cols) + 1):
            # Every cell of this ring is at least ring - 1 degrees away east or west (or beyond
            # `rows` north or south, and skipped): none can beat a place found nearer.
            if best is not None and (ring - 1) * _DEGREE_KM * shrink > best[0]:
                break
            for cell in _ring(row, col, ring, rows):
                for entry in self.cells.get(cell, ()):
                    km = _km(lat, lon, entry[0], entry[1])
                    if best is None or km < best[0]:
                        best = (km, entry)
        if best is None or best[0] > MAX_KM:
            return None
        _, (_, _, code, city, region) = best
        return Place(city or None, region or None, self.countries.get(code) or None, code)


def _cell(lat: float, lon: float) -> tuple[int, int]:
    return math.floor(lat), math.floor(lon) % 360


def _ring(row: int, col: int, ring: int, rows: int) -> set[tuple[int, int]]:
    """The cells `ring` steps around (row, col), at most `rows` rows away."""
    if ring == 0:
        return {(row, col)}
    cells = set()
    for dr in range(-min(ring, rows), min(ring, rows) + 1):
        for dc in range(-ring, ring + 1) if abs(dr) == ring else (-ring, ring):
            if -90 <= row + dr < 90:
                cells.add((row + dr, (col + dc) % 360))
    return cells


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


_table: _Table | None = None
_loading = threading.Lock()


def _loaded() -> _Table:
    global _table
    with _loading:  # two first uploads at once read the file once
        if _table is None:
            _table = _Table(DATA / "cities1000.tsv.gz", DATA / "countries.tsv")
        return _table


def lookup_now(lat: float, lon: float) -> Place | None:
    """The place nearest to (lat, lon), or None far from any; blocks while the table loads
    (call from a thread, or from the command line)."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat, lon) == (0.0, 0.0):
        return None  # (0, 0) is what a broken GPS writes, not a place in the Gulf of Guinea
    return _loaded().nearest(lat, lon)


async def lookup(lat: float, lon: float) -> Place | None:
    """`lookup_now` off the event loop (the first call reads the table: about a second)."""
    return await asyncio.to_thread(lookup_now, lat, lon)


async def lookup_many(points: list[tuple[float, float]]) -> list[Place | None]:
    """Many points in one trip to a worker thread (the backfill's batches)."""
    return await asyncio.to_thread(lambda: [lookup_now(lat, lon) for lat, lon in points])
