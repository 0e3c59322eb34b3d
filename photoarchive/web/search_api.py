"""Search under /api/v1: the photos the caller may see that match a query, as JSON (the
language is described in library/search_query.py and the README)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.params import Parameter

from photoarchive.library import search
from photoarchive.library.search_query import Q_MAX
from photoarchive.web.api import READ, Limit, refusals
from photoarchive.web.schemas import PhotoPage
from photoarchive.web.viewer import require_reader, services

# Longer queries are refused by the domain (422 on `q`), not by the parameter's own check.
Q = Parameter(
    default=None,
    description=f"Words, quoted phrases, -word, and filters such as year:2024 (at most {Q_MAX}"
    " characters).",
)
SearchCursor = Parameter(default=None, max_length=200)


@get("/api/v1/search", tags=["photos"], responses=refusals(READ, 422))
async def search_photos(
    request: Request[Any, Any, Any],
    q: str | None = Q,
    cursor: str | None = SearchCursor,
    limit: int = Limit,
) -> PhotoPage:
    user = await require_reader(request)
    items, next_cursor = await search.page(services(request), user, q, cursor=cursor, limit=limit)
    return PhotoPage.of(items, next_cursor)


HANDLERS = [search_photos]
