"""What every page handler shares: rendering a page (or, for HTMX, its partial), reading a
posted form, and where a visitor may be sent next."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from litestar import Request
from litestar.plugins.htmx import HTMXTemplate
from litestar.response import Redirect, Template

from photoarchive.accounts import resets
from photoarchive.accounts.users import User
from photoarchive.db import row_id
from photoarchive.web.viewer import services

Req = Request[Any, Any, Any]


def is_htmx(request: Req) -> bool:
    return request.headers.get("hx-request") == "true"


def page_context(request: Req, user: User | None) -> dict[str, Any]:
    """What base.html needs of every page: who is looking, and the archive's settings."""
    settings = services(request).settings
    return {
        "viewer": user,
        "public_view": settings.public_view,
        "registration": settings.registration,
        "max_upload_bytes": settings.max_upload_bytes,
        "email_codes": services(request).accounts.uses_email_codes,
        "password_recovery": resets.recovery(settings),
        "trash_days": settings.trash_days,
        "map_shown": settings.map_tiles != "off",  # see photoarchive/tiles.py
    }


def trashed(request: Req) -> int | None:
    """The photo the viewer has just moved to the trash (a delete's redirect names it), for the
    page to say so and offer Undo. Only its id is shown: Undo is decided by the restore route.
    Anything but an id there (`01`, `1.0`) names no photo: the page is shown without the notice."""
    return row_id(request.query_params.get("trashed"))


def render(
    request: Req, template: str, *, user: User | None, status: int = 200, **context: Any
) -> Template:
    context.update(page_context(request, user))
    if user is not None:
        context["trashed"] = trashed(request)
    if is_htmx(request):
        return HTMXTemplate(template_name=template, context=context, status_code=status)
    return Template(template_name=template, context=context, status_code=status)


# Pages that would send a signed-in person straight back to sign-in: never a destination.
_NOT_AFTER_SIGN_IN = ("/login", "/signup", "/logout")


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in, and never back to the sign-in pages
    (a signed-in visit to /login?next=/login would redirect to itself for ever)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if target.split("?", 1)[0].rstrip("/") in _NOT_AFTER_SIGN_IN:
        return "/"
    return target


def referring_page(request: Req) -> str | None:
    """The page of this site the request came from, as the browser names it in Referer (sent
    to this site alone: `Referrer-Policy: same-origin`): its path and query, for a way back
    without scripts. None for none, for another site's (by the Host asked for or the archive's
    public address) and for a path that is not plainly this site's. A photo just moved to the
    trash is said once, on the page its delete led to: that notice is left out."""
    try:
        parts = urlsplit(request.headers.get("referer", ""))
    except ValueError:  # "http://[x/": no address at all, so not this site's
        return None
    ours = {
        request.headers.get("host", "").lower(),
        urlsplit(services(request).settings.public_url).netloc.lower(),
    }
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.netloc.lower() not in ours
    ):
        return None
    path, query = parts.path, parts.query
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    # What a form's redirect told once (a photo trashed, something saved, photos removed):
    # going back to the page must not tell it again.
    told = ("trashed", "saved", "removed", "kept")
    if any(f"{name}=" in query for name in told):
        query = urlencode([(k, v) for k, v in parse_qsl(query) if k not in told], safe=":")
    return path + (f"?{query}" if query else "")


def back_to(request: Req, fallback: str, anchor: str = "") -> Redirect:
    """After a plain form on a photo (`fallback`, its page): back where it was posted from,
    the feed at the photo (`anchor`) or the photo's page opened from the same list."""
    page = referring_page(request)
    # Never back to sign-in: a signed-in person would only be sent on from there.
    if page is None or safe_next(page) != page:
        return Redirect(fallback, status_code=303)
    if anchor and urlsplit(page).path != urlsplit(fallback).path:
        page += f"#{anchor}"
    return Redirect(page, status_code=303)


async def form_fields(request: Req) -> dict[str, str]:
    """The text fields of a posted form (files, which only the upload reads, are left out)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}
