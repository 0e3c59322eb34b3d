"""The feed and a person's profile: pages of photos, newest first, scrolled by cursor."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from photoarchive.accounts import users
from photoarchive.library import photos
from photoarchive.web.render import Req, is_htmx, render
from photoarchive.web.viewer import require_reader, services


@get("/", name="feed")
async def feed(request: Req, cursor: str | None = None) -> Template:
    user = await require_reader(request)
    items, next_cursor = await photos.page(services(request), user, cursor=cursor)
    if is_htmx(request) and cursor:
        return render(request, "_feed_page.html", user=user, photos=items, next_cursor=next_cursor)
    return render(request, "feed.html", user=user, photos=items, next_cursor=next_cursor)


@get("/u/{username:str}", name="profile")
async def profile(request: Req, username: str, cursor: str | None = None) -> Template:
    user = await require_reader(request)
    svc = services(request)
    owner = await users.by_username(svc.db, username)
    items, next_cursor = await photos.page(
        svc, user, cursor=cursor, owner_id=owner.id, with_comments=False
    )
    if is_htmx(request) and cursor:
        return render(
            request,
            "_grid_page.html",
            user=user,
            owner=owner,
            photos=items,
            next_cursor=next_cursor,
        )
    counts = await users.profile_counts(svc.db, owner.id)
    return render(
        request,
        "profile.html",
        user=user,
        owner=owner,
        photos=items,
        next_cursor=next_cursor,
        counts=counts,
    )


HANDLERS = [feed, profile]
