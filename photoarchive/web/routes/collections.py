"""The viewer's own lists of photos: their favorites (marking a photo, and the page of them)
and their archive (archiving a photo, and the page of what they archived). Both pages are grids
whose photos open with previous and next along the same list (neighbours.FAVORITES, ARCHIVE)."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Template

from photoarchive.accounts.users import User
from photoarchive.library import archive, favorites, neighbours, photos
from photoarchive.library.photos import Photo
from photoarchive.web import selection
from photoarchive.web.params import RowId
from photoarchive.web.render import Req, back_to, form_fields, is_htmx, render
from photoarchive.web.viewer import require_user, services

# What each list's selection bar offers, and the action after which a photo leaves the list.
_SELECTIONS = {
    neighbours.FAVORITES: (("unfavorite", "archive", "unarchive"), ("unfavorite",)),
    neighbours.ARCHIVE: (("favorite", "unfavorite", "unarchive"), ("unarchive",)),
}
_PAGES = {
    neighbours.FAVORITES: (
        "Favorites",
        "The photos you marked with a star. Only you see them.",
        "star",
        "No favorites yet: mark a photo with its star to find it here.",
    ),
    neighbours.ARCHIVE: (
        "Archive",
        "Your photos kept out of the feed and your profile. They stay in albums and share links.",
        "archive",
        "Nothing archived: a photo you archive from its page waits here.",
    ),
}


async def _grid(
    request: Req, user: User, key: str, items: list[Photo], cursor: str | None, more: bool
) -> Template:
    shown: dict[str, Any] = {
        "photos": items,
        "next_cursor": cursor,
        "list_key": key,
        "list_path": f"/{key}",
    }
    if is_htmx(request) and more:  # the next page of the grid, scrolled into view
        return render(request, "_grid_page.html", user=user, **shown)
    heading, about, icon, empty = _PAGES[key]
    buttons, drops = _SELECTIONS[key]
    offer = await selection.for_grid(
        services(request), user, buttons=buttons, drops=drops, owns=True
    )
    return render(
        request,
        "my_photos.html",
        user=user,
        heading=heading,
        about=about,
        list_icon=icon,
        empty=empty,
        selection=offer,
        **shown,
    )


@get("/favorites", name="favorites")
async def favorites_page(request: Req, cursor: str | None = None) -> Template:
    user = await require_user(request)
    items, next_cursor = await favorites.page(services(request), user, cursor=cursor)
    return await _grid(request, user, neighbours.FAVORITES, items, next_cursor, bool(cursor))


@get("/archive", name="archive")
async def archive_page(request: Req, cursor: str | None = None) -> Template:
    user = await require_user(request)
    items, next_cursor = await archive.page(services(request), user, cursor=cursor)
    return await _grid(request, user, neighbours.ARCHIVE, items, next_cursor, bool(cursor))


@post("/photos/{photo_id:int}/favorite", status_code=200)
async def mark_favorite(request: Req, photo_id: RowId) -> Response[Any]:
    user = await require_user(request)
    wanted = (await form_fields(request)).get("favorite") == "1"
    svc = services(request)
    await favorites.set_favorite(svc, user, photo_id, wanted)
    if is_htmx(request):
        photo = await photos.find(svc, photo_id, user)
        photo.favorite = wanted
        return render(request, "_favorite_button.html", user=user, photo=photo)
    return back_to(request, f"/photos/{photo_id}", f"photo-{photo_id}")


@post("/photos/{photo_id:int}/archive", status_code=200)
async def mark_archived(request: Req, photo_id: RowId) -> Response[Any]:
    """The owner archives or unarchives the photo (a plain form: no script needed)."""
    user = await require_user(request)
    wanted = (await form_fields(request)).get("archived") == "1"
    await archive.set_archived(services(request), user, photo_id, wanted)
    if is_htmx(request):
        return ClientRedirect(f"/photos/{photo_id}")
    return back_to(request, f"/photos/{photo_id}")


HANDLERS = [favorites_page, archive_page, mark_favorite, mark_archived]
