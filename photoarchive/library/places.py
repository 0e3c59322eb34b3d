"""Places: the town and country a photo was taken in (geocoder.py finds them offline), who
shows theirs to others, the places list, and the map of a person's own photos.

A photo's place is stored at upload (ingest.py) and, for photos that came before, by
`backfill` (the `photoarchive places --backfill` command, and a background task at start-up).
With PHOTOARCHIVE_STRIP_LOCATION on no coordinates are kept, so no place is either.
Who sees a place is library/access.py's decision (`decide(...).place`, `place_sql`); the
coordinates stay the owner's alone, as ever. No HTTP here.
"""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from photoarchive import clock
from photoarchive.accounts.users import User
from photoarchive.db import Backend, Transaction
from photoarchive.library import access, geocoder, photos
from photoarchive.library.geocoder import Place
from photoarchive.services import Services

log = logging.getLogger("photoarchive.places")

BACKFILL_BATCH = 500
# The map shows at most this many of the person's photos, newest first.
MAP_MAX = 5000


@dataclass
class City:
    city: str
    count: int


@dataclass
class Country:
    country: str
    country_code: str
    count: int
    cities: list[City] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Pin:
    id: int
    lat: float
    lon: float
    thumbnail: str


# Letters whose mark is part of them, which Unicode does not take apart from it.
_PLAIN = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe"})


def fold(text: str) -> list[str]:
    """The words of `text` as `place:` compares them: lower case, without accents, split at
    whatever is no letter or digit (so `Évry-Courcouronnes` is `evry` and `courcouronnes`)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_PLAIN)
    return "".join(ch if ch.isalnum() else " " for ch in plain).split()


def words(*names: str | None) -> str:
    """A place's folded words, each after a space: `place:` asks for ` word%`."""
    return "".join(f" {word}" for name in names if name for word in fold(name)) + " "


async def record(tx: Transaction, photo_id: int, place: Place | None) -> None:
    """Keep `place` as the photo's (a row of NULLs when the point is far from any town, so the
    backfill does not ask again). A second writer of the same photo changes nothing."""
    names = (
        (None,) * 4
        if place is None
        else (place.city, place.region, place.country, place.country_code)
    )
    await tx.execute(
        "INSERT INTO photo_places (photo_id, city, region, country, country_code)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (photo_id) DO NOTHING",
        (photo_id, *names),
    )
    await _fold(tx, photo_id, names)


async def _fold(tx: Transaction, photo_id: int, names: Sequence[str | None]) -> None:
    await tx.execute(
        "INSERT INTO place_words (photo_id, words) VALUES (?, ?) ON CONFLICT (photo_id) DO NOTHING",
        (photo_id, words(*names)),
    )


async def shares(svc: Services, user: User) -> bool:
    """Whether `user` shows the town and country of their photos to others."""
    row = await svc.db.fetchone("SELECT 1 FROM place_sharing WHERE user_id = ?", (user.id,))
    return row is not None


async def set_sharing(svc: Services, user: User, on: bool) -> None:
    if on:
        await svc.db.execute(
            "INSERT INTO place_sharing (user_id, since) VALUES (?, ?)"
            " ON CONFLICT (user_id) DO NOTHING",
            (user.id, clock.now_iso()),
        )
    else:
        await svc.db.execute("DELETE FROM place_sharing WHERE user_id = ?", (user.id,))


async def countries(svc: Services, viewer: access.Viewer) -> list[Country]:
    """The countries and towns of the photos whose places the viewer may see (their own, and
    others' that they may see and whose owners show them), most photos first."""
    allowed, params = access.place_sql(viewer, "p")
    # Others' archived photos are out of every list (as in the feed and search); one's own
    # count, as in one's searches.
    shown = "NOT EXISTS (SELECT 1 FROM archived_photos ar WHERE ar.photo_id = p.id)"
    account = viewer.account
    if account is not None:
        shown = f"(p.owner_id = ? OR {shown})"
        params = [*params, account.id]
    rows = await svc.db.fetchall(
        # Conditions from access.place_sql and constant text; every value is bound.
        "SELECT pl.country_code, pl.country, pl.city, COUNT(*) AS n"  # noqa: S608
        " FROM photo_places pl JOIN photos p ON p.id = pl.photo_id"
        f" WHERE pl.country_code IS NOT NULL AND {allowed} AND {shown}"
        " GROUP BY pl.country_code, pl.country, pl.city",
        params,
    )
    by_code: dict[str, Country] = {}
    for row in rows:
        code = row["country_code"]
        entry = by_code.setdefault(code, Country(row["country"] or code, code, 0))
        entry.count += row["n"]
        if row["city"]:
            entry.cities.append(City(row["city"], row["n"]))
    for entry in by_code.values():
        entry.cities.sort(key=lambda c: (-c.count, c.city))
    return sorted(by_code.values(), key=lambda c: (-c.count, c.country))


async def pins(svc: Services, owner: User) -> list[Pin]:
    """The owner's own photos that have coordinates, newest first: never anyone else's, whatever
    they share (a place is a town; a pin is the spot)."""
    visible, params = access.visible_sql(access.Viewer(owner, public_view=False))
    rows = await svc.db.fetchall(
        # A condition from access.visible_sql; every value is bound.
        "SELECT p.id, p.gps_lat, p.gps_lon, p.tag,"  # noqa: S608
        " COALESCE((SELECT ro.rotation FROM photo_rotations ro WHERE ro.photo_id = p.id), 0)"
        " AS rotation FROM photos p"
        f" WHERE p.owner_id = ? AND p.gps_lat IS NOT NULL AND p.gps_lon IS NOT NULL AND {visible}"
        " ORDER BY p.id DESC LIMIT ?",
        [owner.id, *params, MAP_MAX],
    )
    return [
        Pin(
            row["id"],
            row["gps_lat"],
            row["gps_lon"],
            photos.media_url(row["id"], "thumbnail", row["tag"], row["rotation"]),
        )
        for row in rows
    ]


async def backfill(db: Backend, *, batch: int = BACKFILL_BATCH) -> int:
    """Find the places of photos that have coordinates and no place yet, a batch at a time;
    how many were looked up. Safe beside another instance doing the same (a photo's place is
    written once; the second writer's row is dropped). The caller checks that locations are
    kept at all (PHOTOARCHIVE_STRIP_LOCATION)."""
    done, after = 0, 0
    while True:
        rows = await db.fetchall(
            "SELECT p.id, p.gps_lat, p.gps_lon FROM photos p"
            " WHERE p.id > ? AND p.gps_lat IS NOT NULL AND p.gps_lon IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM photo_places pl WHERE pl.photo_id = p.id)"
            " ORDER BY p.id LIMIT ?",
            (after, batch),
        )
        if not rows:
            return done
        found = await geocoder.lookup_many([(r["gps_lat"], r["gps_lon"]) for r in rows])
        async with db.transaction() as tx:
            for row, place in zip(rows, found, strict=True):
                # The photo may have gone meanwhile: its place goes with it.
                if await tx.fetchval("SELECT 1 FROM photos WHERE id = ?", (row["id"],)):
                    await record(tx, row["id"], place)
        done += len(rows)
        after = rows[-1]["id"]


async def fold_kept(db: Backend, *, batch: int = BACKFILL_BATCH) -> int:
    """Fold the names of the places kept before `place:` compared folded words (by an older
    version); how many. Safe beside another instance doing the same."""
    done, after = 0, 0
    while True:
        rows = await db.fetchall(
            "SELECT pl.photo_id, pl.city, pl.region, pl.country, pl.country_code"
            " FROM photo_places pl WHERE pl.photo_id > ? AND NOT EXISTS"
            " (SELECT 1 FROM place_words pw WHERE pw.photo_id = pl.photo_id)"
            " ORDER BY pl.photo_id LIMIT ?",
            (after, batch),
        )
        if not rows:
            return done
        async with db.transaction() as tx:
            for row in rows:
                names = (row["city"], row["region"], row["country"], row["country_code"])
                # The photo may have gone meanwhile, and its place with it.
                if await tx.fetchval("SELECT 1 FROM photos WHERE id = ?", (row["photo_id"],)):
                    await _fold(tx, row["photo_id"], names)
        done += len(rows)
        after = rows[-1]["photo_id"]


async def run(svc: Services) -> None:
    """The start-up backfill: the places of photos uploaded before places existed. With
    locations stripped, places kept from before the setting was turned on go instead: the
    archive then keeps none, as the setting says, and none can be shown or searched."""
    if svc.settings.strip_location:
        async with svc.db.transaction() as tx:
            await tx.execute("DELETE FROM place_words")
            await tx.execute("DELETE FROM photo_places")
        return
    try:
        found = await backfill(svc.db)
        await fold_kept(svc.db)
    except asyncio.CancelledError:
        raise
    except Exception:  # a failed backfill must not stop the archive; the next start retries
        log.exception("finding the places of older photos failed")
        return
    if found:
        log.info("found the places of %d older photos", found)
