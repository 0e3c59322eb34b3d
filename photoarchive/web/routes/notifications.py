"""The person's notifications: the page (opening it marks them read) and the navigation's
badge alone, which the page asks for once loaded and again when the live stream says the
person's notifications changed."""

from __future__ import annotations

from urllib.parse import urlsplit

from litestar import get
from litestar.response import Template

from photoarchive.library import notifications
from photoarchive.web.render import Req, render
from photoarchive.web.viewer import require_user, services

PATH = "/notifications"


@get(PATH, name="notifications")
async def notifications_page(request: Req, cursor: str | None = None) -> Template:
    user = await require_user(request)
    svc = services(request)
    items, next_cursor, newest = await notifications.page(
        svc, user, cursor=cursor, with_subjects=True
    )
    if cursor is None and newest is not None and _seen_by_the_person(request):
        # Read now: everything up to the newest shown (not one that arrived since the query).
        await notifications.mark_read(svc, user, up_to=newest)
    return render(
        request,
        "notifications.html",
        user=user,
        items=items,
        next_cursor=next_cursor,
        nav_unread=await notifications.unread_count(svc, user),
    )


def _seen_by_the_person(request: Req) -> bool:
    """Whether the page is opened for the person to read: from this site, typed, or a link
    they clicked elsewhere (the daily summary's, in webmail); not another site's page sending
    the browser here by itself (the session cookie goes along, SameSite=Lax), nor a browser's
    prefetch, either of which would mark everything read unseen. A browser that says nothing
    of where the request comes from is taken at its word, as before."""
    headers = request.headers
    site = headers.get("sec-fetch-site", "").lower()
    clicked = headers.get("sec-fetch-user") == "?1" and headers.get("sec-fetch-mode") == "navigate"
    prefetch = headers.get("sec-purpose", "") + headers.get("purpose", "")
    return (site in ("", "same-origin", "none") or clicked) and "prefetch" not in prefetch.lower()


@get(f"{PATH}/badge", name="notifications-badge", cache=False)
async def badge(request: Req) -> Template:
    """The navigation's link with the unread count (the same partial base.html includes)."""
    user = await require_user(request)
    # The page the badge sits on, for aria-current: htmx names it in HX-Current-URL.
    try:
        here = urlsplit(request.headers.get("hx-current-url", "")).path
    except ValueError:  # not an address: no page is the current one
        here = ""
    return render(
        request,
        "_notifications_badge.html",
        user=user,
        path=here,
        nav_unread=await notifications.unread_count(services(request), user),
    )


HANDLERS = [notifications_page, badge]
