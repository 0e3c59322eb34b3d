"""The feed and a person's profile: pages of photos, newest first, scrolled by cursor (the feed
shows a batch of photos added together as one entry, and /batches/{id} shows all of it). On a
fresh install the feed sends its visitor to make the first account, and greets that
administrator with what to do next until there are photos or they hide the greeting."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from photoarchive.accounts import invites, users
from photoarchive.accounts.provider import awaits_first_admin
from photoarchive.accounts.users import User
from photoarchive.library import access, batches, photos, timeline, visibility
from photoarchive.web import selection
from photoarchive.web.params import RowId
from photoarchive.web.render import Req, back_to, form_fields, is_htmx, render
from photoarchive.web.viewer import require_reader, require_user, services, viewer

# Hiding the welcome is remembered by the browser: it asks for no schema of its own, and the
# welcome ends by itself with the first photo, so another device shows it at most until then.
WELCOME_COOKIE = "welcome"
WELCOME_HIDDEN = "hidden"
WELCOME_COOKIE_DAYS = 365


def _welcomes(request: Req, user: User | None, items: list[Any], cursor: str | None) -> bool:
    """The administrator of an archive still without photos, who has not hidden the welcome."""
    return (
        user is not None
        and user.is_admin
        and not items
        and not cursor
        and request.cookies.get(WELCOME_COOKIE) != WELCOME_HIDDEN
    )


@get("/", name="feed")
async def feed(request: Req, cursor: str | None = None) -> Response[Any]:
    if await viewer(request) is None and await awaits_first_admin(services(request)):
        return Redirect("/signup", status_code=303)
    user = await require_reader(request)
    items, next_cursor = await batches.feed_page(services(request), user, cursor=cursor)
    if is_htmx(request) and cursor:
        return render(request, "_feed_page.html", user=user, entries=items, next_cursor=next_cursor)
    return render(
        request,
        "feed.html",
        user=user,
        entries=items,
        next_cursor=next_cursor,
        welcome=_welcomes(request, user, items, cursor),
        invite_days=invites.INVITE_DAYS,
        memories=await timeline.memories_today(services(request), user, with_marks=False),
    )


@post("/welcome/hide", status_code=200)
async def hide_welcome(request: Req) -> Response[Any]:
    """Hide the welcome; an htmx request gets the plain empty feed panel in its place."""
    user = await require_user(request)
    response: Response[Any] = (
        render(request, "_feed_empty.html", user=user)
        if is_htmx(request)
        else Redirect("/", status_code=303)
    )
    response.set_cookie(
        Cookie(
            key=WELCOME_COOKIE,
            value=WELCOME_HIDDEN,
            httponly=True,
            samesite="lax",
            secure=services(request).settings.secure_cookies,
            max_age=WELCOME_COOKIE_DAYS * 86400,
            path="/",
        )
    )
    return response


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
    counts = await visibility.profile_counts(
        svc, owner.id, access.Viewer(user, svc.settings.public_view)
    )
    return render(
        request,
        "profile.html",
        user=user,
        owner=owner,
        photos=items,
        next_cursor=next_cursor,
        counts=counts,
        # Archived photos leave the profile: one's own leave this grid when archived here.
        selection=await selection.for_grid(
            svc,
            user,
            buttons=("favorite", "unfavorite", "archive"),
            drops=("archive",),
            owns=user is not None and user.id == owner.id,
        ),
    )


@get("/batches/{batch_id:int}", name="batch")
async def batch(request: Req, batch_id: RowId, cursor: str | None = None) -> Template:
    """Every photo of a batch the viewer may see, in a grid (the feed's entry shows a few),
    a page at a time as it is scrolled."""
    user = await require_reader(request)
    svc = services(request)
    more = is_htmx(request) and bool(cursor)  # the next page of the grid, scrolled into view
    found = await batches.get(svc, batch_id, user, cursor=cursor, counted=not more)
    if more:
        return render(
            request, "_grid_page.html", user=user, photos=found.photos, **_batch_grid(found)
        )
    # Archived photos leave batches: the owner's leave this grid when archived here.
    offer = await selection.for_grid(
        svc,
        user,
        buttons=("favorite", "unfavorite", "archive"),
        drops=("archive",),
        owns=any(photo.can_edit for photo in found.photos),
    )
    return render(
        request, "batch.html", user=user, batch=found, selection=offer, **_batch_grid(found)
    )


def _batch_grid(found: batches.Batch) -> dict[str, Any]:
    # Its photos open along the feed; its next page is its own.
    return {
        "next_cursor": found.next_cursor,
        "list_key": "feed",
        "list_path": f"/batches/{found.id}",
    }


@post("/batches/{batch_id:int}/caption", status_code=200)
async def edit_batch_caption(request: Req, batch_id: RowId) -> Response[Any]:
    """Its owner changes the caption of the whole upload (a plain form: no script needed)."""
    user = await require_user(request)
    form = await form_fields(request)
    found = await batches.set_caption(services(request), user, batch_id, form.get("caption", ""))
    if is_htmx(request):
        return render(request, "_batch_caption.html", user=user, batch=found)
    return back_to(request, f"/batches/{batch_id}")


HANDLERS = [feed, hide_welcome, profile, batch, edit_batch_caption]
