"""Favorites under /api/v1: marking a photo and listing one's own marks, as JSON.

A favorite is its person's alone (see library/favorites.py): every answer here is about the
caller's own, and a photo the caller may not see is 404."""

from __future__ import annotations

from typing import Any

from litestar import Request, delete, get, put
from litestar.params import Parameter

from photoarchive.library import favorites
from photoarchive.web.api import READ, WRITE, Limit, refusals
from photoarchive.web.params import RowId
from photoarchive.web.schemas import FavoriteState, PhotoPage
from photoarchive.web.viewer import require_user, services

# A favorites cursor names the moment of marking and an id: longer than a photo id.
FavoritesCursor = Parameter(default=None, max_length=200)


@put("/api/v1/photos/{photo_id:int}/favorite", tags=["photos"], responses=refusals(WRITE))
async def favorite(request: Request[Any, Any, Any], photo_id: RowId) -> FavoriteState:
    user = await require_user(request)
    return FavoriteState(await favorites.set_favorite(services(request), user, photo_id, True))


@delete(
    "/api/v1/photos/{photo_id:int}/favorite",
    status_code=200,
    tags=["photos"],
    responses=refusals(WRITE),
)
async def unfavorite(request: Request[Any, Any, Any], photo_id: RowId) -> FavoriteState:
    user = await require_user(request)
    return FavoriteState(await favorites.set_favorite(services(request), user, photo_id, False))


@get("/api/v1/favorites", tags=["photos"], responses=refusals(READ))
async def list_favorites(
    request: Request[Any, Any, Any], cursor: str | None = FavoritesCursor, limit: int = Limit
) -> PhotoPage:
    user = await require_user(request)
    items, next_cursor = await favorites.page(services(request), user, cursor=cursor, limit=limit)
    return PhotoPage.of(items, next_cursor)


HANDLERS = [favorite, unfavorite, list_favorites]
