"""Share links as pages: what a link's holder gets with no account (/s/{token}: the gallery or
its password form, its media, its zip), and one's own links' forms (make one, turn it off).

Every URL under a link opens the link afresh (library/shares.py): revoked or unknown is 404,
expired 410, from the next request on. Link media is never stored by a shared cache, and is
revalidated by the browser each time (`private, no-cache` with an ETag): an answer kept
anywhere would go on showing a photo after its link was turned off, a cheap 304 does not.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from litestar import Response, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect, Stream, Template

from photoarchive.accounts import time_zones
from photoarchive.accounts.users import User
from photoarchive.errors import Forbidden, NotAuthenticated, NotFound, TooManyRequests
from photoarchive.library import share_holders, shares, zips
from photoarchive.library.shares import Link
from photoarchive.web import dates
from photoarchive.web.admission import GUEST_BODY
from photoarchive.web.forms import row_id_field
from photoarchive.web.media import attachment_header, send_file
from photoarchive.web.methods import is_head
from photoarchive.web.params import RowId
from photoarchive.web.render import Req, form_fields, render
from photoarchive.web.shares_api import PASSWORD_HEADER
from photoarchive.web.viewer import client_ip, require_user, services

UNLOCK_COOKIE = "share_unlock"
UNLOCK_SECONDS = 30 * 24 * 3600
LINK_MEDIA = "private, no-cache"
MEDIA_NAMES = ("thumbnail", "preview", "original")
LOCKED = "This link needs its password."


def _unlocked(request: Req, link: Link) -> bool:
    secret = services(request).settings.secret_key
    return share_holders.is_unlocked(secret, link, request.cookies.get(UNLOCK_COOKIE))


async def _open(request: Req, token: str) -> Link:
    """The link: a protected one needs the cookie its password form sets (a browser), or its
    password in X-Share-Password (a script following the media URLs the API gave it),
    checked on the link's throttle as the API checks it."""
    svc = services(request)
    link = await shares.open_link(svc, token)
    if _unlocked(request, link):
        return link
    password = request.headers.get(PASSWORD_HEADER)
    if password is None:
        raise NotAuthenticated(LOCKED)
    await share_holders.try_header_password(svc, link, password, client_ip(request))
    return link


def _password_form(
    request: Req, link: Link, *, status: int = 200, error: str | None = None
) -> Template:
    return render(
        request, "share_locked.html", user=None, status=status, share=link.share, error=error
    )


@get("/s/{share_token:str}")
async def shared_page(request: Req, share_token: str, cursor: str | None = None) -> Template:
    svc = services(request)
    link = await shares.open_link(svc, share_token)
    if not _unlocked(request, link):
        return _password_form(request, link)
    items, next_cursor = await share_holders.page(svc, link, cursor=cursor, limit=shares.PAGE_MAX)
    await share_holders.count_view(
        svc,
        link,
        cursor=cursor,
        user_agent=request.headers.get("user-agent", ""),
        head=is_head(request.scope),
    )
    share = link.share
    # Absolute URLs from the configured address only: the Host header is the sender's to
    # choose, and a chat would show whatever address it named as the link's.
    base = svc.settings.public_url.rstrip("/")
    return render(
        request,
        "share.html",
        user=None,
        share=share,
        photos=items,
        next_cursor=next_cursor,
        total=len(link.photo_ids),
        media=lambda photo, name: f"{share.path}/media/{photo.id}/{name}",
        # A preview where the link is pasted (a chat): only of a link anyone holding it sees.
        og_image=(
            f"{base}{share.path}/media/{items[0].id}/thumbnail"
            if items and not share.has_password
            else None
        ),
        og_url=f"{base}{share.path}",
    )


@post(
    "/s/{share_token:str}/unlock",
    opt=GUEST_BODY,
    request_max_body_size=8 * 1024,
)
async def unlock(request: Req, share_token: str) -> Response[Any]:
    svc = services(request)
    link = await shares.open_link(svc, share_token)
    if not link.share.has_password:  # removed since the form was shown: nothing to unlock
        return Redirect(link.share.path, status_code=303)
    form = await form_fields(request)
    try:
        await share_holders.try_password(svc, link, form.get("password", ""), client_ip(request))
    except NotAuthenticated as exc:
        return _password_form(request, link, status=401, error=exc.message)
    except TooManyRequests as exc:
        page = _password_form(request, link, status=429, error=exc.message)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    cookie = Cookie(
        key=UNLOCK_COOKIE,
        value=share_holders.unlock_value(svc.settings.secret_key, link.share),
        path=link.share.path,  # this link only: one unlock never opens another
        httponly=True,
        samesite="lax",
        secure=svc.settings.secure_cookies,
        max_age=UNLOCK_SECONDS,
    )
    return Redirect(link.share.path, status_code=303, cookies=[cookie])


@get("/s/{share_token:str}/media/{photo_id:int}/{name:str}")
async def shared_media(request: Req, share_token: str, photo_id: RowId, name: str) -> Response[Any]:
    link = await _open(request, share_token)
    if name not in MEDIA_NAMES:
        raise NotFound("There is no such file.")
    photo = await share_holders.photo(services(request), link, photo_id)
    if name == "original" and not link.share.allow_download:
        raise Forbidden("This link does not allow downloading the originals.")
    # Read for nobody: the original's location is blanked, as for any non-owner, and its
    # camera's details unless the link shows them.
    return await send_file(
        request,
        photo,
        name,
        None,
        cache_control=LINK_MEDIA,
        redirect=False,
        digest_etag=False,
        camera=link.share.show_metadata,
    )


@get("/s/{share_token:str}/download")
async def shared_download(request: Req, share_token: str) -> Stream:
    svc = services(request)
    link = await _open(request, share_token)
    if not link.share.allow_download:
        raise Forbidden("This link does not allow downloading the originals.")
    # Made safe as an album's is: a title's U+202E shows `Holiday<U+202E>exe.zip` as
    # `Holidaypiz.exe`.
    (name,) = zips.unique_names([(link.share.title or "photos")[:100] + ".zip"])
    return Stream(
        share_holders.zip_of(svc, link),
        media_type="application/zip",
        headers={
            "Content-Disposition": attachment_header(name),
            "Cache-Control": "private, no-store",
        },
    )


# --- one's own links ------------------------------------------------------------------------


def _flag(form: dict[str, str], name: str) -> bool:
    return form.get(name) in ("1", "on", "true")


# The form's ids: the app writes them as plain digits, several photos' joined by commas.
FORM_IDS = "Albums and photos are named by their ids: whole numbers."


def _form_expiry(text: str, zone_name: str) -> str | None:
    """The form's "Available until": a date is to the end of that day where the person is, in
    `zone_name` (an IANA name; "": UTC). Anything else goes to the domain's check as typed."""
    text = text.strip()
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None  # the domain's check says what is wrong with it
    if day is None:
        return text or None
    return datetime.combine(day, time(23, 59, 59), dates.zone(zone_name)).isoformat()


def _zone_of(user: User, form: dict[str, str]) -> str:
    """Where the person is: the zone they chose on /settings, else their browser's (which the
    form's script sends, see static/js/app.js), else "" (UTC: no script, or no zone we know)."""
    if user.time_zone:
        return user.time_zone
    sent = form.get("time_zone", "").strip()
    return sent if sent in time_zones.time_zone_names() else ""


@post("/shares", request_max_body_size=64 * 1024)
async def create_share(request: Req) -> Redirect:
    """The share form (templates/_share_form.html): an album of one's own, or photos."""
    user = await require_user(request)
    form = await form_fields(request)
    album = form.get("album_id", "")
    parts = form.get("photo_ids", "").split(",")
    photo_ids = [row_id_field("photo_ids", part, FORM_IDS) for part in parts if part]
    made = await shares.create(
        services(request),
        user,
        album_id=row_id_field("album_id", album, FORM_IDS) if album else None,
        photo_ids=None if album else photo_ids,
        expires_at=_form_expiry(form.get("expires_at", ""), _zone_of(user, form)),
        password=form.get("password") or None,
        allow_download=_flag(form, "allow_download"),
        show_metadata=_flag(form, "show_metadata"),
    )
    if made.album_id is not None:  # made on the album's page: back there, the link listed
        return Redirect(f"/albums/{made.album_id}?saved=share#album-share-notice", status_code=303)
    return Redirect("/settings?saved=share#shared-links", status_code=303)


@post("/shares/{share_id:int}/revoke")
async def revoke_share(request: Req, share_id: RowId) -> Redirect:
    """Turning a link off, from Settings or (with `back=album`) from its album's page: back there."""
    user = await require_user(request)
    svc = services(request)
    form = await form_fields(request)
    link = await shares.get(svc, user, share_id)
    await shares.revoke(svc, user, share_id)
    if form.get("back") == "album" and link.album_id is not None:
        return Redirect(
            f"/albums/{link.album_id}?saved=share-revoked#album-share-notice", status_code=303
        )
    return Redirect("/settings?saved=share-revoked#shared-links", status_code=303)


HANDLERS = [shared_page, unlock, shared_media, shared_download, create_share, revoke_share]
