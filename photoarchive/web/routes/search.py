"""The search page: the header's search box sends its words here (a plain GET form, so it
works without script), and the results are the same grid as every list of photos, scrolled
by cursor."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import get
from litestar.response import Template

from photoarchive.errors import Invalid
from photoarchive.library import neighbours, search
from photoarchive.library.search_query import Q_MAX
from photoarchive.web import selection
from photoarchive.web.render import Req, is_htmx, render
from photoarchive.web.viewer import require_reader, services


def place_offer(q: str, *, locations_kept: bool) -> str | None:
    """The place: search to offer when plain words found nothing (a town's name is not among
    a photo's words): `place:word`, or `place:"a few words"`; None for a search with a
    filter, a phrase or a word left out, or where no place is kept."""
    words = q.split()
    plain = words and all(
        w[0] != "-" and ":" not in w and '"' not in w and any(c.isalnum() for c in w) for w in words
    )
    if not plain or not locations_kept:
        return None
    offer = f"place:{words[0]}" if len(words) == 1 else 'place:"' + " ".join(words) + '"'
    return offer if len(offer) <= Q_MAX else None


@get("/search", name="search")
async def search_page(request: Req, q: str | None = None, cursor: str | None = None) -> Template:
    user = await require_reader(request)
    svc = services(request)
    # A photo opened from the results walks them (library/neighbours.py): the key holds the
    # words, quoted for the address.
    key = quote(neighbours.SEARCH + (q or ""), safe=":")
    shown: dict[str, Any] = {"q": q or "", "q_max": Q_MAX, "list_key": key}
    if not (q or "").strip():  # the box alone, with what it understands
        return render(request, "search.html", user=user, photos=[], asked=False, **shown)
    try:
        items, next_cursor = await search.page(svc, user, q, cursor=cursor)
    except Invalid as exc:
        return render(
            request,
            "search.html",
            user=user,
            photos=[],
            asked=False,
            error=exc.message,
            status=exc.status,
            **shown,
        )
    more: dict[str, Any] = {
        "photos": items,
        "next_cursor": next_cursor,
        "list_path": "/search?q=" + quote(q or ""),
    }
    if is_htmx(request) and cursor:  # the next page of the grid, scrolled into view
        return render(request, "_grid_page.html", user=user, **shown, **more)
    offer = await selection.for_grid(svc, user, owns=True)
    place = place_offer(q or "", locations_kept=not svc.settings.strip_location)
    return render(
        request,
        "search.html",
        user=user,
        asked=True,
        selection=offer,
        place_offer=None if items else place,
        **shown,
        **more,
    )


HANDLERS = [search_page]
