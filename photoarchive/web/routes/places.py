"""/places: the towns and countries of the photos the viewer may know the places of, each a
link to a search; /map: the viewer's own photos on a map (not there when the archive's
PHOTOARCHIVE_MAP_TILES is off). Who may know what is library/access.py's (see places_api)."""

from __future__ import annotations

from urllib.parse import quote

from litestar import get
from litestar.response import Template

from photoarchive import tiles
from photoarchive.errors import NotFound
from photoarchive.web.places_api import place_list
from photoarchive.web.render import Req, render
from photoarchive.web.viewer import require_user, services, viewer

NO_MAP = "This archive shows no map."


def search_link(name: str, country: str | None = None) -> str:
    """The search for photos taken in `name` (a country, or a town of `country`): quoted, its
    words whole (Paris, not Parisot), and a town with its country (not Paris, Texas). A
    place's words hold its region's too: a town named as a region (Québec) also finds the
    other towns of that region, which the count beside its link does not count."""
    term = " ".join(f'place:"{part}"' for part in (name, country) if part)
    return "/search?q=" + quote(term, safe="")


@get("/places")
async def places_page(request: Req) -> Template:
    found = await place_list(request)
    return render(
        request, "places.html", user=await viewer(request), countries=found, search=search_link
    )


@get("/map")
async def map_page(request: Req) -> Template:
    user = await require_user(request)
    template = services(request).settings.map_tiles
    if template == tiles.OFF:
        raise NotFound(NO_MAP)
    credit = (
        {"text": tiles.OPENSTREETMAP_CREDIT, "href": tiles.OPENSTREETMAP_COPYRIGHT}
        if template == tiles.OPENSTREETMAP
        else None
    )
    return render(request, "map.html", user=user, tiles=template, credit=credit)


HANDLERS = [places_page, map_page]
