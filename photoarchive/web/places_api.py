"""Places and the map under /api/v1, as JSON.

The places list holds what the caller may know (library/access.py `place_sql`): their own
photos' towns and countries, and those of others who chose to show them, counted over photos
the caller may see. The map holds the caller's own photos only: a pin is the very spot."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get

from photoarchive.library import access, places
from photoarchive.web.api import READ, refusals
from photoarchive.web.viewer import require_reader, require_user, services


class CityOut(msgspec.Struct):
    city: str
    count: int


class CountryOut(msgspec.Struct):
    country: str
    country_code: str
    count: int  # photos in that country (a photo far from any town counts here, not in cities)
    cities: list[CityOut]


class PlacesOut(msgspec.Struct):
    items: list[CountryOut]  # most photos first


class PinOut(msgspec.Struct):
    id: int
    lat: float
    lon: float
    thumbnail: str


class MapOut(msgspec.Struct):
    items: list[PinOut]  # the caller's own photos with coordinates, newest first


async def place_list(request: Request[Any, Any, Any]) -> list[places.Country]:
    """The caller's places list (a guest's too, where the archive lets guests look)."""
    user = await require_reader(request)
    svc = services(request)
    return await places.countries(svc, access.Viewer(user, svc.settings.public_view))


@get("/api/v1/places", tags=["places"], responses=refusals(READ))
async def list_places(request: Request[Any, Any, Any]) -> PlacesOut:
    found = await place_list(request)
    return PlacesOut(
        items=[
            CountryOut(
                country=c.country,
                country_code=c.country_code,
                count=c.count,
                cities=[CityOut(city.city, city.count) for city in c.cities],
            )
            for c in found
        ]
    )


@get("/api/v1/map", tags=["places"], responses=refusals(READ))
async def map_pins(request: Request[Any, Any, Any]) -> MapOut:
    user = await require_user(request)
    pins = await places.pins(services(request), user)
    return MapOut(items=[PinOut(p.id, p.lat, p.lon, p.thumbnail) for p in pins])


HANDLERS = [list_places, map_pins]
