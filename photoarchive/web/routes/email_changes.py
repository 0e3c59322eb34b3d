"""/email-confirm/<token>: the link mailed to a new email (accounts/email_changes.py). Opening
it shows what it confirms and a button; only the button's POST, from a browser signed in to
the account that asked, changes the email. The link proves the inbox, not the person, so a
guest or someone else's browser is asked to sign in (a mistyped address's owner gets no
further), and a mail scanner that opens every link confirms nothing. Confirmed, the browser
goes on under a new session and lands on /settings."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Response, get, post
from litestar.response import Redirect, Template

from photoarchive.accounts import email_changes, profiles
from photoarchive.errors import AppError, Forbidden, NotAuthenticated, NotFound
from photoarchive.web.admission import GUEST_BODY
from photoarchive.web.render import Req, render
from photoarchive.web.viewer import (
    current_session,
    device,
    services,
    session_cookie,
    viewer_or_guest,
)


def _offered(request: Req) -> None:
    svc = services(request)
    if not email_changes.required(svc.settings, svc.mail.configured):
        raise NotFound("There is nothing at this address.")


async def _page(
    request: Req, token: str, *, email: str = "", error: AppError | None = None
) -> Template:
    user = await viewer_or_guest(request)
    action = f"{email_changes.PATH}/{token}"
    page = render(
        request,
        "email_confirm.html",
        user=user,
        action=action,
        email=email,
        # A guest signs in and comes back here; someone else's browser signs out first.
        sign_in=f"/login?next={quote(action, safe='/')}" if user is None else None,
        asks_sign_in=isinstance(error, Forbidden),
        error=error.message if error else None,
        status=error.status if error else 200,
    )
    page.headers["Referrer-Policy"] = "no-referrer"  # the token is in this page's address
    return page


@get(f"{email_changes.PATH}/{{token:str}}")
async def confirm_form(request: Req, token: str) -> Template:
    _offered(request)
    try:
        person, email = await email_changes.holder(services(request).db, token)
    except NotFound as exc:
        return await _page(request, token, error=exc)
    user = await viewer_or_guest(request)
    if user is None or user.id != person.id:
        return await _page(request, token, error=Forbidden(email_changes.SIGN_IN_FIRST))
    return await _page(request, token, email=email)


@post(f"{email_changes.PATH}/{{token:str}}", status_code=200, opt=GUEST_BODY)
async def confirm(request: Req, token: str) -> Response[Any]:
    _offered(request)
    svc = services(request)
    try:
        session = await current_session(request)
    except NotAuthenticated:  # a stale Bearer token: asked to sign in, as a guest is
        session = None
    try:
        saved = await profiles.confirm_email(svc, token, session, device(request))
    except AppError as exc:
        return await _page(request, token, error=exc)
    response = Redirect("/settings?saved=email-confirmed", status_code=303)
    if saved.token is not None:  # (a Bearer token keeps its own)
        response.set_cookie(session_cookie(request, saved.token))
    return response


HANDLERS = [confirm_form, confirm]
